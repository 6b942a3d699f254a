package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.node.agent.ProcessRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * VXLAN tenant networks for real, without guests: two network namespaces are two hypervisor
 * hosts on an underlay (a bridge in the root namespace, 10.251.0.0/24), TenantCommands' lines
 * build the networks in each, and a namespace per guest, joined by a veth to its host's bridge
 * as libvirt joins a tap, pings across. Everything this test makes is named {@code ntdp-}
 * (tenant dataplane) outside the host namespaces, and removed before and after each run.
 */
class TenantNetworkNamespaceTest {
  private static final String PREFIX = "ntdp-";
  private static final String UNDERLAY = PREFIX + "ul";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final int MTU = 1450;

  private final ProcessRunner run = new ProcessRunner();

  /** One simulated hypervisor host: its namespace and its address on the underlay. */
  private record Host(String netns, String underlay) {
    TenantCommands commands(TenantSegment segment) {
      return new TenantCommands(segment, underlay, Map.of(), Optional.of(netns));
    }
  }

  /** A guest: its own namespace, its port (so its tap's name), its MAC and address. */
  private record Guest(String netns, String portId, String mac, String ip) {}

  private final Host host1 = new Host(PREFIX + "h1", "10.251.0.11");
  private final Host host2 = new Host(PREFIX + "h2", "10.251.0.12");
  private final TenantSegment netA = vxlan("a1a1a1a1-0000-4000-8000-00000000000a", 1001);
  private final TenantSegment netB = vxlan("b2b2b2b2-0000-4000-8000-00000000000b", 1002);
  private final Guest a1 = new Guest(PREFIX + "a1", "a1000000-0000-4000-8000-000000000001", "fa:16:3e:77:0a:01", "192.168.77.1");
  private final Guest a2 = new Guest(PREFIX + "a2", "a2000000-0000-4000-8000-000000000002", "fa:16:3e:77:0a:02", "192.168.77.2");
  private final Guest b3 = new Guest(PREFIX + "b3", "b3000000-0000-4000-8000-000000000003", "fa:16:3e:77:0b:03", "192.168.77.3");
  private final Guest b4 = new Guest(PREFIX + "b4", "b4000000-0000-4000-8000-000000000004", "fa:16:3e:77:0b:04", "192.168.77.4");

  private static TenantSegment vxlan(String id, int vni) {
    return new TenantSegment(id, NetworkType.VXLAN, Optional.of(vni), Optional.empty(), MTU);
  }

  @BeforeEach
  void makeUnderlay() {
    Shell.removeAllNamed(PREFIX); // a run killed before its @AfterEach left these
    Shell.underlay(UNDERLAY, PREFIX, new java.util.LinkedHashMap<>(java.util.Map.of(
        host1.netns(), host1.underlay(), host2.netns(), host2.underlay())));
  }

  @AfterEach
  void removeUnderlay() {
    Shell.removeAllNamed(PREFIX);
  }

  @Test
  void guestsOnTwoHostsShareAVxlanNetworkAtItsMtuAndNoOtherNetwork() {
    build(netA, a1, a2);
    build(netB, b3, b4);

    Shell.assertPings(a1.netns(), a2.ip(), "a guest reaches a guest on the other host");
    Shell.assertPings(a2.netns(), a1.ip(), "and back");
    Shell.assertPings(a1.netns(), a2.ip(), "a packet of the network's MTU crosses whole", "-M", "do", "-s", String.valueOf(MTU - 28));
    Shell.assertNoReply(a1.netns(), a2.ip(), "one byte more is refused by the guest's own MTU", "-M", "do", "-s", String.valueOf(MTU - 27));
    guest(a1, "ip link set dev eth0 mtu 1500");
    Shell.assertNoReply(a1.netns(), a2.ip(), "and, from a guest that thinks its MTU is 1500, does not cross the network",
        "-M", "do", "-s", String.valueOf(MTU - 27));
    guest(a1, "ip link set dev eth0 mtu " + MTU);

    Shell.assertPings(b3.netns(), b4.ip(), "the second network works across the hosts");
    Shell.assertNoReply(b3.netns(), a1.ip(), "but reaches no guest of the first on the same host");
    Shell.assertNoReply(b3.netns(), a2.ip(), "nor on the other host");
    Shell.assertNoReply(a2.netns(), b4.ip(), "nor does the first reach the second's");
  }

