package nimbus.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import nimbus.cluster.Rejection;

/**
 * Security group rules as Neutron checks and stores them ({@code securitygroups_db.py}): the
 * protocol by name (lower case) or number 0-255, ports only for protocols that have them, ICMP type
 * and code 0-255, the remote prefix with its mask and of the rule's family, at most one remote;
 * and the key by which two rules of a group are the same rule. Also the rules a new group and a
 * project's {@code default} group start with.
 */
public final class SecurityGroupRules {
  private SecurityGroupRules() {}

  /** A rule refused, in Neutron's words ({@link NetworkRefusal}). */
  public static final class Refused extends RuntimeException {
    public final transient Rejection rejection;

    Refused(Rejection.Kind kind, String type, String message) {
      super(type + ": " + message);
      this.rejection = NetworkRefusal.rejection(kind, type, message);
    }
  }

  /** Protocols whose rules take a port range. */
  private static final Set<Integer> PORT_PROTOCOLS = Set.of(6, 17, 33, 132, 136);
  /** Protocols only IPv6 has. */
  private static final Set<String> IPV6_ONLY = Set.of("ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt",
      "ipv6-opts", "ipv6-route", "41", "44", "58", "59", "60", "43");

  /** What a client asks a rule to be, as the API gave it (strings unparsed). */
  public record Asked(String securityGroupId, String projectId, String direction, Optional<String> ethertype,
      Optional<String> protocol, Optional<Integer> portRangeMin, Optional<Integer> portRangeMax,
      Optional<String> remoteIpPrefix, Optional<String> remoteGroupId, String description) {}

  /** The rule {@code asked} describes, checked and in Neutron's canonical form; {@link Refused} if it is not valid. */
  public static SecurityGroupRule checked(String id, Asked asked, Instant at) {
    if (!asked.direction().equals(SecurityGroupRule.INGRESS) && !asked.direction().equals(SecurityGroupRule.EGRESS)) {
      throw invalid("InvalidInput", "Invalid input for direction. Reason: '" + asked.direction()
          + "' is not in ['ingress', 'egress'].");
    }
    String ethertype = ethertype(asked.ethertype().orElse("IPv4"));
    Optional<String> protocol = asked.protocol().map(SecurityGroupRules::protocol);
    if (ethertype.equals("IPv6") && protocol.isPresent()) {
      // Neutron's canonical names for ICMPv6
      String p = protocol.get();
      if (p.equals("icmp") || p.equals("icmpv6")) protocol = Optional.of("ipv6-icmp");
      else if (p.equals("1")) protocol = Optional.of("58");
    }
    Optional<Integer> min = asked.portRangeMin();
    Optional<Integer> max = asked.portRangeMax();
    if (min.equals(Optional.of(1)) && max.equals(Optional.of(65535))) {
      // the whole range is no range, as Neutron stores it
      min = Optional.empty();
      max = Optional.empty();
    }
    checkPorts(protocol, min, max);
    Optional<String> prefix = asked.remoteIpPrefix().map(p -> prefix(p, ethertype));
    if (protocol.isPresent() && IPV6_ONLY.contains(protocol.get()) && ethertype.equals("IPv4")) {
      throw invalid("SecurityGroupEthertypeConflictWithProtocol", "Invalid ethertype " + ethertype + " for protocol "
          + protocol.get() + ".");
    }
    if (prefix.isPresent() && asked.remoteGroupId().isPresent()) {
      throw invalid("SecurityGroupMultipleRemoteEntites",
          "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.");
    }
    return new SecurityGroupRule(id, asked.securityGroupId(), asked.projectId(), asked.direction(), ethertype,
        protocol, min, max, prefix, asked.remoteGroupId(), asked.description(), at, at, 0);
  }

  private static String ethertype(String asked) {
    for (String known : List.of("IPv4", "IPv6")) {
      if (known.equalsIgnoreCase(asked)) return known;
    }
    throw invalid("SecurityGroupRuleInvalidEtherType", "Security group rule for ethertype '" + asked
        + "' not supported. Allowed values are ['IPv4', 'IPv6'].");
  }

  private static String protocol(String asked) {
    try {
      int number = Integer.parseInt(asked.trim());
      if (number >= 0 && number <= 255) return Integer.toString(number);
    } catch (NumberFormatException byName) {
      String name = asked.toLowerCase(Locale.ROOT);
      if (SecurityGroupRule.PROTOCOLS.containsKey(name) || name.equals("any")) return name;
    }
    List<String> values = new ArrayList<>();
    values.add("None");
    new TreeSet<>(SecurityGroupRule.PROTOCOLS.keySet()).forEach(p -> values.add("'" + p + "'"));
    throw invalid("SecurityGroupRuleInvalidProtocol", "Security group rule protocol " + asked + " not supported. "
        + "Only protocol values [" + String.join(", ", values) + "] and integer representations [0 to 255] are "
        + "supported.");
  }

