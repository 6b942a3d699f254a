package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.network.FixedIp;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.router.LinuxRouters;
import nimbus.node.router.RouterCommands;
import nimbus.node.router.RouterPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routers for real, without guests: namespace {@code rtt-host} is a hypervisor host with four
 * network bridges (as the tenant networks make them), a namespace per "guest" is joined to a
 * bridge by a veth as libvirt joins a tap, and {@code rtt-out} stands in for the outside world on
 * the external network (203.0.113.0/24, itself its subnet's gateway, with no route to the tenant
 * subnets: an answer reaches a guest only if the router translated it). {@link LinuxRouters}
 * runs inside the host namespace. Everything is named {@code rtt-} or is the test router's
 * namespace, and is removed before and after each test.
 */
class RouterNamespaceTest {
  private static final String PREFIX = "rtt-";
  private static final String HOST = PREFIX + "host";
  private static final String OUT = PREFIX + "out";
  private static final String ROUTER = "7e57a000-0000-4000-8000-000000000001";
  private static final String STRAY = "7e57b000-0000-4000-8000-000000000002";
  private static final String OTHER_HOSTS = "7e57c000-0000-4000-8000-000000000003";
  private static final String NET_A = "a1000000-0000-4000-8000-0000000000a1";
  private static final String NET_B = "b2000000-0000-4000-8000-0000000000b2";
  private static final String NET_C = "c3000000-0000-4000-8000-0000000000c3";
  private static final String EXT = "e4000000-0000-4000-8000-0000000000e4";
  private static final RouterPlan.Leg LEG_A = leg("1a000000-0000-4000-8000-00000000001a", NET_A, "fa:16:3e:00:01:01", false, "10.1.0.1/24");
  private static final RouterPlan.Leg LEG_B = leg("1b000000-0000-4000-8000-00000000001b", NET_B, "fa:16:3e:00:01:02", false, "10.2.0.1/24");
  private static final RouterPlan.Leg GATEWAY = leg("1e000000-0000-4000-8000-00000000001e", EXT, "fa:16:3e:00:01:0e", true, "203.0.113.10/24");
  private static final RouterPlan.Floating FIP = new RouterPlan.Floating("f1", "203.0.113.50", "10.1.0.10");

