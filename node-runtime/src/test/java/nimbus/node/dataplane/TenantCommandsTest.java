package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The exact command lines for each network type, and the device names they use. */
class TenantCommandsTest {
  /** Every host holds the network's IPv6 addresses: none of them is probed for. */
  private static final List<String> NO_DAD = List.of("sysctl", "-qw", "net.ipv6.conf.nbr-3f2a9c1d77b.accept_dad=0");
  private static final String NET = "3F2A9C1D-77B4-4E0A-9D21-5C6B7A8E9F00";
  private static final String BR = "nbr-3f2a9c1d77b";
  private static final String PORT = "c0ffee12-3456-4789-abcd-ef0123456789";
  private static final Map<String, String> PROVIDERS = Map.of("physnet1", "eth1");

  private static TenantSegment segment(NetworkType type, Integer id, String physnet, int mtu) {
    return new TenantSegment(NET, type, Optional.ofNullable(id), Optional.ofNullable(physnet), mtu);
  }

  private static TenantCommands commands(TenantSegment segment) {
    return new TenantCommands(segment, "10.0.0.11", PROVIDERS, Optional.empty());
  }

  private static List<String> cmd(String line) {
    return List.of(line.split(" "));
  }

  @Test
  void vxlanBuildsBridgeAndVxlanAndFloodsToEachPeer() {
    TenantCommands vxlan = commands(segment(NetworkType.VXLAN, 1001, null, 1450));
    assertEquals(List.of(
        cmd("ip link add name " + BR + " mtu 1450 type bridge"), NO_DAD,
        cmd("ip link add nvx-1001 mtu 1450 type vxlan id 1001 local 10.0.0.11 dstport 4789 nolearning"),
        cmd("ip link set dev nvx-1001 master " + BR),
        cmd("ip link set dev nvx-1001 up"),
        cmd("ip link set dev " + BR + " up")), vxlan.ensure(Set.of("lo", "eth0")));
    assertEquals(List.of(
        cmd("ip link set dev nvx-1001 master " + BR),
        cmd("ip link set dev nvx-1001 up"),
        cmd("ip link set dev " + BR + " up")), vxlan.ensure(Set.of(BR, "nvx-1001")), "what exists is not made again");
    assertEquals(List.of(cmd("bridge fdb append 00:00:00:00:00:00 dev nvx-1001 dst 10.0.0.12")),
        vxlan.addPeer("10.0.0.12", Set.of()));
    assertEquals(List.of(cmd("bridge fdb del 00:00:00:00:00:00 dev nvx-1001 dst 10.0.0.12")),
        vxlan.removePeer("10.0.0.12", Set.of()));
    assertEquals(cmd("bridge fdb replace fa:16:3e:00:00:02 dev nvx-1001 dst 10.0.0.12"),
        vxlan.portAt("fa:16:3e:00:00:02", "10.0.0.12"));
    assertEquals(cmd("bridge fdb del fa:16:3e:00:00:02 dev nvx-1001"), vxlan.forgetPort("fa:16:3e:00:00:02"));
    assertEquals(cmd("ip link set dev ntp-c0ffee12-34 mtu 1450 master " + BR), vxlan.plug(PORT));
    assertEquals(List.of(cmd("ip link del dev nvx-1001"), cmd("ip link del dev " + BR)),
        vxlan.teardown(Set.of("nvx-1001", BR, "ntp-c0ffee12-34"), List.of("10.0.0.12")));
    assertEquals(List.of(cmd("ip link del dev " + BR)), vxlan.teardown(Set.of(BR), List.of()), "what is gone is not deleted again");
  }

