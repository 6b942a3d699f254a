package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security groups for real: a host namespace with a bridge, and guest namespaces behind veths
 * joined to it as libvirt joins taps; {@link PortFilter} writes the rules with this machine's
 * nftables inside the host namespace, and the guests ping, connect and forge. Everything is
 * named {@code nsgf-}.
 */
class PortFilterNamespaceTest {
  private static final String PREFIX = "nsgf-";
  private static final String HOST = PREFIX + "host";
  private static final String BRIDGE = PREFIX + "br";
  private static final String DEFAULT = "5ec0a1b2-0000-4000-8000-00000000000d";
  private static final String OTHER = "5ec0a1b2-0000-4000-8000-00000000000e";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final CommandRunner ROOT = new ProcessRunner();
  /** The host namespace's commands, as the agent of that host would run them. */
  private static final CommandRunner IN_HOST = (command, timeout) -> {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", HOST));
    all.addAll(command);
    return ROOT.run(all, timeout);
  };

  private record Guest(int n, String netns, String tap, String mac, String ip) {
    FilteredPort port(String... groups) {
      return new FilteredPort(tap, BRIDGE, mac, List.of(ip), List.of(), List.of(groups));
    }
  }

  private final Guest g1 = guest(1);
  private final Guest g2 = guest(2);
  private final Guest g3 = guest(3);
  private final Guest g4 = guest(4);
  private final List<Process> started = new ArrayList<>();
  private PortFilter filter;

  @TempDir
  Path dir;

  private static Guest guest(int n) {
    return new Guest(n, PREFIX + "g" + n, PREFIX + "t" + n, "fa:16:3e:00:00:0" + n, "10.66.0." + (10 + n));
  }

  @BeforeEach
  void hostWithFourGuests() {
    Shell.removeAllNamed(PREFIX);
    root("ip netns add " + HOST);
    host("ip link add " + BRIDGE + " type bridge");
    host("ip link set dev " + BRIDGE + " up");
    for (Guest g : List.of(g1, g2, g3, g4)) {
      root("ip netns add " + g.netns());
      root("ip -n " + HOST + " link add " + g.tap() + " type veth peer name eth0 address " + g.mac() + " netns " + g.netns());
      host("ip link set dev " + g.tap() + " master " + BRIDGE + " up");
      in(g, "ip addr add " + g.ip() + "/24 dev eth0");
      in(g, "ip link set dev eth0 up");
      in(g, "ip link set dev lo up");
    }
    filter = new PortFilter(IN_HOST);
  }

  @AfterEach
  void removeAll() {
    started.forEach(Process::destroyForcibly);
    Shell.removeAllNamed(PREFIX);
  }

  /** Neutron's default group: ingress from its own members only, egress anywhere. */
  private SecurityGroup defaultGroup(List<Guest> members, SecurityGroupRule... extra) {
    List<SecurityGroupRule> rules = new ArrayList<>(List.of(
        PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", null, null, null, null, DEFAULT),
        PortFirewallTest.rule(DEFAULT, "egress", "IPv4", null, null, null, null, null)));
    rules.addAll(List.of(extra));
    return PortFirewallTest.group(DEFAULT, rules, members(members));
  }

  private static Map<String, List<String>> members(List<Guest> guests) {
    Map<String, List<String>> members = new java.util.HashMap<>();
    guests.forEach(g -> members.put(g.tap(), List.of(g.ip())));
    return members;
  }

  /** A group that lets everything out and nothing in. */
  private static SecurityGroup otherGroup(List<Guest> members) {
    return PortFirewallTest.group(OTHER, List.of(PortFirewallTest.rule(OTHER, "egress", "IPv4", null, null, null, null, null)),
        members(members));
  }

