package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.network.PortAttributes;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security groups' nftables rules: what each part says, and that this machine's nft accepts
 * the whole (checked only, {@code nft -c}: nothing is changed).
 */
class PortFirewallTest {
  @TempDir
  Path dir;

  static final String WEB = "0b7a1c3e-0000-4000-8000-000000000001";
  static final String DB = "0b7a1c3e-0000-4000-8000-000000000002";
  static final FilteredPort WEB_PORT = new FilteredPort("ntp-aaaaaaaaaaa", "nbr-1", "fa:16:3e:00:00:01",
      List.of("10.0.0.5", "2001:db8::5"), List.of(new PortAttributes.AddressPair("10.0.9.0/24", "fa:16:3e:00:00:99")),
      List.of(WEB));
  static final FilteredPort DB_PORT = new FilteredPort("ntp-bbbbbbbbbbb", "nbr-1", "fa:16:3e:00:00:02",
      List.of("10.0.0.6"), List.of(), List.of(DB));

  static SecurityGroupRule rule(String group, String direction, String ethertype, String protocol, Integer min,
      Integer max, String prefix, String remoteGroup) {
    return new SecurityGroupRule("r-" + direction + protocol + min, group, "p", direction, ethertype,
        Optional.ofNullable(protocol), Optional.ofNullable(min), Optional.ofNullable(max), Optional.ofNullable(prefix),
        Optional.ofNullable(remoteGroup), "", Instant.EPOCH, Instant.EPOCH, 0);
  }

  static SecurityGroup group(String id, List<SecurityGroupRule> rules, Map<String, List<String>> members) {
    return new SecurityGroup(id, "p", id, "", true, rules, members, List.of(), Instant.EPOCH, Instant.EPOCH, 0, false);
  }

  static final SecurityGroup WEB_GROUP = group(WEB, List.of(
      rule(WEB, "ingress", "IPv4", "tcp", 80, 80, null, null),
      rule(WEB, "ingress", "IPv4", null, null, null, null, DB),
      rule(WEB, "egress", "IPv4", null, null, null, null, null),
      rule(WEB, "egress", "IPv6", null, null, null, "::/0", null)), Map.of("web-port", List.of("10.0.0.5")));
  static final SecurityGroup DB_GROUP = group(DB, List.of(
      rule(DB, "ingress", "IPv4", "icmp", 8, 0, "10.0.0.0/24", null),
      rule(DB, "ingress", "IPv6", "icmp", null, null, null, null),
      rule(DB, "ingress", "IPv4", "udp", 5000, 5010, null, WEB),
      rule(DB, "ingress", "IPv4", "112", null, null, null, null)),
      Map.of("db-port", List.of("10.0.0.6"), "db-2", List.of("10.0.1.0/28", "2001:db8:1::7")));

  /** The elements of one of the sets as {@code add element} writes them ("" for none). */
  static String elements(Map<String, List<List<RuleSpace.Range>>> sets, String kind, String group) {
    String name = kind + "-" + group;
    assertTrue(sets.containsKey(name), name + " in " + sets.keySet());
    String text = PortFirewall.fill(Map.of(name, sets.get(name)));
    int start = text.indexOf("{ ");
    return start < 0 ? "" : text.substring(start + 2, text.lastIndexOf(" }"));
  }

