package nimbus.node.dataplane;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import nimbus.network.PortAttributes;
import nimbus.network.SecurityGroup;

/**
 * The security groups of the ports on this host, as the text {@code nft -f} reads. Two tables
 * named {@value #TABLE} (bridge and inet families) belong to it entirely and are replaced whole in
 * one transaction, as {@link TenantFirewall}'s are, when the ports change; a change of a group's
 * rules refills only that group's sets ({@link #fill}). Pure.
 *
 * <p>The kernel has no connection tracking in the bridge family, so the work is split:
 * <ul>
 *   <li>bridge: a frame from a filtered port's tap is checked against the port's MAC and addresses
 *       (anti-spoofing, ARP too; DHCP server replies and router advertisements dropped), then
 *       marked with the port's number (low 16 bits of the packet mark); a frame forwarded to a
 *       filtered port's tap gets that port's number in the high 16 bits;
 *   <li>inet (forward hook, reached by bridged packets through br_netfilter): stateful filtering
 *       by those marks: the sending port's egress rules, then the receiving port's ingress rules,
 *       each group one chain per direction, shared by the group's ports, of six lookups in the
 *       group's sets ({@link GroupSets}: its rules as set elements, remote groups' members in them),
 *       so a packet meets the same few rules whatever the number of rules.
 * </ul>
 *
 * <p>A connection admitted is marked with the {@code generation}; replies of known connections
 * always pass, but a connection's own direction passes unchecked only under the generation that
 * admitted it. A new generation (a new ruleset, a rule removed, a member leaving) so re-checks
 * every flow once: a removed rule stops the flows it allowed, as Neutron's semantics say. Only
 * two chains name the generation ({@code allow} and {@code forward}), so a new one replaces them
 * and nothing else.
 */
public final class PortFirewall {
  public static final String TABLE = "nimbus-sg";
  private static final String FORWARD_HOOK = "type filter hook forward priority filter; policy accept;";
  private static final String NEIGHBOUR_DISCOVERY = "icmpv6 type { nd-router-solicit, nd-router-advert,"
      + " nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report,"
      + " mld-listener-done, mld2-listener-report }";

  private PortFirewall() {}

  /**
   * The whole ruleset for these ports, its groups' sets empty (allowing nothing): fill them with
   * {@link #fill} of {@link #elements} in the same transaction.
   */
  public static String ruleset(List<FilteredPort> ports, int generation) {
    List<FilteredPort> sorted = ports.stream().sorted(Comparator.comparing(FilteredPort::tap)).toList();
    if (sorted.size() > 0xffff) throw new IllegalArgumentException("at most 65535 filtered ports on a host");
    StringBuilder text = new StringBuilder(removal());
    bridgeTable(text, sorted);
    inetTable(text, sorted, usedGroups(sorted), generation);
    return text.toString();
  }

  /** Removes both tables: a host with no filtered port keeps no rules for them. */
  public static String removal() {
    StringBuilder text = new StringBuilder();
    for (String family : List.of("bridge", "inet")) {
      // declaring a table that exists changes nothing, so the delete never fails
      text.append("table ").append(family).append(' ').append(TABLE).append(" {}\n");
      text.append("delete table ").append(family).append(' ').append(TABLE).append('\n');
    }
    return text.toString();
  }

  /**
   * The sets of every group the ports use, each with its elements (the group's rules, its remote
   * groups' members in them; a group not in {@code groups} allows nothing), in order.
   */
  static Map<String, List<List<RuleSpace.Range>>> elements(List<FilteredPort> ports,
      Map<String, SecurityGroup> groups) {
    Map<String, List<List<RuleSpace.Range>>> sets = new LinkedHashMap<>();
    usedGroups(ports).forEach(id -> sets.putAll(GroupSets.elements(id, groups)));
    return sets;
  }

  /** Replaces what these sets hold (a flush and their elements each): a rule or membership change is this. */
  static String fill(Map<String, List<List<RuleSpace.Range>>> sets) {
    return GroupSets.fill(sets);
  }

  /** The groups the ports use, in order. */
  public static List<String> usedGroups(List<FilteredPort> ports) {
    Set<String> used = new TreeSet<>();
    ports.forEach(p -> used.addAll(p.securityGroups()));
    return List.copyOf(used);
  }

  /** The groups named as remote groups by the rules of the groups used, in order. */
  public static List<String> remoteGroups(List<String> used, Map<String, SecurityGroup> groups) {
    Set<String> remote = new TreeSet<>();
    for (String id : used) {
      Optional.ofNullable(groups.get(id)).ifPresent(g -> g.rules().forEach(r -> r.remoteGroupId().ifPresent(remote::add)));
    }
    return List.copyOf(remote);
  }

  // ------------------------------------------------------------------ bridge: anti-spoofing, marks