  /**
   * Runs the driver's commands in the host namespace, as the agent of that host would: its
   * network namespace only (ip netns exec's own mount namespace would hide the router
   * namespaces it adds).
   */
  private final CommandRunner inHost = (command, timeout) -> {
    List<String> all = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + HOST));
    all.addAll(command);
    return new ProcessRunner().run(all, timeout);
  };

  private static RouterPlan.Leg leg(String port, String network, String mac, boolean external, String address) {
    return new RouterPlan.Leg(port, network, mac, 1450, external, List.of(address),
        List.of(new FixedIp("s", address.substring(0, address.indexOf('/')))));
  }

  private static RouterPlan plan(List<RouterPlan.Floating> floating, boolean snat) {
    return new RouterPlan(ROUTER, List.of(LEG_A, LEG_B, GATEWAY), Optional.of("203.0.113.1"),
        List.of(new RouterPlan.Route("198.51.100.0/24", "203.0.113.1")),
        snat ? Optional.of("203.0.113.10") : Optional.empty(), floating);
  }

  @BeforeEach
  void makeHost() {
    removeAll();
    must("ip netns add " + HOST);
    must("ip -n " + HOST + " link set dev lo up");
    for (String net : List.of(NET_A, NET_B, NET_C, EXT)) {
      must("ip -n " + HOST + " link add " + TenantSegment.bridgeOf(net) + " mtu 1450 type bridge");
      must("ip -n " + HOST + " link set dev " + TenantSegment.bridgeOf(net) + " up");
    }
    guest("ga", NET_A, "10.1.0.10/24", "10.1.0.1");
    guest("gb", NET_B, "10.2.0.10/24", "10.2.0.1");
    guest("gc", NET_C, "10.3.0.10/24", "10.3.0.1");
    guest("out", EXT, "203.0.113.1/24", null);
    // the outside counts what reaches it by source address
    must("ip netns exec " + OUT + " nft add table ip seen");
    must("ip netns exec " + OUT + " nft add chain ip seen input { type filter hook input priority filter ; }");
    for (String source : List.of("203.0.113.10", "203.0.113.50", "10.1.0.10")) {
      must("ip netns exec " + OUT + " nft add counter ip seen c" + source.replace('.', '_'));
      must("ip netns exec " + OUT + " nft add rule ip seen input ip saddr " + source + " counter name c" + source.replace('.', '_'));
    }
  }

  private static void guest(String name, String network, String address, String gateway) {
    String netns = PREFIX + name;
    must("ip netns add " + netns);
    must("ip -n " + HOST + " link add " + PREFIX + name + " mtu 1450 type veth peer name eth0 netns " + netns);
    must("ip -n " + HOST + " link set dev " + PREFIX + name + " master " + TenantSegment.bridgeOf(network) + " up");
    must("ip -n " + netns + " link set dev eth0 up");
    must("ip -n " + netns + " link set dev lo up");
    must("ip -n " + netns + " addr add " + address + " dev eth0");
    if (gateway != null) must("ip -n " + netns + " route add default via " + gateway);
  }

  @AfterEach
  void removeAll() {
    for (String router : List.of(ROUTER, STRAY, OTHER_HOSTS)) {
      String netns = RouterCommands.namespaceOf(router);
      if (Shell.namespaces().contains(netns)) must("ip netns delete " + netns);
    }
    Shell.removeAllNamed(PREFIX);
  }

  @Test
  void subnetsJoinedByTheRouterReachEachOtherAndNoOtherSubnet() {
    new LinuxRouters(inHost).apply(plan(List.of(), true));

    Shell.assertPings(PREFIX + "ga", "10.2.0.10", "a guest reaches a guest of another subnet through the router");
    Shell.assertPings(PREFIX + "gb", "10.1.0.10", "and back");
    Shell.assertNoReply(PREFIX + "ga", "10.3.0.10", "a subnet not attached to the router is not reached");
    Shell.assertNoReply(PREFIX + "gc", "10.1.0.10", "nor reaches in");
  }

  @Test
  void trafficLeavingThroughTheGatewayLeavesFromTheGatewayAddress() {
    new LinuxRouters(inHost).apply(plan(List.of(), true));

    Shell.assertPings(PREFIX + "ga", "203.0.113.1", "a guest reaches the outside through SNAT");
    assertTrue(seen("203.0.113.10") >= 3, "the outside saw the gateway address");
    assertEquals(0, seen("10.1.0.10"), "and never the guest's own");

    new LinuxRouters(inHost).apply(plan(List.of(), false));
    Shell.assertNoReply(PREFIX + "ga", "203.0.113.1", "without SNAT the outside cannot answer a tenant address");
    assertTrue(seen("10.1.0.10") >= 3, "which then reached it untranslated");
  }

  @Test
  void aFloatingIpReachesItsGuestAndItsGuestLeavesFromIt() throws IOException {
    LinuxRouters routers = new LinuxRouters(inHost);
    routers.apply(plan(List.of(FIP), true));

    Shell.assertPings(OUT, "203.0.113.50", "the outside reaches the guest by its floating address");
    Shell.assertPings(PREFIX + "ga", "203.0.113.1", "the guest reaches the outside");
    assertTrue(seen("203.0.113.50") >= 6, "from its floating address (the outside's pings answered, then the guest's)");
    assertEquals(0, seen("203.0.113.10"), "not from the router's SNAT address");
    Shell.assertPings(PREFIX + "gb", "203.0.113.1", "another guest still leaves through SNAT");
    assertTrue(seen("203.0.113.10") >= 3);

    // a ping that runs on while the floating IP goes: conntrack would go on translating its flow
    Path log = Files.createTempFile("nrouter-ping", ".log");
    Process running = Shell.background(log, "ip", "netns", "exec", OUT, "ping", "-n", "-O", "-i", "0.2", "203.0.113.50");
    try {
      Shell.await("the running ping is answered", () -> Shell.lines(log, "bytes from") >= 3);
      routers.apply(plan(List.of(), true));
      long atRemoval = Shell.lines(log, "bytes from");
      long unansweredBefore = Shell.lines(log, "no answer yet");
      Shell.await("pings go unanswered", () -> Shell.lines(log, "no answer yet") >= unansweredBefore + 5);
      assertTrue(Shell.lines(log, "bytes from") <= atRemoval + 1,
          "the flow that ran through the floating IP ends with it:\n" + Files.readString(log));
    } finally {
      running.destroyForcibly();
      Files.deleteIfExists(log);
    }
    Shell.assertNoReply(OUT, "203.0.113.50", "the floating address answers no more once it is removed");
    long before = seen("203.0.113.50");
    Shell.assertPings(PREFIX + "ga", "203.0.113.1", "and its guest leaves through SNAT again");
    assertEquals(before, seen("203.0.113.50"));
  }

  @Test
  void applyingAgainOrFromANewInstanceChangesNothing() {
    new LinuxRouters(inHost).apply(plan(List.of(FIP), true));
    String first = state();
    new LinuxRouters(inHost).apply(plan(List.of(FIP), true));
    new LinuxRouters(inHost).apply(plan(List.of(FIP), true));

    assertEquals(first, state(), "no duplicate address, route or rule");
    assertEquals(1, first.split("203\\.0\\.113\\.50/32", -1).length - 1, "the floating address is held once");
    assertTrue(first.contains("198.51.100.0/24 via 203.0.113.1"), first);
    assertTrue(first.contains("default via 203.0.113.1"), first);
    Shell.assertPings(OUT, "203.0.113.50", "and it still works");
  }

  @Test
  void aLegRemovedFromThePlanGoesWithItsHostEnd() {
    LinuxRouters routers = new LinuxRouters(inHost);
    routers.apply(plan(List.of(), true));
    routers.apply(new RouterPlan(ROUTER, List.of(LEG_A, GATEWAY), Optional.of("203.0.113.1"), List.of(),
        Optional.of("203.0.113.10"), List.of()));

    Shell.assertNoReply(PREFIX + "ga", "10.2.0.10", "a detached subnet is no longer reached");
    assertFalse(hostDevices().contains(LEG_B.outside()), "its veth is gone from the host");
    Shell.assertPings(PREFIX + "ga", "203.0.113.1", "the rest still works");
  }

  @Test
  void removingARouterLeavesNoNamespaceDeviceOrRule() {
    LinuxRouters routers = new LinuxRouters(inHost);
    routers.apply(plan(List.of(FIP), true));
    assertTrue(hostDevices().contains(LEG_A.outside()));

    routers.remove(ROUTER);
    routers.remove(ROUTER);

    assertFalse(Shell.namespaces().contains(RouterCommands.namespaceOf(ROUTER)), "its namespace, with its rules, is gone");
    for (RouterPlan.Leg leg : List.of(LEG_A, LEG_B, GATEWAY)) {
      assertFalse(hostDevices().contains(leg.outside()), "veth " + leg.outside() + " is gone");
    }
    Shell.assertNoReply(OUT, "203.0.113.50", "its floating address answers no more");
  }

  @Test
  void aRouterWhoseLegsWentBeforeItIsRemovedToo() {
    LinuxRouters routers = new LinuxRouters(inHost);
    routers.apply(plan(List.of(FIP), true));
    // its interfaces and its gateway removed, as a user does before deleting a router
    RouterPlan legless = new RouterPlan(ROUTER, List.of(), Optional.empty(), List.of(), Optional.empty(), List.of());
    routers.apply(legless);
    routers.apply(legless);
    assertTrue(Shell.namespaces().contains(RouterCommands.namespaceOf(ROUTER)), "the router is still there, legless");

    routers.remove(ROUTER);
    assertFalse(Shell.namespaces().contains(RouterCommands.namespaceOf(ROUTER)), "then gone with the router");
  }

  @Test
  void theSweepRemovesRoutersNotPlacedHereAndLeavesOtherHostsRouters() {
    new LinuxRouters(inHost).apply(plan(List.of(), true));
    new LinuxRouters(inHost).apply(new RouterPlan(STRAY, List.of(leg("1c000000-0000-4000-8000-00000000001c", NET_C,
        "fa:16:3e:00:01:03", false, "10.3.0.1/24")), Optional.empty(), List.of(), Optional.empty(), List.of()));
    Shell.assertPings(PREFIX + "gc", "10.3.0.1", "the stray router answers on its subnet");
    // another host's router on this machine: no leg of it is on this host
    must("ip netns add " + RouterCommands.namespaceOf(OTHER_HOSTS));

    LinuxRouters restarted = new LinuxRouters(inHost);
    assertEquals(Set.of(RouterCommands.namespaceOf(ROUTER), RouterCommands.namespaceOf(STRAY)), restarted.namespaces(),
        "a new instance finds the routers of this host, and only those");
    restarted.sweep(Set.of(ROUTER));

    assertEquals(Set.of(RouterCommands.namespaceOf(ROUTER)), restarted.namespaces(), "the stray router is swept");
    assertFalse(Shell.namespaces().contains(RouterCommands.namespaceOf(STRAY)));
    assertFalse(hostDevices().contains("ntp-1c000000-00"), "with its veth");
    assertTrue(Shell.namespaces().contains(RouterCommands.namespaceOf(OTHER_HOSTS)), "another host's router stays");
    Shell.assertNoReply(PREFIX + "gc", "10.3.0.1", "the stray router answers no more");
    Shell.assertPings(PREFIX + "ga", "10.2.0.10", "the router placed here still routes");
  }

  /** How many packets from {@code source} reached the outside. */
  private static long seen(String source) {
    String out = must("ip netns exec " + OUT + " nft list counter ip seen c" + source.replace('.', '_'));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(out);
    assertTrue(m.find(), out);
    return Long.parseLong(m.group(1));
  }

  private static String state() {
    String netns = RouterCommands.namespaceOf(ROUTER);
    return must("ip -n " + netns + " -o addr show") + must("ip -n " + netns + " route show")
        + must("ip netns exec " + netns + " nft list ruleset") + must("ip -n " + HOST + " -o link show master "
        + TenantSegment.bridgeOf(NET_A));
  }

  private static Set<String> hostDevices() {
    return TenantCommands.deviceNames(must("ip -n " + HOST + " -o link show"));
  }

  private static String must(String command) {
    Shell.Result result = Shell.run(List.of(command.split(" ")));
    if (!result.ok()) throw new AssertionError(command + ": " + result.output());
    return result.output();
  }
}