  @Test
  void flatEnslavesTheProviderInterfaceAndNeverDeletesIt() {
    TenantCommands flat = commands(segment(NetworkType.FLAT, null, "physnet1", 1500));
    assertEquals(List.of(
        cmd("ip link add name " + BR + " mtu 1500 type bridge"), NO_DAD,
        cmd("ip link set dev eth1 master " + BR),
        cmd("ip link set dev eth1 up"),
        cmd("ip link set dev " + BR + " up")), flat.ensure(Set.of("eth1")));
    IllegalStateException missing = assertThrows(IllegalStateException.class, () -> flat.ensure(Set.of("eth0")));
    assertEquals("provider interface eth1 is not on this host", missing.getMessage());
    assertEquals(List.of(), flat.addPeer("10.0.0.12", Set.of()), "the physical network reaches every host");
    assertEquals(List.of(cmd("ip link del dev " + BR)), flat.teardown(Set.of("eth1", BR), List.of()));
    IllegalArgumentException unmapped = assertThrows(IllegalArgumentException.class,
        () -> commands(segment(NetworkType.FLAT, null, "physnet2", 1500)));
    assertEquals("physical network physnet2 has no interface on this host (provider interfaces: [physnet1])",
        unmapped.getMessage());
  }

  @Test
  void vlanAddsATaggedSubInterfaceOfTheProviderInterface() {
    TenantCommands vlan = commands(segment(NetworkType.VLAN, 100, "physnet1", 1500));
    assertEquals(cmd("ip link add link eth1 name nvl-100 mtu 1500 type vlan id 100"), vlan.addVlan());
    assertEquals(List.of(
        cmd("ip link add name " + BR + " mtu 1500 type bridge"), NO_DAD,
        cmd("ip link add link eth1 name nvl-100 mtu 1500 type vlan id 100"),
        cmd("ip link set dev nvl-100 master " + BR),
        cmd("ip link set dev nvl-100 up"),
        cmd("ip link set dev " + BR + " up")), vlan.ensure(Set.of("eth1")));
    assertThrows(IllegalStateException.class, () -> vlan.ensure(Set.of("eth0")), "no parent, no sub-interface");
    assertEquals(List.of(cmd("ip link del dev nvl-100"), cmd("ip link del dev " + BR)),
        vlan.teardown(Set.of("eth1", "nvl-100", BR), List.of()));
  }

  @Test
  void greHasOneIsolatedTunnelPerPeer() {
    TenantSegment segment = segment(NetworkType.GRE, 77, null, 1458);
    TenantCommands gre = commands(segment);
    String toB = segment.greDevice("10.0.0.12");
    String toC = segment.greDevice("10.0.0.13");
    assertNotEquals(toB, toC);
    assertEquals(toB, segment(NetworkType.GRE, 77, null, 1458).greDevice("10.0.0.12"),
        "the same network and peer always give the same name");
    assertNotEquals(toB, new TenantSegment("aaaaaaaa-0000-4000-8000-000000000000", NetworkType.GRE, Optional.of(77),
        Optional.empty(), 1458).greDevice("10.0.0.12"), "another network to the same peer has its own tunnel");
    assertEquals(List.of(cmd("ip link add name " + BR + " mtu 1458 type bridge"), NO_DAD, cmd("ip link set dev " + BR + " up")),
        gre.ensure(Set.of()));
    assertEquals(List.of(
        cmd("ip link add " + toB + " mtu 1458 type gretap remote 10.0.0.12 local 10.0.0.11 key 77"),
        cmd("ip link set dev " + toB + " master " + BR),
        cmd("bridge link set dev " + toB + " isolated on"),
        cmd("ip link set dev " + toB + " up")), gre.addPeer("10.0.0.12", Set.of(BR)));
    assertEquals(3, gre.addPeer("10.0.0.12", Set.of(BR, toB)).size(), "an existing tunnel is not made again");
    assertEquals(List.of(cmd("ip link del dev " + toB)), gre.removePeer("10.0.0.12", Set.of(toB)));
    assertEquals(List.of(), gre.removePeer("10.0.0.12", Set.of()));
    assertEquals(List.of(cmd("ip link del dev " + toB), cmd("ip link del dev " + toC), cmd("ip link del dev " + BR)),
        gre.teardown(Set.of(BR, toB, toC), List.of("10.0.0.12", "10.0.0.13")));
    assertThrows(IllegalArgumentException.class,
        () -> new TenantCommands(segment, "fd00::11", Map.of(), Optional.empty()), "gretap is IPv4 only");
  }