  private static void bridgeTable(StringBuilder text, List<FilteredPort> ports) {
    text.append("table bridge ").append(TABLE).append(" {\n");
    StringBuilder from = new StringBuilder();
    StringBuilder to = new StringBuilder();
    for (int i = 0; i < ports.size(); i++) {
      FilteredPort p = ports.get(i);
      int number = i + 1;
      from.append(i == 0 ? "" : ", ").append('"').append(p.tap()).append("\" : jump from-").append(p.tap());
      to.append(i == 0 ? "" : ", ").append('"').append(p.tap()).append("\" : jump to-").append(p.tap());
      antiSpoofing(text, p, number);
      text.append("\tchain to-").append(p.tap()).append(" {\n\t\tmeta mark set meta mark or ")
          .append(hex(number << 16)).append("\n\t}\n");
    }
    verdictMap(text, "from", "ifname", from);
    verdictMap(text, "to", "ifname", to);
    text.append("\tchain prerouting {\n\t\ttype filter hook prerouting priority filter; policy accept;\n")
        .append("\t\tiifname vmap @from\n\t}\n");
    text.append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
        .append("\t\toifname vmap @to\n\t}\n");
    text.append("}\n");
  }

  private static void antiSpoofing(StringBuilder text, FilteredPort p, int number) {
    Set<String> macs = new TreeSet<>(List.of(p.mac().toLowerCase(Locale.ROOT)));
    Set<String> v4 = new LinkedHashSet<>();
    Set<String> v6 = new LinkedHashSet<>(List.of(linkLocal(p.mac())));
    p.fixedIps().forEach(a -> (a.contains(":") ? v6 : v4).add(a));
    for (PortAttributes.AddressPair pair : p.allowedAddressPairs()) {
      (pair.ipAddress().contains(":") ? v6 : v4).add(pair.ipAddress());
      if (pair.macAddress() != null) macs.add(pair.macAddress().toLowerCase(Locale.ROOT));
    }
    text.append("\tchain from-").append(p.tap()).append(" {\n");
    rule(text, "meta mark set meta mark or " + hex(number));
    rule(text, "ether type vlan drop");
    rule(text, "ether saddr != " + set(macs) + " drop");
    rule(text, "arp saddr ether != " + set(macs) + " drop");
    Set<String> arp = new LinkedHashSet<>(v4);
    arp.add("0.0.0.0"); // address probes
    rule(text, "arp saddr ip != " + set(arp) + " drop");
    rule(text, "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return");
    rule(text, v4.isEmpty() ? "ether type ip drop" : "ip saddr != " + set(v4) + " drop");
    rule(text, "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report, mld-listener-report } return");
    rule(text, "ip6 saddr != " + set(v6) + " drop");
    rule(text, "udp sport 67 udp dport 68 drop");
    rule(text, "udp sport 547 udp dport 546 drop");
    rule(text, "icmpv6 type nd-router-advert drop");
    text.append("\t}\n");
  }

  /** The port's IPv6 link-local address (EUI-64 from its MAC), which it always may send from. */
  static String linkLocal(String mac) {
    String[] b = mac.toLowerCase(Locale.ROOT).split(":");
    int first = Integer.parseInt(b[0], 16) ^ 0x02;
    return String.format("fe80::%x:%x:%x:%x", first << 8 | Integer.parseInt(b[1], 16),
        Integer.parseInt(b[2], 16) << 8 | 0xff, 0xfe00 | Integer.parseInt(b[3], 16),
        Integer.parseInt(b[4], 16) << 8 | Integer.parseInt(b[5], 16));
  }

  // ------------------------------------------------------------------ inet: stateful rules by mark

  private static void inetTable(StringBuilder text, List<FilteredPort> ports, List<String> used, int generation) {
    text.append("table inet ").append(TABLE).append(" {\n");
    used.forEach(id -> groupSets(text, id));
    StringBuilder egress = new StringBuilder();
    StringBuilder ingress = new StringBuilder();
    for (int i = 0; i < ports.size(); i++) {
      FilteredPort p = ports.get(i);
      int number = i + 1;
      egress.append(i == 0 ? "" : ", ").append(hex(number)).append(" : jump egress-").append(p.tap());
      ingress.append(i == 0 ? "" : ", ").append(hex(number << 16)).append(" : jump ingress-").append(p.tap());
      text.append("\tchain egress-").append(p.tap()).append(" {\n");
      // DHCP clients always; neighbour discovery passes before any port's rules
      rule(text, "udp sport 68 udp dport 67 jump admit");
      rule(text, "udp sport 546 udp dport 547 jump admit");
      p.securityGroups().forEach(g -> rule(text, "jump egress-" + g));
      rule(text, "drop");
      text.append("\t}\n\tchain ingress-").append(p.tap()).append(" {\n");
      p.securityGroups().forEach(g -> rule(text, "jump ingress-" + g));
      rule(text, "drop");
      text.append("\t}\n");
    }
    for (String id : used) {
      groupChains(id).forEach((chain, rules) -> {
        text.append("\tchain ").append(chain).append(" {\n");
        rules.forEach(r -> rule(text, r));
        text.append("\t}\n");
      });
    }
    verdictMap(text, "egress", "mark", egress);
    verdictMap(text, "ingress", "mark", ingress);
    // the sender's egress let it out: the receiver's ingress (if it is filtered) decides
    text.append("\tchain admit {\n");
    rule(text, "meta mark and 0xffff0000 vmap @ingress");
    rule(text, "jump allow");
    text.append("\t}\n");
    generationChains(generation).forEach((chain, rules) -> {
      text.append("\tchain ").append(chain).append(" {\n");
      if (chain.equals("forward")) text.append("\t\t").append(FORWARD_HOOK).append('\n');
      rules.forEach(r -> rule(text, r));
      text.append("\t}\n");
    });
    text.append("}\n");
  }