  @Test
  void rulesAreSetElementsByProtocolPortsIcmpTypeAndRemote() {
    var sets = PortFirewall.elements(List.of(WEB_PORT, DB_PORT), Map.of(WEB, WEB_GROUP, DB, DB_GROUP));
    assertEquals("0.0.0.0/0 . 6 . 80", elements(sets, "in4pp", WEB));
    assertEquals("10.0.0.6 . 0-255, 10.0.1.0/28 . 0-255", elements(sets, "in4p", WEB),
        "any protocol from the remote group's members (its IPv4 ones: this is an IPv4 rule)");
    assertEquals("0.0.0.0/0 . 0-255", elements(sets, "eg4p", WEB), "any protocol, anywhere");
    assertEquals("::/0 . 0-255", elements(sets, "eg6p", WEB), "::/0 is anywhere");
    assertEquals("", elements(sets, "in6p", WEB) + elements(sets, "in4i", WEB) + elements(sets, "eg4pp", WEB));
    assertEquals("10.0.0.0/24 . 8 . 0", elements(sets, "in4i", DB), "ICMP by type and code");
    assertEquals("::/0 . 58", elements(sets, "in6p", DB), "icmp on an IPv6 rule means ICMPv6; no type: any");
    assertEquals("10.0.0.5 . 17 . 5000-5010", elements(sets, "in4pp", DB), "a port range from a remote group's members");
    assertEquals("0.0.0.0/0 . 112", elements(sets, "in4p", DB), "a protocol by number");
    var egress = PortFirewall.elements(List.of(WEB_PORT), Map.of(WEB, group(WEB, List.of(
        rule(WEB, "egress", "IPv4", "tcp", 22, null, "192.0.2.0/24", null),
        rule(WEB, "egress", "IPv4", "tcp", null, null, "192.0.2.0/24", null),
        rule(WEB, "egress", "IPv6", "icmp", 128, null, "2001:db8::/32", null)), Map.of())));
    assertEquals("192.0.2.0/24 . 6 . 22", elements(egress, "eg4pp", WEB), "egress: the destination; a minimum alone is one port");
    assertEquals("192.0.2.0/24 . 6", elements(egress, "eg4p", WEB), "tcp with no port: any port");
    assertEquals("2001:db8::/32 . 128 . 0-255", elements(egress, "eg6i", WEB), "a type alone: any code");
  }

  @Test
  void overlappingAndDuplicateRulesMergeIntoDisjointElements() {
    var sets = PortFirewall.elements(List.of(WEB_PORT), Map.of(WEB, group(WEB, List.of(
        rule(WEB, "ingress", "IPv4", "tcp", 80, 80, "10.0.0.0/24", null),
        rule(WEB, "ingress", "IPv4", "tcp", 70, 90, "10.0.0.0/16", null),
        rule(WEB, "ingress", "IPv4", "6", 80, 80, "10.0.0.5/32", null),
        rule(WEB, "ingress", "IPv4", "tcp", 91, 100, "10.0.0.0/16", null),
        rule(WEB, "ingress", "IPv4", "udp", 53, 53, null, null),
        rule(WEB, "ingress", "IPv4", "udp", 53, 53, "0.0.0.0/0", null),
        rule(WEB, "ingress", "IPv6", "tcp", 22, 22, "2001:db8::/32", null),
        rule(WEB, "ingress", "IPv6", "tcp", 22, 22, "2001:db8:1::/48", null),
        rule(WEB, "ingress", "IPv4", null, null, null, "10.9.0.0/24", null),
        rule(WEB, "ingress", "IPv4", "icmp", null, null, "10.9.0.7", null)), Map.of())));
    assertEquals("0.0.0.0-9.255.255.255 . 17 . 53, 10.0.0.0/16 . 6 . 70-100, 10.0.0.0/16 . 17 . 53,"
        + " 10.1.0.0-255.255.255.255 . 17 . 53", elements(sets, "in4pp", WEB),
        "ranges inside others, adjacent ranges and duplicates are one element each; the kernel takes no overlap");
    assertEquals("2001:db8::/32 . 6 . 22", elements(sets, "in6pp", WEB));
    assertEquals("10.9.0.0/24 . 0-255", elements(sets, "in4p", WEB), "ICMP from one address is in any protocol from its /24");
  }

