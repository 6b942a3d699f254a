package nimbus.node.dataplane;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import nimbus.network.PortAttributes;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;

/**
 * The security groups of the ports on this host, as the text {@code nft -f} reads. Two tables
 * named {@value #TABLE} (bridge and inet families) belong to it entirely and are replaced whole in
 * one transaction, as {@link TenantFirewall}'s are, when the ports change; a change of a group's
 * rules replaces only that group's chains ({@link #ruleChange}). Pure.
 *
 * <p>The kernel has no connection tracking in the bridge family, so the work is split:
 * <ul>
 *   <li>bridge: a frame from a filtered port's tap is checked against the port's MAC and addresses
 *       (anti-spoofing, ARP too; DHCP server replies and router advertisements dropped), then
 *       marked with the port's number (low 16 bits of the packet mark); a frame forwarded to a
 *       filtered port's tap gets that port's number in the high 16 bits;
 *   <li>inet (forward hook, reached by bridged packets through br_netfilter): stateful filtering
 *       by those marks: the sending port's egress rules, then the receiving port's ingress rules,
 *       each group's rules one chain per direction, shared by the group's ports, remote groups as
 *       named sets of member addresses.
 * </ul>
 *
 * <p>A connection admitted is marked with the {@code generation}; replies of known connections
 * always pass, but a connection's own direction passes unchecked only under the generation that
 * admitted it. A new generation (a new ruleset, a rule change, a member leaving) so re-checks
 * every flow once: a removed rule stops the flows it allowed, as Neutron's semantics say. Only
 * two chains name the generation ({@code allow} and {@code forward}), so a new one replaces them
 * and nothing else.
 */
public final class PortFirewall {
  public static final String TABLE = "nimbus-sg";
  private static final Set<Integer> PORTED = Set.of(6, 17, 33, 132, 136);
  private static final String FORWARD_HOOK = "type filter hook forward priority filter; policy accept;";
  private static final String NEIGHBOUR_DISCOVERY = "icmpv6 type { nd-router-solicit, nd-router-advert,"
      + " nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report,"
      + " mld-listener-done, mld2-listener-report }";

  private PortFirewall() {}