  /**
   * A group's two chains by name, the same few lookups whatever its rules (those are the elements
   * of its sets, {@link #elements}): a packet meets a constant number of rules per group. They
   * hold no generation, so a rule change (of this group or another) leaves them as they are.
   */
  public static Map<String, List<String>> groupChains(String id) {
    Map<String, List<String>> chains = new LinkedHashMap<>();
    for (boolean in : List.of(false, true)) {
      List<String> rules = new ArrayList<>();
      for (boolean v6 : List.of(false, true)) {
        String address = (v6 ? "ip6" : "ip") + (in ? " saddr" : " daddr");
        String verdict = in ? " jump allow" : " jump admit";
        rules.add(address + " . meta l4proto @" + GroupSets.setName(id, in, v6, GroupSets.Kind.PROTOCOL) + verdict);
        rules.add(address + " . meta l4proto . th dport @" + GroupSets.setName(id, in, v6, GroupSets.Kind.PORTS) + verdict);
        String icmp = v6 ? "icmpv6" : "icmp";
        rules.add("meta l4proto " + (v6 ? "ipv6-icmp " : "icmp ") + address + " . " + icmp + " type . " + icmp + " code @"
            + GroupSets.setName(id, in, v6, GroupSets.Kind.ICMP) + verdict);
      }
      chains.put((in ? "ingress-" : "egress-") + id, rules);
    }
    return chains;
  }

  /** The only chains that name the generation: what a connection is marked with, and what passes on it. */
  private static Map<String, List<String>> generationChains(int generation) {
    return new TreeMap<>(Map.of("allow", List.of("ct mark set " + generation + " accept"),
        "forward", List.of("meta mark and 0xffffffff == 0x0 accept", NEIGHBOUR_DISCOVERY + " accept",
            "ct state invalid drop", "ct state established,related ct direction reply accept",
            "ct state established,related ct mark " + generation + " accept",
            "meta mark and 0x0000ffff vmap @egress", "jump admit")));
  }

  /**
   * A new generation alone (its two chains replaced): every connection's next packet is checked
   * again, as after a member left a remote group.
   */
  public static String regeneration(int generation) {
    StringBuilder text = new StringBuilder();
    replaceChains(text, generationChains(generation));
    return text.toString();
  }

  private static void replaceChains(StringBuilder text, Map<String, List<String>> chains) {
    new TreeMap<>(chains).forEach((chain, rules) -> {
      text.append("flush chain inet ").append(TABLE).append(' ').append(chain).append('\n');
      rules.forEach(r -> text.append("add rule inet ").append(TABLE).append(' ').append(chain).append(' ')
          .append(r).append('\n'));
    });
  }

  private static void groupSets(StringBuilder text, String id) {
    for (boolean in : List.of(false, true)) {
      for (boolean v6 : List.of(false, true)) {
        for (GroupSets.Kind kind : GroupSets.Kind.values()) {
          text.append("\tset ").append(GroupSets.setName(id, in, v6, kind)).append(" {\n\t\ttype ").append(kind.type(v6))
              .append("\n\t\tflags interval\n\t}\n");
        }
      }
    }
  }

  private static void verdictMap(StringBuilder text, String name, String type, StringBuilder elements) {
    text.append("\tmap ").append(name).append(" {\n\t\ttype ").append(type).append(" : verdict\n");
    if (elements.length() > 0) text.append("\t\telements = { ").append(elements).append(" }\n");
    text.append("\t}\n");
  }

  private static void rule(StringBuilder text, String rule) {
    text.append("\t\t").append(rule).append('\n');
  }

  private static String set(Set<String> items) {
    return items.size() == 1 ? items.iterator().next() : "{ " + String.join(", ", items) + " }";
  }

  private static String hex(int value) {
    return String.format("0x%08x", value);
  }
}