  @Test
  void aPortSendsOnlyFromItsMacAndAddressesAndNeverAsADhcpServerOrRouter() {
    String rules = PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), 7);
    String web = chain(rules, "from-ntp-aaaaaaaaaaa");
    assertTrue(web.contains("meta mark set meta mark or 0x00000001\n"), web);
    assertTrue(web.contains("ether saddr != { fa:16:3e:00:00:01, fa:16:3e:00:00:99 } drop"), web);
    assertTrue(web.contains("arp saddr ether != { fa:16:3e:00:00:01, fa:16:3e:00:00:99 } drop"), web);
    assertTrue(web.contains("arp saddr ip != { 10.0.0.5, 10.0.9.0/24, 0.0.0.0 } drop"), web);
    assertTrue(web.contains("ip saddr != { 10.0.0.5, 10.0.9.0/24 } drop"), web);
    assertTrue(web.contains("ip6 saddr != { fe80::f816:3eff:fe00:1, 2001:db8::5 } drop"), "its link-local address too: " + web);
    assertTrue(web.contains("udp sport 67 udp dport 68 drop") && web.contains("udp sport 547 udp dport 546 drop")
        && web.contains("icmpv6 type nd-router-advert drop"), web);
    String db = chain(rules, "from-ntp-bbbbbbbbbbb");
    assertTrue(db.contains("meta mark set meta mark or 0x00000002\n") && db.contains("ether saddr != fa:16:3e:00:00:02 drop")
        && db.contains("ip saddr != 10.0.0.6 drop"), db);
    assertTrue(chain(rules, "to-ntp-bbbbbbbbbbb").contains("meta mark set meta mark or 0x00020000"), rules);
    assertTrue(rules.contains("\"ntp-aaaaaaaaaaa\" : jump from-ntp-aaaaaaaaaaa, \"ntp-bbbbbbbbbbb\" : jump from-ntp-bbbbbbbbbbb"),
        rules);
  }

  @Test
  void portsTakeTheirGroupsRulesStatefullyUnderTheGeneration() {
    String rules = PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), 7);
    assertEquals("""
        		udp sport 68 udp dport 67 jump admit
        		udp sport 546 udp dport 547 jump admit
        		jump egress-%s
        		drop
        """.formatted(WEB), chain(rules, "egress-ntp-aaaaaaaaaaa"));
    assertEquals("\t\tjump ingress-" + DB + "\n\t\tdrop\n", chain(rules, "ingress-ntp-bbbbbbbbbbb"));
    assertEquals("""
        		ip saddr . meta l4proto @in4p-%1$s jump allow
        		ip saddr . meta l4proto . th dport @in4pp-%1$s jump allow
        		meta l4proto icmp ip saddr . icmp type . icmp code @in4i-%1$s jump allow
        		ip6 saddr . meta l4proto @in6p-%1$s jump allow
        		ip6 saddr . meta l4proto . th dport @in6pp-%1$s jump allow
        		meta l4proto ipv6-icmp ip6 saddr . icmpv6 type . icmpv6 code @in6i-%1$s jump allow
        """.formatted(WEB), chain(rules, "ingress-" + WEB), "a handful of lookups, whatever the rules");
    assertTrue(chain(rules, "egress-" + WEB).startsWith("\t\tip daddr . meta l4proto @eg4p-" + WEB + " jump admit\n"),
        chain(rules, "egress-" + WEB));
    assertTrue(rules.contains("\tset in4pp-" + WEB + " {\n\t\ttype ipv4_addr . inet_proto . inet_service\n\t\tflags interval\n"), rules);
    assertTrue(rules.contains("\tset eg6i-" + DB + " {\n\t\ttype ipv6_addr . icmpv6_type . icmpv6_code\n"), rules);
    assertTrue(rules.contains("0x00000001 : jump egress-ntp-aaaaaaaaaaa, 0x00000002 : jump egress-ntp-bbbbbbbbbbb"), rules);
    assertTrue(rules.contains("0x00010000 : jump ingress-ntp-aaaaaaaaaaa, 0x00020000 : jump ingress-ntp-bbbbbbbbbbb"), rules);
    assertEquals("""
        		type filter hook forward priority filter; policy accept;
        		meta mark and 0xffffffff == 0x0 accept
        		icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld-listener-done, mld2-listener-report } accept
        		ct state invalid drop
        		ct state established,related ct direction reply accept
        		ct state established,related ct mark 7 accept
        		meta mark and 0x0000ffff vmap @egress
        		jump admit
        """, chain(rules, "forward", rules.lastIndexOf("table inet")));
    assertEquals("\t\tmeta mark and 0xffff0000 vmap @ingress\n\t\tjump allow\n", chain(rules, "admit"));
    assertEquals("\t\tct mark set 7 accept\n", chain(rules, "allow"), "the generation is in this chain and forward's only");
  }

  @Test
  void aNewGenerationReplacesItsTwoChains() {
    String text = PortFirewall.regeneration(12);
    assertTrue(text.startsWith("flush chain inet nimbus-sg allow\nadd rule inet nimbus-sg allow ct mark set 12 accept\n"
        + "flush chain inet nimbus-sg forward\n"), text);
    assertEquals(2, text.split("flush chain").length - 1, text);
  }

  @Test
  void aGroupNotKnownAllowsNothingAndARemoteGroupNotKnownHasNoMembers() {
    var sets = PortFirewall.elements(List.of(WEB_PORT), Map.of());
    assertEquals(12, sets.size(), "three kinds, two directions, two IP versions: " + sets.keySet());
    assertTrue(sets.values().stream().allMatch(List::isEmpty), sets.toString());
    assertEquals("", elements(PortFirewall.elements(List.of(WEB_PORT), Map.of(WEB, WEB_GROUP)), "in4p", WEB),
        "the db group is not known: its rule lets no one in");
    assertEquals(List.of(WEB, DB), PortFirewall.remoteGroups(List.of(WEB, DB), Map.of(WEB, WEB_GROUP, DB, DB_GROUP)));
  }

  @Test
  void aFillReplacesEachSetsElements() {
    var sets = PortFirewall.elements(List.of(DB_PORT), Map.of(DB, DB_GROUP, WEB, WEB_GROUP));
    String fill = PortFirewall.fill(sets);
    assertTrue(fill.startsWith("flush set inet nimbus-sg eg4p-" + DB + "\nflush set inet nimbus-sg eg4pp-" + DB + "\n"), fill);
    assertTrue(fill.contains("flush set inet nimbus-sg in4pp-" + DB + "\nadd element inet nimbus-sg in4pp-" + DB
        + " { 10.0.0.5 . 17 . 5000-5010 }\n"), fill);
    assertEquals(12, fill.split("flush set").length - 1, fill);
  }

  @Test
  void noPortsRemoveTheTables() {
    assertEquals("""
        table bridge nimbus-sg {}
        delete table bridge nimbus-sg
        table inet nimbus-sg {}
        delete table inet nimbus-sg
        """, PortFirewall.removal());
  }

  @Test
  void thisMachinesNftAcceptsTheRulesAndTheirMembers() throws IOException {
    Map<String, SecurityGroup> groups = Map.of(WEB, WEB_GROUP, DB, DB_GROUP);
    List<FilteredPort> both = List.of(WEB_PORT, DB_PORT);
    SecurityGroup overlapping = group(WEB, List.of(
        rule(WEB, "ingress", "IPv4", "tcp", 80, 80, "10.0.0.0/24", null),
        rule(WEB, "ingress", "IPv4", "tcp", 70, 90, "10.0.0.0/16", null),
        rule(WEB, "ingress", "IPv4", "udp", 53, 53, null, null),
        rule(WEB, "ingress", "IPv6", "icmp", 128, 0, "2001:db8::/32", null),
        rule(WEB, "ingress", "IPv6", "58", null, null, "2001:db8::/64", null),
        rule(WEB, "egress", "IPv6", "udp", 1000, 2000, null, DB)), Map.of());
    for (String rules : List.of(
        PortFirewall.ruleset(both, 7) + PortFirewall.fill(PortFirewall.elements(both, groups)),
        PortFirewall.ruleset(List.of(WEB_PORT), 1),
        PortFirewall.ruleset(List.of(), 1),
        PortFirewall.removal(),
        // one transaction: the ruleset, then a rule change (a refill of the group's sets) under a new generation
        PortFirewall.ruleset(both, 7) + PortFirewall.fill(PortFirewall.elements(both, groups))
            + PortFirewall.fill(PortFirewall.elements(both, Map.of(WEB, overlapping, DB, DB_GROUP)))
            + PortFirewall.regeneration(8))) {
      Path file = Files.writeString(dir.resolve("rules.nft"), rules);
      Shell.Result check = Shell.run(List.of("nft", "-c", "-f", file.toString()));
      assertTrue(check.ok(), check.output() + "\n" + rules);
    }
  }

  /** The rules of a chain (after its name's first appearance at or after {@code from}). */
  static String chain(String rules, String name, int from) {
    int start = rules.indexOf("\tchain " + name + " {\n", from);
    assertTrue(start >= 0, "no chain " + name + " in\n" + rules);
    start = rules.indexOf('\n', start) + 1;
    return rules.substring(start, rules.indexOf("\t}\n", start));
  }

  static String chain(String rules, String name) {
    return chain(rules, name, 0);
  }
}
