package nimbus.network;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import nimbus.cluster.CborSerializable;

/**
 * One rule of a security group, as Neutron shows it: traffic in one {@code direction}
 * ({@code ingress}, {@code egress}) of one {@code ethertype} ({@code IPv4}, {@code IPv6}), of a
 * protocol (by name or number; empty: any) and port range (for ICMP: type and code), from or to a
 * prefix or the members of a group (none: anywhere).
 */
public record SecurityGroupRule(String id, String securityGroupId, String projectId, String direction,
    String ethertype, Optional<String> protocol, Optional<Integer> portRangeMin, Optional<Integer> portRangeMax,
    Optional<String> remoteIpPrefix, Optional<String> remoteGroupId, String description, Instant createdAt,
    Instant updatedAt, int revisionNumber) implements CborSerializable {

  public static final String INGRESS = "ingress";
  public static final String EGRESS = "egress";

  /** The IP protocol numbers of the names Neutron accepts. */
  public static final Map<String, Integer> PROTOCOLS = Map.ofEntries(Map.entry("icmp", 1), Map.entry("igmp", 2),
      Map.entry("tcp", 6), Map.entry("egp", 8), Map.entry("udp", 17), Map.entry("ipv6-encap", 41),
      Map.entry("ipv6-route", 43), Map.entry("ipv6-frag", 44), Map.entry("rsvp", 46), Map.entry("gre", 47),
      Map.entry("esp", 50), Map.entry("ah", 51), Map.entry("ipv6-icmp", 58), Map.entry("icmpv6", 58),
      Map.entry("ipv6-nonxt", 59), Map.entry("ipv6-opts", 60), Map.entry("ospf", 89), Map.entry("pgm", 113),
      Map.entry("vrrp", 112), Map.entry("sctp", 132), Map.entry("udplite", 136), Map.entry("dccp", 33));

  public boolean ingress() {
    return INGRESS.equals(direction);
  }

  public boolean ipv6() {
    return "IPv6".equals(ethertype);
  }

  /** The rule's IP protocol number; empty for any protocol ({@code any}, {@code 0} or none given). */
  public OptionalInt protocolNumber() {
    if (protocol.isEmpty() || protocol.get().equals("any")) return OptionalInt.empty();
    String p = protocol.get().toLowerCase(java.util.Locale.ROOT);
    Integer named = PROTOCOLS.get(p);
    // Neutron stores "icmp" on an IPv6 rule as given, and means ICMPv6 by it
    if (named != null) return OptionalInt.of(named == 1 && ipv6() ? 58 : named);
    int number = Integer.parseInt(p);
    return number == 0 ? OptionalInt.empty() : OptionalInt.of(number);
  }
}