  @Test
  void localIsABridgeAlone() {
    TenantCommands local = commands(segment(NetworkType.LOCAL, null, null, 1500));
    assertEquals(List.of(cmd("ip link add name " + BR + " mtu 1500 type bridge"), NO_DAD, cmd("ip link set dev " + BR + " up")),
        local.ensure(Set.of()));
    assertEquals(List.of(), local.addPeer("10.0.0.12", Set.of()));
    assertEquals(List.of(cmd("ip link del dev " + BR)), local.teardown(Set.of(BR), List.of("10.0.0.12")));
    assertThrows(IllegalStateException.class, () -> local.floodTo("10.0.0.12"), "only VXLAN floods to peers");
  }

  @Test
  void insideANamespaceEveryCommandIsPrefixed() {
    TenantCommands inHost = new TenantCommands(segment(NetworkType.VXLAN, 5, null, 1450), "10.0.0.11", Map.of(),
        Optional.of("host1"));
    assertEquals(cmd("ip netns exec host1 bridge fdb append 00:00:00:00:00:00 dev nvx-5 dst 10.0.0.12"),
        inHost.floodTo("10.0.0.12"));
    assertEquals(cmd("ip netns exec host1 ip -o link show"), inHost.listDevices());
    for (List<String> command : inHost.ensure(Set.of())) assertEquals(cmd("ip netns exec host1"), command.subList(0, 4));
  }

  @Test
  void deviceNamesFitIfnamsizAndAreRecognisablyNimbus() {
    TenantSegment vxlan = segment(NetworkType.VXLAN, (1 << 24) - 1, null, 1450);
    List<String> names = List.of(vxlan.bridge(), vxlan.vxlanDevice(), segment(NetworkType.VLAN, 4094, "p", 1500).vlanDevice(),
        segment(NetworkType.GRE, Integer.MAX_VALUE, null, 1458).greDevice("203.0.113.254"), TenantSegment.tapDevice(PORT));
    assertEquals(List.of(BR, "nvx-16777215", "nvl-4094"), names.subList(0, 3));
    for (String name : names) {
      assertTrue(name.length() <= TenantSegment.MAX_DEVICE_NAME, name + " is longer than IFNAMSIZ allows");
      assertTrue(TenantSegment.isNimbusDevice(name), name);
    }
    assertTrue(TenantSegment.isNimbusDevice("nimbus0"));
    for (String foreign : List.of("eth0", "lo", "virbr0", "docker0", "nimbus1", "br-3f2a9c1d77b", "tap3f2a9c1d-77",
        "nbr-test", "nbr-3f2a9c1d77", "nbr-3f2a9c1d77b0", "nvx-", "nvx-0", "nvx-12a", "nvl-12345", "eth1.100",
        "ngr-xyz", "ntp-c0ffee12-3")) {
      assertFalse(TenantSegment.isNimbusDevice(foreign), foreign + " is not ours");
    }
  }

