package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * A SLAAC subnet on a VXLAN network carried by two hosts (network namespaces on an underlay
 * bridge), each with its firewall and its dnsmasq as the agent makes them: both bridges hold the
 * same IPv6 addresses, yet each keeps them (no duplicate detection across the tunnel) and
 * advertises the prefix to its own guests, which take their EUI-64 addresses and reach each
 * other. Everything this test makes is named {@code n6th-} and removed before and after each run.
 */
class Ipv6TwoHostNamespaceTest {
  private static final String PREFIX = "n6th-";
  private static final String UNDERLAY = PREFIX + "ul";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final TenantSegment SEGMENT = new TenantSegment("c6c6c6c6-0000-4000-8000-00000000006c", NetworkType.VXLAN,
      Optional.of(1601), Optional.empty(), 1450);
  private static final String DHCP_MAC = "fa:16:3e:7b:00:aa";
  private static final DhcpSubnet SLAAC = new DhcpSubnet("sub-slaac", "2001:db8:7b::/64", "2001:db8:7b:0:f816:3eff:fe7b:aa",
      Optional.empty(), List.of(), List.of(),
      Optional.of(new DhcpSubnet.Ipv6Modes(Optional.of("slaac"), Optional.of("slaac"))));

  private final ProcessRunner run = new ProcessRunner();
  private final List<Path> dirs = new ArrayList<>();

  private record Host(String netns, String underlay, String guest, String portId, String mac, String eui64) {}

  private final Host host1 = new Host(PREFIX + "h1", "10.249.0.11", PREFIX + "g1", "c6100000-0000-4000-8000-000000000001",
      "fa:16:3e:7b:06:01", "2001:db8:7b:0:f816:3eff:fe7b:601");
  private final Host host2 = new Host(PREFIX + "h2", "10.249.0.12", PREFIX + "g2", "c6200000-0000-4000-8000-000000000002",
      "fa:16:3e:7b:06:02", "2001:db8:7b:0:f816:3eff:fe7b:602");

  @BeforeEach
  void makeUnderlay() {
    Shell.removeAllNamed(PREFIX, ".*/dnsmasq");
    Shell.underlay(UNDERLAY, PREFIX, new java.util.LinkedHashMap<>(java.util.Map.of(
        host1.netns(), host1.underlay(), host2.netns(), host2.underlay())));
  }

  @AfterEach
  void removeUnderlay() {
    Shell.removeAllNamed(PREFIX, ".*/dnsmasq");
    for (Path dir : dirs) Shell.run(List.of("rm", "-rf", dir.toString()));
  }



  @Test
  void bothHostsAdvertiseTheSamePrefixToTheirOwnGuestsWhoReachEachOther() throws IOException {
    build(host1, host2);
    build(host2, host1);

    for (Host host : List.of(host1, host2)) {
      String eui64 = host.eui64();
      await("the SLAAC address of the guest on " + host.netns(), () -> in(host.guest(), "ip", "-o", "-6", "addr", "show",
          "dev", "eth0", "scope", "global").contains(" " + eui64 + "/64 "));
      String bridge = in(host.netns(), "ip", "-o", "-6", "addr", "show", "dev", SEGMENT.bridge());
      assertTrue(bridge.contains(" " + SLAAC.serverAddressWithPrefix() + " ") && !bridge.contains("dadfailed"),
          "the bridge keeps the addresses every host holds: " + bridge);
    }
    Shell.Result ping = Shell.in(host1.guest(), "ping", "-6", "-n", "-c", "3", "-W", "2", host2.eui64());
    assertEquals(0, ping.exit(), "the guests reach each other across the hosts:\n" + ping.output());
  }

  /** The network on {@code host} as its agent makes it: devices, DHCP address and MAC, firewall, dnsmasq, a guest. */
  private void build(Host host, Host peer) throws IOException {
    TenantCommands c = new TenantCommands(SEGMENT, host.underlay(), Map.of(), Optional.of(host.netns()));
    List<List<String>> plan = new ArrayList<>(c.ensure(devices(host)));
    plan.addAll(c.addPeer(peer.underlay(), devices(host)));
    plan.add(c.addAddress(SLAAC.serverAddressWithPrefix()));
    plan.add(c.setMac(DHCP_MAC));
    for (List<String> command : plan) run.run(command, TIMEOUT);

    HostNetwork network = new HostNetwork(SEGMENT, Set.of(peer.underlay()), List.of(SLAAC), Optional.of(DHCP_MAC),
        List.of(), List.of());
    Path dir = Files.createTempDirectory(PREFIX + "dhcp", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    dirs.add(dir);
    Path rules = Files.writeString(dir.resolve("rules.nft"), TenantFirewall.ruleset(List.of(new TenantFirewall.Guard(
        List.of(SEGMENT.vxlanDevice()), List.of(SLAAC.serverAddress())))));
    run.run(List.of("ip", "netns", "exec", host.netns(), "nft", "-f", rules.toString()), TIMEOUT);
    Files.createDirectories(TenantDhcp.hostsDir(dir));
    Files.writeString(TenantDhcp.optionsFile(dir), TenantDhcp.options(network));
    List<String> dnsmasq = new ArrayList<>(List.of("ip", "netns", "exec", host.netns()));
    dnsmasq.addAll(TenantDhcp.arguments(network, dir));
    run.run(dnsmasq, TIMEOUT);

    String tap = TenantSegment.tapDevice(host.portId());
    root("ip netns add " + host.guest());
    root("ip -n " + host.netns() + " link add " + tap + " type veth peer name eth0 address " + host.mac()
        + " netns " + host.guest());
    run.run(c.plug(host.portId()), TIMEOUT);
    run.run(c.bringUp(tap), TIMEOUT);
    root("ip -n " + host.guest() + " link set dev lo up");
    root("ip -n " + host.guest() + " link set dev eth0 mtu 1450 up");
  }

  private Set<String> devices(Host host) {
    return TenantCommands.deviceNames(in(host.netns(), "ip", "-o", "link", "show"));
  }

  private String in(String netns, String... command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(List.of(command));
    return run.run(all, TIMEOUT);
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what + ": not there within " + WAIT);
      try {
        Thread.sleep(100); // between polls: each one runs a command
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  private void root(String command) {
    run.run(List.of(command.split(" ")), TIMEOUT);
  }
}
