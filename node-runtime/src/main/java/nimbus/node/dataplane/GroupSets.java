package nimbus.node.dataplane;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import nimbus.network.IpNet;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;
import nimbus.node.dataplane.RuleSpace.Range;

/**
 * A security group's rules as the elements of its nftables sets, so that a packet is checked by a
 * few lookups whatever the number of rules. Per direction and IP version a group has three
 * concatenated interval sets keyed by the remote address (the source in, the destination out):
 * {@link Kind#PROTOCOL} (address . protocol: rules with no port, any protocol being 0-255),
 * {@link Kind#PORTS} (address . protocol . destination port range) and {@link Kind#ICMP} (address .
 * type . code). A rule with a remote group has an element per member address of that group, so a
 * membership change is a refill of the sets of the groups naming it. Pure.
 */
final class GroupSets {
  private static final Set<Integer> PORTED = Set.of(6, 17, 33, 132, 136);

  /** What a set is keyed by, after the remote address. */
  enum Kind {
    PROTOCOL("p", " . inet_proto"),
    PORTS("pp", " . inet_proto . inet_service"),
    ICMP("i", " . icmp_type . icmp_code");

    private final String tag;
    private final String fields;

    Kind(String tag, String fields) {
      this.tag = tag;
      this.fields = fields;
    }

    /** The set's nft type. */
    String type(boolean v6) {
      return (v6 ? "ipv6_addr" : "ipv4_addr") + (v6 ? fields.replace("icmp_", "icmpv6_") : fields);
    }
  }

  private GroupSets() {}

  /** The name of one of a group's sets. */
  static String setName(String groupId, boolean ingress, boolean v6, Kind kind) {
    return (ingress ? "in" : "eg") + (v6 ? "6" : "4") + kind.tag + "-" + groupId;
  }

  /**
   * Every set of group {@code id} with its elements (disjoint boxes, canonical), in order; a group
   * not in {@code groups} allows nothing, a remote group not there has no members.
   */
  static Map<String, List<List<Range>>> elements(String id, Map<String, SecurityGroup> groups) {
    Map<String, List<List<Range>>> boxes = new LinkedHashMap<>();
    for (boolean in : List.of(false, true)) {
      for (boolean v6 : List.of(false, true)) {
        for (Kind kind : Kind.values()) boxes.put(setName(id, in, v6, kind), new ArrayList<>());
      }
    }
    for (SecurityGroupRule r : Optional.ofNullable(groups.get(id)).map(SecurityGroup::rules).orElse(List.of())) {
      for (Range address : remotes(r, groups)) {
        OptionalInt protocol = r.protocolNumber();
        Kind kind = Kind.PROTOCOL;
        List<Range> box = new ArrayList<>(List.of(address));
        if (protocol.isEmpty()) {
          box.add(Range.of(0, 255));
        } else {
          int number = protocol.getAsInt();
          boolean icmp = number == (r.ipv6() ? 58 : 1);
          if (icmp && (r.portRangeMin().isPresent() || r.portRangeMax().isPresent())) {
            kind = Kind.ICMP;
            box.add(r.portRangeMin().map(t -> Range.of(t, t)).orElse(Range.of(0, 255)));
            box.add(r.portRangeMax().map(c -> Range.of(c, c)).orElse(Range.of(0, 255)));
          } else {
            box.add(Range.of(number, number));
            if (PORTED.contains(number) && r.portRangeMin().isPresent()) {
              kind = Kind.PORTS;
              box.add(Range.of(r.portRangeMin().get(), r.portRangeMax().orElse(r.portRangeMin().get())));
            }
          }
        }
        boxes.get(setName(id, r.ingress(), r.ipv6(), kind)).add(box);
      }
    }
    Map<String, List<List<Range>>> sets = new LinkedHashMap<>();
    boxes.forEach((set, list) -> sets.put(set, RuleSpace.disjoint(list)));
    return sets;
  }

  /** The remote addresses a rule lets: its remote group's members of its IP version, its prefix, or all. */
  private static List<Range> remotes(SecurityGroupRule r, Map<String, SecurityGroup> groups) {
    if (r.remoteGroupId().isPresent()) {
      List<Range> members = new ArrayList<>();
      Optional.ofNullable(groups.get(r.remoteGroupId().get())).ifPresent(g -> g.members().values()
          .forEach(addresses -> addresses.stream().filter(a -> a.contains(":") == r.ipv6())
              .forEach(a -> members.add(range(a)))));
      return members;
    }
    return List.of(range(r.remoteIpPrefix().orElse(r.ipv6() ? "::/0" : "0.0.0.0/0")));
  }

  /** An address or prefix as the range of addresses it covers (host bits of a prefix ignored). */
  static Range range(String prefix) {
    String[] parts = prefix.split("/");
    IpNet.Address address = IpNet.Address.parse(parts[0])
        .orElseThrow(() -> new IllegalArgumentException("not an address: " + prefix));
    int bits = address.bits();
    int length = parts.length > 1 ? Integer.parseInt(parts[1]) : bits;
    if (length < 0 || length > bits) throw new IllegalArgumentException("not a prefix: " + prefix);
    BigInteger host = BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE);
    BigInteger lo = address.value().andNot(host);
    return new Range(lo, lo.or(host));
  }

  /** Replaces what the sets hold: a flush and the elements of each, in order. */
  static String fill(Map<String, List<List<Range>>> sets) {
    StringBuilder text = new StringBuilder();
    sets.forEach((set, boxes) -> {
      text.append("flush set inet ").append(PortFirewall.TABLE).append(' ').append(set).append('\n');
      if (boxes.isEmpty()) return;
      boolean v6 = set.charAt(2) == '6';
      text.append("add element inet ").append(PortFirewall.TABLE).append(' ').append(set).append(" { ");
      for (int i = 0; i < boxes.size(); i++) {
        List<Range> box = boxes.get(i);
        text.append(i == 0 ? "" : ", ").append(address(box.get(0), v6));
        box.subList(1, box.size()).forEach(field -> text.append(" . ").append(number(field)));
      }
      text.append(" }\n");
    });
    return text.toString();
  }

  private static String address(Range range, boolean v6) {
    int bits = v6 ? 128 : 32;
    BigInteger size = range.hi().subtract(range.lo()).add(BigInteger.ONE);
    int hostBits = size.getLowestSetBit();
    if (size.bitCount() == 1 && (range.lo().signum() == 0 || range.lo().getLowestSetBit() >= hostBits)) {
      String base = text(range.lo(), v6);
      return hostBits == 0 ? base : base + "/" + (bits - hostBits);
    }
    return text(range.lo(), v6) + "-" + text(range.hi(), v6);
  }

  private static String text(BigInteger value, boolean v6) {
    return new IpNet.Address(v6 ? 6 : 4, value).toString();
  }

  private static String number(Range range) {
    return range.lo().equals(range.hi()) ? range.lo().toString() : range.lo() + "-" + range.hi();
  }
}