  private static void checkPorts(Optional<String> protocol, Optional<Integer> min, Optional<Integer> max) {
    if (min.isEmpty() && max.isEmpty()) return;
    if (protocol.isEmpty() || protocol.get().equals("any") || protocol.get().equals("0")) {
      throw invalid("SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.");
    }
    int number = number(protocol.get());
    if (PORT_PROTOCOLS.contains(number)) {
      if (min.equals(Optional.of(0)) || max.equals(Optional.of(0))) {
        throw invalid("SecurityGroupInvalidPortValue", "Invalid value for port 0");
      }
      if (min.isEmpty() || max.isEmpty() || min.get() > max.get()) {
        throw invalid("SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max");
      }
    } else if (number == 1 || number == 58) {
      checkIcmp(min, "type", "port_range_min");
      checkIcmp(max, "code", "port_range_max");
      if (min.isEmpty()) {
        throw invalid("SecurityGroupMissingIcmpType", "ICMP code (port-range-max) " + max.get()
            + " is provided but ICMP type (port-range-min) is missing.");
      }
    } else {
      throw invalid("SecurityGroupInvalidProtocolForPort", "Ports cannot be specified for protocol " + number
          + ". Ports are only supported for TCP, UDP, DCCP, SCTP, UDPLITE.");
    }
  }

  private static void checkIcmp(Optional<Integer> value, String field, String attr) {
    if (value.isPresent() && (value.get() < 0 || value.get() > 255)) {
      throw invalid("SecurityGroupInvalidIcmpValue", "Invalid value for ICMP " + field + " (" + attr + ") "
          + value.get() + ". It must be 0 to 255.");
    }
  }

  private static int number(String protocol) {
    Integer named = SecurityGroupRule.PROTOCOLS.get(protocol);
    return named != null ? named : Integer.parseInt(protocol);
  }

  /** The prefix with its mask (an address is a host route), of the rule's family. */
  private static String prefix(String asked, String ethertype) {
    int slash = asked.indexOf('/');
    Optional<IpNet.Address> address = IpNet.Address.parse(slash < 0 ? asked : asked.substring(0, slash));
    int length = -1;
    if (address.isPresent()) {
      try {
        length = slash < 0 ? address.get().bits() : Integer.parseInt(asked.substring(slash + 1));
      } catch (NumberFormatException e) {
        length = -1;
      }
    }
    if (address.isEmpty() || length < 0 || length > address.get().bits()) {
      throw invalid("InvalidCIDR", "Invalid CIDR " + asked + " given as IP prefix.");
    }
    if (!ethertype.equals(address.get().version() == 6 ? "IPv6" : "IPv4")) {
      throw invalid("SecurityGroupRuleParameterConflict", "Conflicting value ethertype " + ethertype + " for CIDR "
          + asked);
    }
    // as netaddr writes it: the address as given (host bits kept), with its mask
    return address.get() + "/" + length;
  }

  /** The rule's identity within its group: two rules with the same key are one rule ({@code SecurityGroupRuleExists}). */
  public static String key(SecurityGroupRule r) {
    String prefix = r.remoteIpPrefix().filter(p -> !p.equals("0.0.0.0/0") && !p.equals("::/0")).orElse("+");
    String protocol = r.protocolNumber().isPresent() ? Integer.toString(r.protocolNumber().getAsInt())
        : r.protocol().orElse("+");
    return String.join("_", r.direction(), r.ethertype(), r.portRangeMax().map(String::valueOf).orElse("+"),
        r.portRangeMin().map(String::valueOf).orElse("+"), protocol, r.remoteGroupId().orElse("+"), prefix);
  }

  /** A new group's rules, as Neutron gives them: all egress, IPv4 and IPv6. */
  public static List<SecurityGroupRule> egressAnywhere(String groupId, String projectId, Instant at) {
    return List.of(rule(groupId, projectId, SecurityGroupRule.EGRESS, "IPv4", Optional.empty(), at),
        rule(groupId, projectId, SecurityGroupRule.EGRESS, "IPv6", Optional.empty(), at));
  }

  /** A project's {@code default} group's rules: ingress from its own members, and all egress. */
  public static List<SecurityGroupRule> defaults(String groupId, String projectId, Instant at) {
    List<SecurityGroupRule> rules = new ArrayList<>();
    rules.add(rule(groupId, projectId, SecurityGroupRule.INGRESS, "IPv4", Optional.of(groupId), at));
    rules.add(rule(groupId, projectId, SecurityGroupRule.INGRESS, "IPv6", Optional.of(groupId), at));
    rules.addAll(egressAnywhere(groupId, projectId, at));
    return List.copyOf(rules);
  }

  /** Ids derived from the group and the rule, so a create asked twice makes the same rules. */
  private static SecurityGroupRule rule(String groupId, String projectId, String direction, String ethertype,
      Optional<String> remoteGroup, Instant at) {
    String id = UUID.nameUUIDFromBytes((groupId + "/" + direction + "/" + ethertype).getBytes(
        java.nio.charset.StandardCharsets.UTF_8)).toString();
    return new SecurityGroupRule(id, groupId, projectId, direction, ethertype, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), remoteGroup, "", at, at, 0);
  }

  private static Refused invalid(String type, String message) {
    return new Refused(Rejection.Kind.INVALID, type, message);
  }
}
