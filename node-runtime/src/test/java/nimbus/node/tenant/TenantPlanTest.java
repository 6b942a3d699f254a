package nimbus.node.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.compute.ServerPort;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkType;
import nimbus.network.Segment;
import nimbus.network.Subnet;
import nimbus.node.dataplane.DhcpSubnet;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.TenantPort;
import nimbus.node.hypervisor.DomainSpec;
import org.junit.jupiter.api.Test;

/** A network as the control plane has it, turned into what one host builds for it. */
class TenantPlanTest {
  private static final String NET = "3f2a9c1d-77b4-4e0a-9d21-5c6b7a8e9f00";
  private static final String HERE = "host-a";
  private static final String UNDERLAY = "192.0.2.11";
  private static final Subnet V4 = subnet("s-4", 4, "10.1.0.0/24", "10.1.0.1", true);
  private static final Subnet V4_NO_DHCP = subnet("s-4b", 4, "10.2.0.0/24", "10.2.0.1", false);
  private static final Subnet V6 = subnet("s-6", 6, "fd00:1::/64", "fd00:1::1", true);

  private static Subnet subnet(String id, int version, String cidr, String gateway, boolean dhcp) {
    return new Subnet(id, NET, "p", "", "", version, cidr, Optional.of(gateway),
        Subnet.defaultPools(IpNet.parse(cidr), IpNet.Address.parse(gateway)), dhcp,
        List.of("192.0.2.53", "2001:db8::53"), List.of(new Subnet.HostRoute("172.16.0.0/12", "10.1.0.6"),
            new Subnet.HostRoute("fd00:9::/64", "fd00:1::6")), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static Attachment port(String mac, Optional<String> host, String underlay, FixedIp... ips) {
    return new Attachment("p", mac, List.of(ips), "compute:nova",
        host.map(h -> new Attachment.Placement(h, underlay)));
  }

  private static Network network(NetworkType type, Optional<Integer> id, Map<String, Attachment> ports) {
    return new Network(NET, "p", new NetworkAttributes("n", "", true, false, false, true, List.of(), List.of()),
        new Segment(type, type == NetworkType.FLAT ? Optional.of("physnet1") : Optional.empty(), id),
        type.mtu(1500), Network.Phase.ACTIVE, true, true, List.of(V4, V4_NO_DHCP, V6), List.of(), ports, List.of(),
        Instant.EPOCH, Instant.EPOCH, 1);
  }

  private static final Map<String, Attachment> PORTS = Map.of(
      NetworkEntity.dhcpPortId("s-4"), new Attachment("p", "fa:16:3e:00:00:d4", List.of(new FixedIp("s-4", "10.1.0.2")),
          "network:dhcp", Optional.empty()),
      NetworkEntity.dhcpPortId("s-6"), new Attachment("p", "fa:16:3e:00:00:d6", List.of(new FixedIp("s-6", "fd00:1::2")),
          "network:dhcp", Optional.empty()),
      "mine", port("fa:16:3e:00:00:01", Optional.of(HERE), UNDERLAY, new FixedIp("s-6", "fd00:1::5"),
          new FixedIp("s-4", "10.1.0.5")),
      "unplaced", port("fa:16:3e:00:00:02", Optional.empty(), "", new FixedIp("s-4b", "10.2.0.7")),
      "elsewhere", port("fa:16:3e:00:00:03", Optional.of("host-b"), "192.0.2.12", new FixedIp("s-4", "10.1.0.8")),
      "also-b", port("fa:16:3e:00:00:04", Optional.of("host-b"), "192.0.2.12", new FixedIp("s-4", "10.1.0.9")),
      "at-c", port("fa:16:3e:00:00:05", Optional.of("host-c"), "192.0.2.13", new FixedIp("s-4", "10.1.0.10")));

  private static TenantPort plugged(String portId) {
    return new TenantPort("srv", portId, "fa:16:3e:ff:ff:ff", Optional.of("10.9.9.9"), "vm");
  }

  @Test
  void peersAreTheOtherHostsWithPortsAndDhcpServesTheSubnetsWithDhcp() {
    HostNetwork n = TenantPlan.of(network(NetworkType.VXLAN, Optional.of(1001), PORTS), List.of(plugged("mine")),
        HERE, UNDERLAY);
    assertEquals(Set.of("192.0.2.12", "192.0.2.13"), n.peers(), "each other host once, never this one");
    assertEquals(List.of(new DhcpSubnet("s-4", "10.1.0.0/24", "10.1.0.2", Optional.of("10.1.0.1"),
        List.of("192.0.2.53"), List.of(new DhcpSubnet.Route("172.16.0.0/12", "10.1.0.6"))),
        new DhcpSubnet("s-6", "fd00:1::/64", "fd00:1::2", Optional.of("fd00:1::1"), List.of("2001:db8::53"), List.of(),
            Optional.of(new DhcpSubnet.Ipv6Modes(Optional.empty(), Optional.empty())))), n.subnets(),
        "with DHCP on only; each with the name servers of its version; IPv4's routes (IPv6 has no routes option)");
    assertEquals(Optional.of("fa:16:3e:00:00:d4"), n.dhcpMac());
    assertEquals(1450, n.segment().mtu());
    assertEquals(List.of(new TenantPort("srv", "mine", "fa:16:3e:00:00:01", Optional.of("10.1.0.5"), "vm",
        Optional.of("fd00:1::5"))), n.served(),
        "served with the MAC and the DHCP subnets' addresses the network holds (IPv6 without modes: stateful DHCPv6)");
  }

  @Test
  void onlyPortsTheNetworkHoldsAndPlacesHereOrNowhereAreServed() {
    List<TenantPort> here = List.of(plugged("mine"), plugged("unplaced"), plugged("elsewhere"), plugged("deleted"));
    HostNetwork n = TenantPlan.of(network(NetworkType.VXLAN, Optional.of(1001), PORTS), here, HERE, UNDERLAY);
    assertEquals(List.of("mine", "unplaced"), n.served().stream().map(TenantPort::portId).toList());
    assertEquals(Optional.empty(), n.served().get(1).ip(), "no address in a subnet DHCP serves: no lease");
    assertEquals(here, n.ports(), "every plugged port keeps its tap on the bridge");
  }

  @Test
  void segmentsAreTheHostsOwnNamesAndAFlatNetworksPlaceholderIdIsDropped() {
    assertEquals("nvx-1001", TenantPlan.segment(network(NetworkType.VXLAN, Optional.of(1001), Map.of())).vxlanDevice());
    assertEquals(Optional.empty(), TenantPlan.segment(network(NetworkType.FLAT, Optional.of(0), Map.of())).segmentationId());
    assertThrows(IllegalArgumentException.class, () -> TenantPlan.segment(network(NetworkType.VXLAN, Optional.empty(),
        Map.of())), "a VXLAN network without its VNI cannot be built");
  }

  @Test
  void aPortsNicIsOnItsNetworksBridgeAtItsMtuWithItsTapNamed() {
    ServerPort port = new ServerPort("c0ffee12-3456-4789-abcd-ef0123456789", NET, "n", "fa:16:3e:00:00:07",
        List.of(new FixedIp("s-6", "fd00:1::7"), new FixedIp("s-4", "10.1.0.7")), true, Optional.of(HERE));
    assertEquals(new DomainSpec.Nic("nbr-3f2a9c1d77b", "fa:16:3e:00:00:07", Optional.of(1450),
        Optional.of("ntp-c0ffee12-34")), TenantPlan.nic(network(NetworkType.VXLAN, Optional.of(1001), Map.of()), port));
    assertEquals(new TenantPort("srv-9", port.portId(), "fa:16:3e:00:00:07", Optional.of("10.1.0.7"), "web-1"),
        TenantPlan.plugged("srv-9", "Web 1", port), "its first IPv4 address, its server's name sanitised");
  }

  @Test
  void aChangeOfPortsFilteringAloneNamesThosePortsAndAnyOtherChangeNone() {
    Attachment plain = port("fa:16:3e:00:00:01", Optional.of(HERE), UNDERLAY, new FixedIp("s-4", "10.1.0.5"));
    Network before = network(NetworkType.VXLAN, Optional.of(5), Map.of("p1", plain, "p2", plain));
    Attachment grouped = new Attachment(plain.projectId(), plain.macAddress(), plain.fixedIps(), plain.deviceOwner(),
        plain.placement(), new nimbus.network.PortSecurity(true, List.of("g"), List.of()));
    Network regrouped = network(NetworkType.VXLAN, Optional.of(5), Map.of("p1", grouped, "p2", plain));
    assertEquals(Optional.of(Set.of("p1")), TenantPlan.refilteredPorts(before, regrouped));
    assertEquals(Optional.of(Set.of()), TenantPlan.refilteredPorts(before, before));
    Attachment moved = port("fa:16:3e:00:00:01", Optional.of("host-b"), "192.0.2.12", new FixedIp("s-4", "10.1.0.5"));
    assertEquals(Optional.empty(), TenantPlan.refilteredPorts(before,
        network(NetworkType.VXLAN, Optional.of(5), Map.of("p1", moved, "p2", plain))));
    assertEquals(Optional.empty(), TenantPlan.refilteredPorts(before,
        network(NetworkType.VXLAN, Optional.of(5), Map.of("p1", grouped))));
    assertEquals(Optional.empty(), TenantPlan.refilteredPorts(before,
        network(NetworkType.VXLAN, Optional.of(6), Map.of("p1", plain, "p2", plain))));
  }
}
