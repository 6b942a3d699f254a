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

  @Test
  void rulesMatchTheirProtocolsPortsIcmpTypesAndRemotes() {
    assertEquals("meta nfproto ipv4 meta l4proto 6 th dport 80", PortFirewall.match(WEB_GROUP.rules().get(0)));
    assertEquals("meta nfproto ipv4 ip saddr @r4-" + DB, PortFirewall.match(WEB_GROUP.rules().get(1)));
    assertEquals("meta nfproto ipv4", PortFirewall.match(WEB_GROUP.rules().get(2)), "any protocol, anywhere");
    assertEquals("meta nfproto ipv6", PortFirewall.match(WEB_GROUP.rules().get(3)), "::/0 is anywhere");
    assertEquals("meta nfproto ipv4 ip saddr 10.0.0.0/24 meta l4proto 1 icmp type 8 icmp code 0",
        PortFirewall.match(DB_GROUP.rules().get(0)));
    assertEquals("meta nfproto ipv6 meta l4proto 58", PortFirewall.match(DB_GROUP.rules().get(1)),
        "icmp on an IPv6 rule means ICMPv6");
    assertEquals("meta nfproto ipv4 ip saddr @r4-" + WEB + " meta l4proto 17 th dport 5000-5010",
        PortFirewall.match(DB_GROUP.rules().get(2)));
    assertEquals("meta nfproto ipv4 meta l4proto 112", PortFirewall.match(DB_GROUP.rules().get(3)), "by number");
    assertEquals("meta nfproto ipv4 ip daddr 192.0.2.0/24 meta l4proto 6 th dport 22",
        PortFirewall.match(rule(WEB, "egress", "IPv4", "tcp", 22, null, "192.0.2.0/24", null)), "egress: the destination");
  }

  @Test
  void aPortSendsOnlyFromItsMacAndAddressesAndNeverAsADhcpServerOrRouter() {
    String rules = PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), Map.of(WEB, WEB_GROUP, DB, DB_GROUP), 7);
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
    String rules = PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), Map.of(WEB, WEB_GROUP, DB, DB_GROUP), 7);
    assertEquals("""
        		udp sport 68 udp dport 67 jump admit
        		udp sport 546 udp dport 547 jump admit
        		jump egress-%s
        		drop
        """.formatted(WEB), chain(rules, "egress-ntp-aaaaaaaaaaa"));
    assertEquals("\t\tjump ingress-" + DB + "\n\t\tdrop\n", chain(rules, "ingress-ntp-bbbbbbbbbbb"));
    assertEquals("""
        		meta nfproto ipv4 meta l4proto 6 th dport 80 jump allow
        		meta nfproto ipv4 ip saddr @r4-%s jump allow
        """.formatted(DB), chain(rules, "ingress-" + WEB));
    assertEquals("\t\tmeta nfproto ipv4 jump admit\n\t\tmeta nfproto ipv6 jump admit\n", chain(rules, "egress-" + WEB));
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
  void aRuleChangeReplacesTheGroupsChainsAndTheGenerationOnly() {
    SecurityGroup web = group(WEB, List.of(rule(WEB, "ingress", "IPv4", "tcp", 443, 443, null, null),
        rule(WEB, "egress", "IPv4", null, null, null, null, null)), WEB_GROUP.members());
    Map<String, SecurityGroup> groups = Map.of(WEB, web, DB, DB_GROUP);
    String change = PortFirewall.ruleChange(List.of(WEB), groups, List.of(WEB, DB), List.of(WEB), Map.of(), 8);
    assertEquals("""
        flush chain inet nimbus-sg egress-%1$s
        add rule inet nimbus-sg egress-%1$s meta nfproto ipv4 jump admit
        flush chain inet nimbus-sg ingress-%1$s
        add rule inet nimbus-sg ingress-%1$s meta nfproto ipv4 meta l4proto 6 th dport 443 jump allow
        flush chain inet nimbus-sg allow
        add rule inet nimbus-sg allow ct mark set 8 accept
        flush chain inet nimbus-sg forward
        """.formatted(WEB), change.substring(0, change.indexOf("add rule inet nimbus-sg forward")));
    assertTrue(change.contains("add rule inet nimbus-sg forward ct state established,related ct mark 8 accept\n"), change);
    assertTrue(change.endsWith("delete set inet nimbus-sg r4-%1$s\ndelete set inet nimbus-sg r6-%1$s\n".formatted(DB)),
        "the web group's rules named the db group, none does now: " + change);
    assertFalse(change.contains(DB + " ") || change.contains("ntp-") || change.contains("table"),
        "no other group's chain, no port's chain, no table is touched: " + change);
  }

  @Test
  void aRuleNamingANewRemoteGroupAddsItsSetsFilledBeforeTheRuleThatUsesThem() {
    Map<String, SecurityGroup> groups = Map.of(WEB, WEB_GROUP, DB, DB_GROUP);
    String change = PortFirewall.ruleChange(List.of(WEB), groups, List.of(), List.of(DB),
        Map.of("r4-" + DB, java.util.Set.of("10.0.0.6")), 9);
    int set = change.indexOf("\tset r4-" + DB + " {");
    int element = change.indexOf("add element inet nimbus-sg r4-" + DB + " { 10.0.0.6 }");
    int rule = change.indexOf("@r4-" + DB);
    assertTrue(set >= 0 && set < element && element < rule, change);
    assertFalse(change.contains("delete"), change);
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
    String rules = PortFirewall.ruleset(List.of(WEB_PORT), Map.of(), 1);
    assertEquals("", chain(rules, "ingress-" + WEB));
    assertEquals("", chain(rules, "egress-" + WEB));
    assertFalse(rules.contains("set r4-"), "no rule names a remote group");
    assertEquals("flush set inet nimbus-sg r4-" + DB + "\nflush set inet nimbus-sg r6-" + DB + "\n",
        PortFirewall.members(List.of(WEB_PORT), Map.of(WEB, WEB_GROUP)));
  }

  @Test
  void remoteGroupsAreSetsOfTheirMembersAddressesReplacedWhole() {
    Map<String, SecurityGroup> groups = Map.of(WEB, WEB_GROUP, DB, DB_GROUP);
    assertEquals(List.of(WEB, DB), PortFirewall.remoteGroups(List.of(WEB, DB), groups));
    assertEquals("""
        flush set inet nimbus-sg r4-%1$s
        add element inet nimbus-sg r4-%1$s { 10.0.0.5 }
        flush set inet nimbus-sg r6-%1$s
        flush set inet nimbus-sg r4-%2$s
        add element inet nimbus-sg r4-%2$s { 10.0.0.6, 10.0.1.0/28 }
        flush set inet nimbus-sg r6-%2$s
        add element inet nimbus-sg r6-%2$s { 2001:db8:1::7 }
        """.formatted(WEB, DB), PortFirewall.members(List.of(WEB_PORT, DB_PORT), groups));
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
    for (String rules : List.of(
        PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), groups, 7) + PortFirewall.members(List.of(WEB_PORT, DB_PORT), groups),
        PortFirewall.ruleset(List.of(WEB_PORT), Map.of(), 1),
        PortFirewall.ruleset(List.of(), Map.of(), 1),
        PortFirewall.removal(),
        // one transaction: the ruleset, then a rule change (a set's removal is tried for real in PortFilterNamespaceTest:
        // the kernel refuses it in the transaction that made the rules naming it)
        PortFirewall.ruleset(List.of(WEB_PORT, DB_PORT), groups, 7) + PortFirewall.members(List.of(WEB_PORT, DB_PORT), groups)
            + PortFirewall.ruleChange(List.of(DB), Map.of(WEB, WEB_GROUP, DB, group(DB, List.of(), DB_GROUP.members())),
                List.of(WEB, DB), List.of(WEB, DB), Map.of(), 8),
        PortFirewall.ruleset(List.of(WEB_PORT), Map.of(), 1) + PortFirewall.ruleChange(List.of(WEB), groups, List.of(),
            List.of(DB), PortFirewall.memberSets(List.of(WEB_PORT), groups), 2) + PortFirewall.regeneration(3))) {
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
