package nimbus.node.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.FilteredPort;
import nimbus.node.dataplane.PortFilter;

/**
 * {@code nimbus bench groups}: security groups on one host (a network namespace with a bridge and
 * two guest namespaces, plus {@code --ports} filtered ports in all): the time from a group change
 * to its rules in force, for a rule change (the group's chains replaced) and a membership change (a set
 * update); and a ping's round trip through a port whose group has 1 rule and 1,000 rules, of a
 * running ping and of {@code --connections} pings of one packet each (a new connection each, so
 * the packet meets the group's rules: the rest of a running ping passes on its connection). Needs
 * root; everything it makes is named {@code nsgb-} and removed at the end.
 */
final class GroupBenchmark {
  private static final String PREFIX = "nsgb-";
  private static final String HOST = PREFIX + "host";
  private static final String BRIDGE = PREFIX + "br";
  private static final String GROUP = "b0000000-0000-4000-8000-000000000001";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final CommandRunner ROOT = new ProcessRunner();

  private GroupBenchmark() {}

  static int run(Map<String, String> options) {
    int ports = Integer.parseInt(options.getOrDefault("ports", "100"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "20"));
    CommandRunner inHost = (command, timeout) -> {
      List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", HOST));
      all.addAll(command);
      return ROOT.run(all, timeout);
    };
    try {
      cleanUp();
      sh("ip netns add " + HOST);
      sh("ip -n " + HOST + " link add " + BRIDGE + " type bridge");
      sh("ip -n " + HOST + " link set dev " + BRIDGE + " up");
      List<FilteredPort> filtered = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        String guest = PREFIX + "g" + i;
        sh("ip netns add " + guest);
        sh("ip -n " + HOST + " link add " + PREFIX + "t" + i + " type veth peer name eth0 address fa:16:3e:00:01:0" + i
            + " netns " + guest);
        sh("ip -n " + HOST + " link set dev " + PREFIX + "t" + i + " master " + BRIDGE + " up");
        sh("ip -n " + guest + " addr add 10.67.0." + i + "/16 dev eth0");
        sh("ip -n " + guest + " link set dev eth0 up");
        filtered.add(port(PREFIX + "t" + i, "fa:16:3e:00:01:0" + i, "10.67.0." + i));
      }
      // the other ports have no guest behind them: their rules are there all the same
      for (int i = 3; i <= ports; i++) {
        filtered.add(port(PREFIX + "x" + i, String.format("fa:16:3e:00:02:%02x", i % 256), "10.67.1." + (i % 250)));
      }
      PortFilter filter = new PortFilter(inHost);
      List<Long> ruleChanges = new ArrayList<>();
      List<Long> memberChanges = new ArrayList<>();
      // the ports' first filter is the whole ruleset, as an agent's start writes it: not a change
      filter.apply(filtered, Map.of(GROUP, group(2, 2)));
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        filter.apply(filtered, Map.of(GROUP, group(r % 2 == 0 ? 1 : 2, 2)));
        ruleChanges.add(System.nanoTime() - t0);
        long t1 = System.nanoTime();
        filter.apply(filtered, Map.of(GROUP, group(r % 2 == 0 ? 1 : 2, 3 + r)));
        memberChanges.add(System.nanoTime() - t1);
      }
      System.out.printf("rule change to in force (its group's chains, %d ports): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          ports, BenchHarness.percentileMs(ruleChanges, 50), BenchHarness.percentileMs(ruleChanges, 99),
          BenchHarness.percentileMs(ruleChanges, 100));
      System.out.printf("membership change to in force (set update, %d ports): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          ports, BenchHarness.percentileMs(memberChanges, 50), BenchHarness.percentileMs(memberChanges, 99),
          BenchHarness.percentileMs(memberChanges, 100));
      int connections = Integer.parseInt(options.getOrDefault("connections", "200"));
      for (int rules : List.of(1, 1000)) {
        filter.apply(filtered, Map.of(GROUP, group(rules, 2)));
        ROOT.run(List.of("ip", "netns", "exec", PREFIX + "g1", "ping", "-c", "3", "-W", "2", "10.67.0.2"), TIMEOUT);
        String out = ROOT.run(List.of("ip", "netns", "exec", PREFIX + "g1", "ping", "-q", "-n", "-c", "500", "-i", "0.005",
            "10.67.0.2"), TIMEOUT);
        System.out.printf("ping through a port with %d rule(s) in its group: %s%n", rules,
            out.lines().filter(l -> l.startsWith("rtt")).findFirst().orElse(out));
        // each ping process is a new ICMP id, so a new connection: its one packet walks the group's rules
        List<Long> firsts = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
          String one = ROOT.run(List.of("ip", "netns", "exec", PREFIX + "g1", "ping", "-n", "-c", "1", "-W", "2",
              "10.67.0.2"), TIMEOUT);
          String time = one.substring(one.indexOf("time=") + 5);
          firsts.add(Math.round(Double.parseDouble(time.substring(0, time.indexOf(' '))) * 1_000_000));
        }
        System.out.printf("new connection's round trip (ping -c 1) through %d rule(s), %d connections: p50 %.3f ms,"
            + " p99 %.3f ms, max %.3f ms%n", rules, connections, BenchHarness.percentileMs(firsts, 50),
            BenchHarness.percentileMs(firsts, 99), BenchHarness.percentileMs(firsts, 100));
      }
      return 0;
    } finally {
      cleanUp();
    }
  }

  private static FilteredPort port(String tap, String mac, String ip) {
    return new FilteredPort(tap, BRIDGE, mac, List.of(ip), List.of(), List.of(GROUP));
  }

  /**
   * The group: {@code rules} ingress rules, all but the last TCP ports no ping matches, the last
   * ICMP from the group's members; {@code members} member addresses (the two guests among them).
   */
  private static SecurityGroup group(int rules, int members) {
    List<SecurityGroupRule> list = new ArrayList<>();
    for (int i = 1; i < rules; i++) list.add(rule("tcp", Optional.of(1000 + i), Optional.empty()));
    list.add(rule("icmp", Optional.empty(), Optional.of(GROUP)));
    list.add(new SecurityGroupRule("egress", GROUP, "p", SecurityGroupRule.EGRESS, "IPv4", Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "", Instant.EPOCH, Instant.EPOCH, 0));
    Map<String, List<String>> memberAddresses = new HashMap<>();
    for (int i = 1; i <= members; i++) memberAddresses.put("m" + i, List.of("10.67." + (i / 250) + "." + (i % 250)));
    return new SecurityGroup(GROUP, "p", "bench", "", true, list, memberAddresses, List.of(), Instant.EPOCH,
        Instant.EPOCH, 0, false);
  }

  private static SecurityGroupRule rule(String protocol, Optional<Integer> port, Optional<String> remoteGroup) {
    return new SecurityGroupRule(protocol + port.orElse(0), GROUP, "p", SecurityGroupRule.INGRESS, "IPv4",
        Optional.of(protocol), port, port, Optional.empty(), remoteGroup, "", Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static void sh(String command) {
    ROOT.run(List.of(command.split(" ")), TIMEOUT);
  }

  private static void cleanUp() {
    for (String netns : List.of(HOST, PREFIX + "g1", PREFIX + "g2")) {
      try {
        ROOT.run(List.of("ip", "netns", "delete", netns), TIMEOUT);
      } catch (IllegalStateException e) {
        // not there: nothing to remove
      }
    }
  }
}