  @Test
  void aSegmentOutsideItsTypesRulesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.VXLAN, null, null, 1450));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.VXLAN, 1 << 24, null, 1450));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.VXLAN, 5, "physnet1", 1450));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.VLAN, 4095, "physnet1", 1500));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.VLAN, 100, null, 1500));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.FLAT, 1, "physnet1", 1500));
    assertThrows(IllegalArgumentException.class, () -> segment(NetworkType.LOCAL, null, null, 67));
    assertThrows(IllegalArgumentException.class,
        () -> new TenantSegment("net-one", NetworkType.LOCAL, Optional.empty(), Optional.empty(), 1500));
    assertThrows(IllegalArgumentException.class, () -> TenantSegment.tapDevice("../../etc"));
    assertThrows(IllegalArgumentException.class,
        () -> new TenantCommands(segment(NetworkType.VXLAN, 5, null, 1450), "", Map.of(), Optional.empty()));
    assertThrows(IllegalStateException.class, () -> segment(NetworkType.FLAT, null, "physnet1", 1500).vxlanDevice());
    assertEquals(NetworkType.VXLAN, NetworkType.of("vxlan"));
    assertThrows(IllegalArgumentException.class, () -> NetworkType.of("geneve"));
  }

  @Test
  void readsDeviceNamesFromIpLinkShow() {
    String output = """
        1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\\    link/loopback 00:00:00:00:00:00
        3: nbr-3f2a9c1d77b: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP\\    link/ether ae:1d:84:6b:26:0d
        5: ntp-c0ffee12-34@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 master nbr-3f2a9c1d77b\\    link/ether ae:1d
        """;
    assertEquals(List.of("lo", BR, "ntp-c0ffee12-34"), List.copyOf(TenantCommands.deviceNames(output)));
  }

  @Test
  void theBridgeAnswersAsTheDhcpPortAndItsStateIsReadBack() {
    TenantCommands vxlan = commands(segment(NetworkType.VXLAN, 1001, null, 1450));
    assertEquals(cmd("bridge fdb show dev nvx-1001"), vxlan.showFdb());
    assertEquals(cmd("ip -o addr show dev " + BR + " scope global"), vxlan.showAddresses());
    assertEquals(cmd("ip addr replace 10.1.0.2/24 dev " + BR), vxlan.addAddress("10.1.0.2/24"));
    assertEquals(cmd("ip addr replace 2001:db8::2/64 dev " + BR + " nodad"), vxlan.addAddress("2001:db8::2/64"),
        "every host holds the network's IPv6 DHCP address: no duplicate detection");
    assertEquals(cmd("ip addr del 10.1.0.2/24 dev " + BR), vxlan.deleteAddress("10.1.0.2/24"));
    assertEquals(cmd("ip link set dev " + BR + " address fa:16:3e:12:34:56"), vxlan.setMac("fa:16:3e:12:34:56"));
    String fdb = """
        33:33:00:00:00:01 self permanent
        00:00:00:00:00:00 dst 10.0.0.12 self permanent
        fa:16:3e:00:00:02 dst 10.0.0.12 self permanent
        00:00:00:00:00:00 dst 10.0.0.13 self permanent
        """;
    assertEquals(Set.of("10.0.0.12", "10.0.0.13"), TenantCommands.floodPeers(fdb), "flooding entries only, not a port's");
    assertEquals(Set.of(), TenantCommands.floodPeers(""));
    String addr = "9: " + BR + "    inet 10.1.0.2/24 scope global " + BR + "\\       valid_lft forever preferred_lft forever\n"
        + "9: " + BR + "    inet 10.2.0.2/28 scope global " + BR + "\\       valid_lft forever preferred_lft forever\n";
    assertEquals(Set.of("10.1.0.2/24", "10.2.0.2/28"), TenantCommands.addresses(addr));
  }

  @Test
  void theUplinksAreTheDevicesTowardsOtherHosts() {
    assertEquals(List.of("nvx-1001"), commands(segment(NetworkType.VXLAN, 1001, null, 1450)).uplinks(List.of("10.0.0.12")));
    assertEquals(List.of("nvl-100"), commands(segment(NetworkType.VLAN, 100, "physnet1", 1500)).uplinks(List.of()));
    assertEquals(List.of("eth1"), commands(segment(NetworkType.FLAT, null, "physnet1", 1500)).uplinks(List.of()));
    assertEquals(List.of(), commands(segment(NetworkType.LOCAL, null, null, 1500)).uplinks(List.of("10.0.0.12")));
    TenantSegment gre = segment(NetworkType.GRE, 7, null, 1458);
    assertEquals(List.of(gre.greDevice("10.0.0.12"), gre.greDevice("10.0.0.13")),
        commands(gre).uplinks(List.of("10.0.0.13", "10.0.0.12")), "a tunnel per peer");
  }
}