  @Test
  void theDefaultGroupLetsInItsMembersAndAnIcmpRuleItsRemovalStopsARunningPing() throws Exception {
    List<FilteredPort> ports = List.of(g1.port(DEFAULT), g2.port(DEFAULT), g3.port(OTHER));
    filter.apply(ports, Map.of(DEFAULT, defaultGroup(List.of(g1, g2)), OTHER, otherGroup(List.of(g3))));
    Shell.assertPings(g2.netns(), g1.ip(), "a member of the default group pings in");
    Shell.assertNoReply(g3.netns(), g1.ip(), "a guest of another group cannot");
    Shell.assertPings(g1.netns(), g2.ip(), "and members reach each other both ways");

    SecurityGroupRule icmp = PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", "icmp", null, null, "0.0.0.0/0", null);
    filter.apply(ports, Map.of(DEFAULT, defaultGroup(List.of(g1, g2), icmp), OTHER, otherGroup(List.of(g3))));
    Shell.assertPings(g3.netns(), g1.ip(), "an ICMP rule lets the other group's guest in");

    Path log = dir.resolve("ping.log");
    Process ping = new ProcessBuilder("ip", "netns", "exec", g3.netns(), "ping", "-n", "-O", "-i", "0.2", "-W", "1", g1.ip())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(ping);
    await("the running ping is answered", () -> replies(log) >= 3);
    filter.apply(ports, Map.of(DEFAULT, defaultGroup(List.of(g1, g2)), OTHER, otherGroup(List.of(g3))));
    // the flow stops at once: no more than what was on the wire when the rule went
    long atRemoval = replies(log);
    long unansweredBefore = unanswered(log);
    await("pings go unanswered", () -> unanswered(log) >= unansweredBefore + 5);
    assertTrue(replies(log) <= atRemoval + 1, "the running ping is stopped by the rule's removal:\n" + Files.readString(log));
    assertTrue(ping.isAlive(), "the ping was still sending");
    Shell.assertNoReply(g3.netns(), g1.ip(), "and a new one is blocked again");
  }

