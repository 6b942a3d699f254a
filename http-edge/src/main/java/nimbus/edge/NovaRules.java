package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import nimbus.network.IpNet;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;

/**
 * Nova's security group rules ({@code os-security-group-rules}): the ingress rule a Nova request
 * asks for, checked as {@code nova/network/security_group_api.py} checks it, Nova's duplicate
 * check against a group's rules, and the Neutron rule Nova asks Neutron for.
 */
final class NovaRules {
  private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "ICMP");

  private NovaRules() {}

  /** An ingress rule as Nova has it: from a group or an address range, a protocol and ports (ICMP: type and code). */
  record Rule(Optional<String> groupId, Optional<String> cidr, Optional<String> protocol, Optional<Integer> fromPort,
      Optional<Integer> toPort) {}

  /** The rule a request body asks for ({@code groupId}: its {@code group_id}, already checked); refused with Nova's 400s. */
  static Rule asked(JsonNode asked, Optional<String> groupId) {
    Optional<String> protocol = Optional.ofNullable(asked.get("ip_protocol")).filter(v -> !v.isNull())
        .map(JsonNode::asText).filter(p -> !p.isEmpty());
    JsonNode from = present(asked.get("from_port"));
    JsonNode to = present(asked.get("to_port"));
    Optional<String> cidr = groupId.isPresent() ? Optional.empty() : Optional.of(cidr(asked.get("cidr")));
    String upper = protocol.map(p -> p.toUpperCase(Locale.ROOT)).orElse("");
    Optional<Integer> fromPort = Optional.empty();
    Optional<Integer> toPort = Optional.empty();
    if (groupId.isPresent() && from == null && to == null) {
      // a rule from a group opens the protocol's whole range unless it names one
      if (upper.equals("ICMP")) {
        fromPort = Optional.of(-1);
        toPort = Optional.of(-1);
      } else if (upper.equals("TCP") || upper.equals("UDP")) {
        fromPort = Optional.of(1);
        toPort = Optional.of(65535);
      }
    } else if (from != null && to != null) {
      fromPort = Optional.of(0);
      toPort = Optional.of(0);
    }
    if (protocol.isPresent() && fromPort.isPresent()) {
      int f = from == null ? fromPort.get() : integer(from, upper);
      int t = to == null ? toPort.get() : integer(to, upper);
      if (!PROTOCOLS.contains(upper)) throw ApiError.badRequest("Invalid IP protocol " + protocol.get() + ".");
      boolean ports = upper.equals("TCP") || upper.equals("UDP");
      if (ports && f > t) throw range(f, t, "Former value cannot be greater than the later");
      if (ports && (f < 1 || t > 65535)) throw range(f, t, "Valid " + upper + " ports should be between 1-65535");
      if (upper.equals("ICMP") && (f < -1 || f > 255 || t < -1 || t > 255)) {
        throw range(f, t, "For ICMP, the type:code must be valid");
      }
      return new Rule(groupId, cidr, protocol, Optional.of(f), Optional.of(t));
    }
    // an address range's rule needs its protocol and ports
    if (cidr.isPresent()) throw ApiError.badRequest("Not enough parameters to build a valid rule.");
    return new Rule(groupId, cidr, Optional.empty(), Optional.empty(), Optional.empty());
  }

  private static JsonNode present(JsonNode v) {
    return v == null || v.isNull() ? null : v;
  }

  private static int integer(JsonNode v, String protocol) {
    String text = v.asText().trim();
    if (v.isIntegralNumber() && v.canConvertToInt() || v.isTextual() && text.matches("[-+]?[0-9]{1,9}")) {
      return Integer.parseInt(text.startsWith("+") ? text.substring(1) : text);
    }
    throw ApiError.badRequest("Invalid input received: " + (protocol.equals("ICMP")
        ? "Type and Code must be integers for ICMP protocol type" : "To and From ports must be integers"));
  }

  private static ApiError range(int from, int to, String why) {
    return ApiError.badRequest("Invalid port range " + from + ":" + to + ". " + why);
  }

  /** Nova's parse_cidr: none is 0.0.0.0/0; else a (URL-encoded) network, host bits allowed. */
  static String cidr(JsonNode v) {
    if (v == null || v.isNull() || v.asText().isEmpty()) return "0.0.0.0/0";
    String raw = v.asText();
    String cidr;
    try {
      cidr = URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalidCidr(raw);
    }
    int slash = cidr.indexOf('/');
    if (slash < 0 || !cidr.substring(slash + 1).matches("[0-9]{1,3}")) throw invalidCidr(cidr);
    Optional<IpNet.Address> address = IpNet.Address.parse(cidr.substring(0, slash));
    int prefix = Integer.parseInt(cidr.substring(slash + 1));
    if (address.isEmpty() || prefix > address.get().bits()) throw invalidCidr(cidr);
    String net = cidr.substring(0, slash);
    if (prefix == 0 && address.get().value().signum() != 0) {
      throw ApiError.badRequest("Bad prefix for network in cidr " + cidr);
    }
    return net + "/" + prefix;
  }

  private static ApiError invalidCidr(String cidr) {
    return ApiError.badRequest(cidr + " is not a valid IP network.");
  }

  /** Nova's _rule_exists: a rule of the group with the same source, address range, ports and protocol. */
  static boolean exists(SecurityGroup group, Rule rule) {
    for (SecurityGroupRule r : group.rules()) {
      if (!r.ingress()) continue;
      if (Objects.equals(r.remoteGroupId(), rule.groupId())
          // Nova gives every rule of Neutron's an address range, even one from a group
          && Objects.equals(Optional.of(r.remoteIpPrefix().orElse("0.0.0.0/0")), rule.cidr())
          && Objects.equals(Optional.ofNullable(ServerSecurityGroups.novaPort(r, true)), rule.fromPort())
          && Objects.equals(Optional.ofNullable(ServerSecurityGroups.novaPort(r, false)), rule.toPort())
          && Objects.equals(r.protocol().map(p -> p.toLowerCase(Locale.ROOT)),
              rule.protocol().map(p -> p.toLowerCase(Locale.ROOT)))) {
        return true;
      }
    }
    return false;
  }

  /** The Neutron rule Nova asks for: ingress, IPv4 unless its range is IPv6, ports unless -1. */
  static ObjectNode neutronItem(String parentId, Rule rule) {
    ObjectNode item = Json.MAPPER.createObjectNode();
    item.put("security_group_id", parentId);
    item.put("direction", "ingress");
    item.put("ethertype", rule.cidr().filter(c -> c.contains(":")).isPresent() ? "IPv6" : "IPv4");
    item.put("protocol", rule.protocol().orElse(null));
    item.put("remote_ip_prefix", rule.cidr().orElse(null));
    item.put("remote_group_id", rule.groupId().orElse(null));
    rule.fromPort().filter(p -> p != -1).ifPresent(p -> item.put("port_range_min", p));
    rule.toPort().filter(p -> p != -1).ifPresent(p -> item.put("port_range_max", p));
    return item;
  }
}
