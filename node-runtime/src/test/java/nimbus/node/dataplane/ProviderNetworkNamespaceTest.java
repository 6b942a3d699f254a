package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * A flat provider network for real, without guests: two network namespaces are two hypervisor
 * hosts whose "physical" interface ({@code eth1}, a veth) is plugged into one bridge in the root
 * namespace standing in for the provider's switch. TenantCommands' lines, given each host's
 * physical-interface mapping, put that interface into the network's bridge, and a namespace per
 * guest, joined to its host's bridge as libvirt joins a tap, pings across. Everything this test
 * makes is named {@code npdp-} outside the host namespaces, and removed before and after each run.
 */
class ProviderNetworkNamespaceTest {
  private static final String PREFIX = "npdp-";
  private static final String SWITCH = PREFIX + "sw";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String PHYSNET = "physnet1";
  private static final Map<String, String> MAPPING = Map.of(PHYSNET, "eth1");

  private final ProcessRunner run = new ProcessRunner();

  /** A guest: its own namespace, its port (so its tap's name), its MAC and address. */
  private record Guest(String netns, String portId, String mac, String ip) {}

  private final String host1 = PREFIX + "h1";
  private final String host2 = PREFIX + "h2";
  private final TenantSegment flat = new TenantSegment("f1f1f1f1-0000-4000-8000-00000000000f", NetworkType.FLAT,
      Optional.empty(), Optional.of(PHYSNET), 1500);
  private final Guest g1 = new Guest(PREFIX + "g1", "f1000000-0000-4000-8000-000000000001", "fa:16:3e:78:0f:01", "192.168.78.1");
  private final Guest g2 = new Guest(PREFIX + "g2", "f2000000-0000-4000-8000-000000000002", "fa:16:3e:78:0f:02", "192.168.78.2");

  @BeforeEach
  void makeProviderSwitch() {
    Shell.removeAllNamed(PREFIX); // a run killed before its @AfterEach left these
    root("ip link add name " + SWITCH + " type bridge");
    root("ip link set dev " + SWITCH + " up");
    int n = 1;
    for (String host : List.of(host1, host2)) {
      String switchPort = PREFIX + "p" + n++;
      root("ip netns add " + host);
      root("ip link add " + switchPort + " type veth peer name eth1 netns " + host);
      root("ip link set dev " + switchPort + " master " + SWITCH + " up");
      root("ip -n " + host + " link set dev lo up");
    }
  }

  @AfterEach
  void removeProviderSwitch() {
    Shell.removeAllNamed(PREFIX);
  }



  @Test
  void guestsOnTwoHostsMeetOnAFlatNetworkThroughTheirPhysicalInterfaces() {
    build(host1, g1);
    build(host2, g2);

    for (String host : List.of(host1, host2)) {
      String eth1 = inHost(host, List.of("ip", "-o", "link", "show", "dev", "eth1"));
      assertTrue(eth1.contains(" master " + flat.bridge() + " ") && eth1.contains(",UP"),
          "the physical interface is the bridge's uplink: " + eth1);
    }
    Shell.assertPings(g1.netns(), g2.ip(), "a guest reaches the guest on the other host over the provider network");
    Shell.assertPings(g2.netns(), g1.ip(), "and back");
    Shell.assertPings(g1.netns(), g2.ip(), "untagged frames of the full MTU cross", "-M", "do", "-s", String.valueOf(1500 - 28));

    build(host1, g1); // the agent's reconciler does this every round
    Shell.assertPings(g1.netns(), g2.ip(), "building again changes nothing");

    TenantCommands c = commands(host1);
    for (List<String> command : c.teardown(devices(host1), List.of())) run.run(command, TIMEOUT);
    Set<String> left = devices(host1);
    assertFalse(left.contains(flat.bridge()), "the network is gone from host 1: " + left);
    assertTrue(left.contains("eth1"), "the physical interface is the operator's: it stays");
    Shell.assertNoReply(g2.netns(), g1.ip(), "host 1 no longer carries the network");
  }

  @Test
  void aHostWithoutAnInterfaceOnThePhysicalNetworkRefusesIt() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> new TenantCommands(flat, "", Map.of("physnet2", "eth1"), Optional.of(host1)));
    assertTrue(refused.getMessage().contains("physical network physnet1 has no interface on this host"),
        refused.getMessage());
    LinuxTenantHost linux = new LinuxTenantHost(run, java.nio.file.Path.of("/nonexistent"), "", "npdp-local",
        Map.of("physnet2", "eth1"), Optional.empty());
    assertEquals(Optional.of("physical network physnet1 has no interface on this host"
        + " (nimbus.host.physical-interfaces maps physnet2)"), linux.physicalNetworkRefusal(PHYSNET));
    assertEquals(Optional.empty(), linux.physicalNetworkRefusal("physnet2"));
    assertTrue(devices(host1).stream().noneMatch(d -> d.startsWith("nbr-")), "nothing was built");
  }

  /** The network on {@code host} with {@code guest} plugged there, as the host's agent makes it. */
  private void build(String host, Guest guest) {
    TenantCommands commands = commands(host);
    for (List<String> command : commands.ensure(devices(host))) run.run(command, TIMEOUT);
    String tap = TenantSegment.tapDevice(guest.portId());
    if (!devices(host).contains(tap)) attach(host, guest, tap);
    run.run(commands.plug(guest.portId()), TIMEOUT);
    run.run(commands.bringUp(tap), TIMEOUT);
  }

  private TenantCommands commands(String host) {
    return new TenantCommands(flat, "", MAPPING, Optional.of(host));
  }

  /** What libvirt would do for a guest: a tap (here a veth) on the host, the guest's NIC at the other end. */
  private void attach(String host, Guest guest, String tap) {
    root("ip netns add " + guest.netns());
    root("ip -n " + host + " link add " + tap + " type veth peer name eth0 address " + guest.mac()
        + " netns " + guest.netns());
    guest(guest, "ip link set dev eth0 up");
    guest(guest, "ip addr add " + guest.ip() + "/24 dev eth0");
  }

  private Set<String> devices(String host) {
    return TenantCommands.deviceNames(inHost(host, List.of("ip", "-o", "link", "show")));
  }

  private String inHost(String host, List<String> command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", host));
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