  @Test
  void aTcpRuleLetsItsPortOnlyAmongAThousandRules() {
    // 999 rules that must not let 8081 in from g3: from anywhere, overlapping TCP ranges above it and UDP 8081;
    // TCP 8081 itself only from other prefixes
    List<SecurityGroupRule> rules = new ArrayList<>(List.of(
        PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", "udp", 8081, 8081, null, null)));
    for (int i = 1; i < 999; i++) {
      String prefix = i % 3 == 0 ? null : i % 3 == 1 ? "192.0." + (i % 250) + ".0/24" : "10.66.0.200/29";
      int port = prefix == null ? 8082 + i : 8000 + i % 100;
      rules.add(PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", "tcp", port, port + i % 5, prefix, null));
    }
    rules.add(PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", "tcp", 8080, 8080, null, null));
    filter.apply(List.of(g1.port(DEFAULT), g3.port(OTHER)),
        Map.of(DEFAULT, defaultGroup(List.of(g1), rules.toArray(SecurityGroupRule[]::new)), OTHER, otherGroup(List.of(g3))));
    listen(g1, "8080");
    listen(g1, "8081");
    await("both listen", () -> connects(g1, g1.ip(), "8081") && connects(g1, g1.ip(), "8080"));
    assertTrue(connects(g3, g1.ip(), "8080"), "port 8080 is let in");
    assertFalse(connects(g3, g1.ip(), "8081"), "port 8081 is not");
  }

  @Test
  void aGuestForgingItsAddressOrMacIsNotLetThroughAndAnUnfilteredPortIsLeftAlone() {
    filter.apply(List.of(g1.port(DEFAULT), g2.port(DEFAULT)), Map.of(DEFAULT, defaultGroup(List.of(g1, g2))));
    Shell.assertPings(g1.netns(), g2.ip(), "from its own address and MAC");
    in(g1, "ip addr add 10.66.0.99/24 dev eth0");
    Shell.assertNoReply(g1.netns(), g2.ip(), "not from an address that is not its own (even one of the group's subnet)",
        "-I", "10.66.0.99");
    in(g4, "ip addr add 10.66.0.98/24 dev eth0");
    Shell.assertPings(g4.netns(), g3.ip(), "a port with port security off is not filtered: it may send from any address",
        "-I", "10.66.0.98");
    in(g1, "ip link set dev eth0 address fa:16:3e:00:00:77");
    Shell.assertNoReply(g1.netns(), g2.ip(), "nor from a MAC that is not its own");
  }

  @Test
  void aRemoteGroupRuleFollowsItsMembersAsASetUpdateAndALeavingMemberLosesItsFlows() throws Exception {
    SecurityGroup fromOther = PortFirewallTest.group(DEFAULT, List.of(
        PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", null, null, null, null, OTHER)), members(List.of(g1)));
    List<FilteredPort> ports = List.of(g1.port(DEFAULT), g2.port(OTHER), g3.port(OTHER));
    filter.apply(ports, Map.of(DEFAULT, fromOther, OTHER, otherGroup(List.of(g2))));
    String rules = IN_HOST.run(List.of("nft", "list", "table", "inet", PortFirewall.TABLE), TIMEOUT);
    Shell.assertPings(g2.netns(), g1.ip(), "a member of the remote group pings in");
    Shell.assertNoReply(g3.netns(), g1.ip(), "a guest of the group that is not yet a member cannot");

    filter.apply(ports, Map.of(DEFAULT, fromOther, OTHER, otherGroup(List.of(g2, g3))));
    Shell.assertPings(g3.netns(), g1.ip(), "once a member, it can");
    String after = IN_HOST.run(List.of("nft", "list", "table", "inet", PortFirewall.TABLE), TIMEOUT);
    assertEquals(generationOf(rules), generationOf(after), "a membership change is a set update, not a new ruleset");

    Path log = dir.resolve("member-ping.log");
    Process ping = new ProcessBuilder("ip", "netns", "exec", g3.netns(), "ping", "-n", "-O", "-i", "0.2", "-W", "1", g1.ip())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(ping);
    await("the member's running ping is answered", () -> replies(log) >= 3);
    filter.apply(ports, Map.of(DEFAULT, fromOther, OTHER, otherGroup(List.of(g2))));
    long atLeaving = replies(log);
    long unansweredBefore = unanswered(log);
    await("its pings go unanswered", () -> unanswered(log) >= unansweredBefore + 5);
    assertTrue(replies(log) <= atLeaving + 1, "a member that leaves loses its established flow too:\n" + read(log));
    Shell.assertNoReply(g3.netns(), g1.ip(), "and no new one gets in");
  }

  @Test
  void aRuleChangeReplacesItsGroupsChainsOnlyAndAGroupNoLongerUsedLeavesNothing() {
    List<FilteredPort> ports = List.of(g1.port(DEFAULT), g2.port(DEFAULT), g3.port(OTHER));
    filter.apply(ports, Map.of(DEFAULT, defaultGroup(List.of(g1, g2)), OTHER, otherGroup(List.of(g3))));
    Shell.assertPings(g2.netns(), g1.ip(), "a member pings in");
    Shell.assertNoReply(g3.netns(), g1.ip(), "the other group's guest cannot");
    List<String> untouched = List.of("inet ingress-" + OTHER, "inet egress-" + OTHER, "inet egress-" + g3.tap(),
        "inet ingress-" + g1.tap(), "inet egress-" + g1.tap(), "bridge from-" + g1.tap(), "bridge from-" + g3.tap());
    Map<String, String> before = listings(untouched);
    assertTrue(before.get("inet egress-" + g1.tap()).contains("jump egress-" + DEFAULT), before.toString());

    // the default group's rules change: its members' set is no longer named, an ICMP rule is new
    SecurityGroup icmpOnly = PortFirewallTest.group(DEFAULT, List.of(
        PortFirewallTest.rule(DEFAULT, "ingress", "IPv4", "icmp", null, null, "0.0.0.0/0", null),
        PortFirewallTest.rule(DEFAULT, "egress", "IPv4", null, null, null, null, null)), members(List.of(g1, g2)));
    filter.apply(ports, Map.of(DEFAULT, icmpOnly, OTHER, otherGroup(List.of(g3))));
    Shell.assertPings(g3.netns(), g1.ip(), "the new rule is in force");
    // rules rewritten would have new handles: these are the very rules of before
    assertEquals(before, listings(untouched), "the other group's chains and the ports' chains are as they were");
    String sets = IN_HOST.run(List.of("nft", "list", "set", "inet", PortFirewall.TABLE, "in4p-" + DEFAULT), TIMEOUT);
    assertFalse(sets.contains(g2.ip()), "no rule names the group's members any more: their addresses are gone\n" + sets);

    filter.apply(List.of(g1.port(DEFAULT), g2.port(DEFAULT), g3.port(DEFAULT)), Map.of(DEFAULT, icmpOnly));
    String table = IN_HOST.run(List.of("nft", "list", "table", "inet", PortFirewall.TABLE), TIMEOUT);
    assertFalse(table.contains(OTHER), "no port uses the other group: nothing of it is left\n" + table);
    Shell.assertPings(g3.netns(), g1.ip(), "and its guest is under the default group's rules");
  }

  /** {@code nft -a list chain} (rules with their handles) of each "family chain". */
  private static Map<String, String> listings(List<String> chains) {
    Map<String, String> listed = new java.util.LinkedHashMap<>();
    for (String chain : chains) {
      String[] parts = chain.split(" ");
      listed.put(chain, IN_HOST.run(List.of("nft", "-a", "list", "chain", parts[0], PortFirewall.TABLE, parts[1]), TIMEOUT));
    }
    return listed;
  }

  @Test
  void dhcpServerRepliesFromAGuestAreDropped() {
    filter.apply(List.of(g1.port(DEFAULT), g2.port(DEFAULT)), Map.of(DEFAULT, defaultGroup(List.of(g1, g2))));
    Path heard = dir.resolve("heard");
    started.add(start(List.of("ip", "netns", "exec", g2.netns(), "nc", "-k", "-u", "-l", "68"), heard));
    // the same datagram from another source port arrives: the listener hears, and the groups let it in
    await("a datagram from another port is heard", () -> {
      send(g1, "6000", "plain");
      return read(heard).contains("plain");
    });
    send(g1, "67", "offer");
    send(g1, "6000", "after");
    await("the datagram sent after it is heard", () -> read(heard).contains("after"));
    assertFalse(read(heard).contains("offer"), "a DHCP server reply from a guest is dropped: " + read(heard));
  }

  @Test
  void aRestartedAgentReplacesTheRulesAndNoPortsLeaveNoTables() {
    filter.apply(List.of(g1.port(DEFAULT), g2.port(DEFAULT), g3.port(OTHER)),
        Map.of(DEFAULT, defaultGroup(List.of(g1, g2)), OTHER, otherGroup(List.of(g3))));
    Shell.assertPings(g2.netns(), g1.ip(), "filtered and reachable");
    PortFilter restarted = new PortFilter(IN_HOST);
    restarted.apply(List.of(g1.port(DEFAULT)), Map.of(DEFAULT, defaultGroup(List.of(g1))));
    Shell.assertNoReply(g2.netns(), g1.ip(), "the new agent's rules are in force, not the old ones");
    String table = IN_HOST.run(List.of("nft", "list", "table", "inet", PortFirewall.TABLE), TIMEOUT);
    assertFalse(table.contains(OTHER) || table.contains(g3.tap()),
        "the group and port the earlier agent filtered and this one does not are gone\n" + table);
    restarted.apply(List.of(), Map.of());
    String tables = IN_HOST.run(List.of("nft", "list", "tables"), TIMEOUT);
    assertFalse(tables.contains(PortFirewall.TABLE), tables);
    Shell.assertPings(g2.netns(), g1.ip(), "nothing is filtered any more");
  }

  private static String generationOf(String rules) {
    int at = rules.indexOf("ct mark set ");
    return rules.substring(at, rules.indexOf(' ', at + "ct mark set ".length()));
  }

  private void listen(Guest g, String port) {
    started.add(start(List.of("ip", "netns", "exec", g.netns(), "nc", "-k", "-l", port), dir.resolve("nc-" + port)));
  }

  private static boolean connects(Guest from, String ip, String port) {
    return Shell.in(from.netns(), "nc", "-z", "-w", "2", ip, port).ok();
  }

  private static void send(Guest from, String sourcePort, String text) {
    Shell.run(List.of("sh", "-c", "echo " + text + " | ip netns exec " + from.netns() + " nc -u -w 1 -p " + sourcePort
        + " " + "10.66.0.12 68"));
  }

  private static Process start(List<String> command, Path output) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static long replies(Path log) {
    return read(log).lines().filter(l -> l.contains("bytes from")).count();
  }

  /** ping -O's lines for requests that got no answer before the next was sent. */
  private static long unanswered(Path log) {
    return read(log).lines().filter(l -> l.contains("no answer yet")).count();
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within 15 s");
      try {
        Thread.sleep(100); // between polls: each one runs a command
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  private static void root(String command) {
    ROOT.run(List.of(command.split(" ")), TIMEOUT);
  }

  private static void host(String command) {
    IN_HOST.run(List.of(command.split(" ")), TIMEOUT);
  }

  private static void in(Guest g, String command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", g.netns()));
    all.addAll(List.of(command.split(" ")));
    ROOT.run(all, TIMEOUT);
  }
}