  /**
   * The whole ruleset for these ports and the groups known ({@code groups}; a group not there
   * allows nothing), its remote-group sets empty: fill them with {@link #members} in the same
   * transaction.
   */
  public static String ruleset(List<FilteredPort> ports, Map<String, SecurityGroup> groups, int generation) {
    List<FilteredPort> sorted = ports.stream().sorted(Comparator.comparing(FilteredPort::tap)).toList();
    if (sorted.size() > 0xffff) throw new IllegalArgumentException("at most 65535 filtered ports on a host");
    StringBuilder text = new StringBuilder(removal());
    bridgeTable(text, sorted);
    inetTable(text, sorted, usedGroups(sorted), groups, generation);
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
   * The members of every remote group the rules name, replacing what the sets held: a membership
   * change is this, not a new ruleset.
   */
  public static String members(List<FilteredPort> ports, Map<String, SecurityGroup> groups) {
    return members(memberSets(ports, groups));
  }

  /** The sets' members as {@link #members(List, Map)} writes them, from {@link #memberSets}. */
  public static String members(Map<String, Set<String>> sets) {
    StringBuilder text = new StringBuilder();
    sets.forEach((set, addresses) -> {
      text.append("flush set inet ").append(TABLE).append(' ').append(set).append('\n');
      if (!addresses.isEmpty()) {
        text.append("add element inet ").append(TABLE).append(' ').append(set).append(" { ")
            .append(String.join(", ", addresses)).append(" }\n");
      }
    });
    return text.toString();
  }

  /** The addresses each remote-group set holds, by set name, in order. */
  public static Map<String, Set<String>> memberSets(List<FilteredPort> ports, Map<String, SecurityGroup> groups) {
    Map<String, Set<String>> sets = new LinkedHashMap<>();
    for (String remote : remoteGroups(usedGroups(ports), groups)) {
      Set<String> addresses = new TreeSet<>();
      Optional.ofNullable(groups.get(remote)).ifPresent(g -> g.members().values().forEach(addresses::addAll));
      for (boolean v6 : List.of(false, true)) {
        sets.put(setName(remote, v6), new TreeSet<>(addresses.stream().filter(a -> a.contains(":") == v6).toList()));
      }
    }
    return sets;
  }

  /** The set of a remote group's member addresses of one IP version. */
  static String setName(String groupId, boolean v6) {
    return (v6 ? "r6-" : "r4-") + groupId;
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

  private static void inetTable(StringBuilder text, List<FilteredPort> ports, List<String> used,
      Map<String, SecurityGroup> groups, int generation) {
    text.append("table inet ").append(TABLE).append(" {\n");
    remoteGroups(used, groups).forEach(remote -> remoteSets(text, remote));
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
      groupChains(id, groups).forEach((chain, rules) -> {
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
   * A group's two chains by name, each its rules: the ports' chains jump to them. They hold no
   * generation, so a rule change of another group (or a new generation) leaves them as they are.
   */
  public static Map<String, List<String>> groupChains(String id, Map<String, SecurityGroup> groups) {
    List<SecurityGroupRule> rules = Optional.ofNullable(groups.get(id)).map(SecurityGroup::rules).orElse(List.of());
    Map<String, List<String>> chains = new LinkedHashMap<>();
    for (boolean in : List.of(false, true)) {
      chains.put((in ? "ingress-" : "egress-") + id, rules.stream().filter(r -> r.ingress() == in)
          .map(r -> match(r) + (in ? " jump allow" : " jump admit")).toList());
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
   * The transaction for a change of the rules of {@code changed} groups (used on this host, their
   * chains already there) under a new {@code generation}: the remote-group sets the rules name
   * from now on that were not there are added and filled ({@code newMembers}: their members), the
   * groups' chains flushed and refilled, the generation's chains replaced, and the sets no rule
   * names any more removed. Nothing else of the ruleset is touched; {@code nft -f} applies it
   * whole or not at all, so the ports are under the old rules or the new, never between.
   */
  public static String ruleChange(Collection<String> changed, Map<String, SecurityGroup> groups,
      Collection<String> remoteBefore, Collection<String> remoteAfter, Map<String, Set<String>> newMembers,
      int generation) {
    StringBuilder text = new StringBuilder();
    List<String> added = remoteAfter.stream().filter(g -> !remoteBefore.contains(g)).sorted().toList();
    if (!added.isEmpty()) {
      text.append("table inet ").append(TABLE).append(" {\n");
      added.forEach(g -> remoteSets(text, g));
      text.append("}\n");
    }
    text.append(members(newMembers));
    for (String id : new TreeSet<>(changed)) replaceChains(text, groupChains(id, groups));
    text.append(regeneration(generation));
    for (String g : new TreeSet<>(remoteBefore)) {
      if (remoteAfter.contains(g)) continue;
      for (boolean v6 : List.of(false, true)) {
        text.append("delete set inet ").append(TABLE).append(' ').append(setName(g, v6)).append('\n');
      }
    }
    return text.toString();
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

  private static void remoteSets(StringBuilder text, String remote) {
    for (boolean v6 : List.of(false, true)) {
      text.append("\tset ").append(setName(remote, v6)).append(" {\n\t\ttype ")
          .append(v6 ? "ipv6_addr" : "ipv4_addr").append("\n\t\tflags interval\n\t\tauto-merge\n\t}\n");
    }
  }

  /** What a rule matches, on the packet's remote side (its source in, its destination out). */
  static String match(SecurityGroupRule r) {
    List<String> parts = new ArrayList<>();
    String ip = r.ipv6() ? "ip6" : "ip";
    String remote = r.ingress() ? " saddr " : " daddr ";
    parts.add("meta nfproto " + (r.ipv6() ? "ipv6" : "ipv4"));
    r.remoteIpPrefix().filter(p -> !p.equals("0.0.0.0/0") && !p.equals("::/0"))
        .ifPresent(p -> parts.add(ip + remote + p));
    r.remoteGroupId().ifPresent(g -> parts.add(ip + remote + "@" + setName(g, r.ipv6())));
    OptionalInt protocol = r.protocolNumber();
    if (protocol.isPresent()) {
      int number = protocol.getAsInt();
      parts.add("meta l4proto " + number);
      if (number == 1 || number == 58) {
        String icmp = number == 1 ? "icmp" : "icmpv6";
        r.portRangeMin().ifPresent(type -> parts.add(icmp + " type " + type));
        r.portRangeMax().ifPresent(code -> parts.add(icmp + " code " + code));
      } else if (PORTED.contains(number) && r.portRangeMin().isPresent()) {
        int min = r.portRangeMin().get();
        int max = r.portRangeMax().orElse(min);
        parts.add("th dport " + (min == max ? String.valueOf(min) : min + "-" + max));
      }
    }
    return String.join(" ", parts);
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