  @Test
  void buildingTwiceChangesNothingAndTeardownRemovesOneNetworkOnly() {
    build(netA, a1, a2);
    build(netB, b3, b4);
    build(netA, a1, a2); // the agent's reconciler does this every round

    for (Host host : List.of(host1, host2)) {
      String peer = host == host1 ? host2.underlay() : host1.underlay();
      List<String> fdb = inHost(host, List.of("bridge", "fdb", "show", "dev", netA.vxlanDevice())).lines().toList();
      assertEquals(1, fdb.stream().filter(l -> l.startsWith("00:00:00:00:00:00 dst " + peer + " ")).count(),
          "one flooding entry per peer: " + fdb);
      String remote = host == host1 ? a2.mac() : a1.mac();
      assertEquals(1, fdb.stream().filter(l -> l.startsWith(remote + " dst " + peer + " ")).count(),
          "the remote guest's MAC points at its host: " + fdb);
      String bridge = inHost(host, List.of("ip", "-o", "link", "show", "dev", netA.bridge()));
      assertTrue(bridge.contains(" mtu " + MTU + " ") && bridge.contains(",UP"), bridge);
    }
    Shell.assertPings(a1.netns(), a2.ip(), "the first network still works");

    TenantCommands b = host1.commands(netB);
    for (List<String> command : b.teardown(devices(host1), List.of(host2.underlay()))) run.run(command, TIMEOUT);
    Set<String> left = devices(host1);
    assertFalse(left.contains(netB.bridge()) || left.contains(netB.vxlanDevice()), "network B is gone: " + left);
    assertTrue(left.containsAll(List.of(netA.bridge(), netA.vxlanDevice())), "network A is still there: " + left);
    Shell.assertNoReply(b4.netns(), b3.ip(), "B no longer reaches host 1");
    Shell.assertPings(a2.netns(), a1.ip(), "A still does");
  }

  /** The network on both hosts, a guest on each, and each host told where the other's guest is. */
  private void build(TenantSegment segment, Guest onHost1, Guest onHost2) {
    buildOn(host1, segment, host2, onHost1, onHost2);
    buildOn(host2, segment, host1, onHost2, onHost1);
  }

  private void buildOn(Host host, TenantSegment segment, Host peer, Guest local, Guest remote) {
    TenantCommands commands = host.commands(segment);
    List<List<String>> plan = new ArrayList<>(commands.ensure(devices(host)));
    plan.addAll(commands.addPeer(peer.underlay(), devices(host)));
    plan.add(commands.portAt(remote.mac(), peer.underlay()));
    for (List<String> command : plan) run.run(command, TIMEOUT);
    String tap = TenantSegment.tapDevice(local.portId());
    if (!devices(host).contains(tap)) attach(host, local, tap);
    run.run(commands.plug(local.portId()), TIMEOUT);
    run.run(commands.bringUp(tap), TIMEOUT);
  }

  /** What libvirt would do for a guest: a tap (here a veth) on the host, the guest's NIC at the other end. */
  private void attach(Host host, Guest guest, String tap) {
    root("ip netns add " + guest.netns());
    root("ip -n " + host.netns() + " link add " + tap + " type veth peer name eth0 address " + guest.mac()
        + " netns " + guest.netns());
    guest(guest, "ip link set dev eth0 mtu " + MTU + " up");
    guest(guest, "ip addr add " + guest.ip() + "/24 dev eth0");
  }

  private Set<String> devices(Host host) {
    return TenantCommands.deviceNames(inHost(host, List.of("ip", "-o", "link", "show")));
  }

  private String inHost(Host host, List<String> command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", host.netns()));
    all.addAll(command);
    return run.run(all, TIMEOUT);
  }

  private void guest(Guest guest, String command) {
    run.run(List.of(("ip netns exec " + guest.netns() + " " + command).split(" ")), TIMEOUT);
  }

  private void root(String command) {
    run.run(List.of(command.split(" ")), TIMEOUT);
  }




}
