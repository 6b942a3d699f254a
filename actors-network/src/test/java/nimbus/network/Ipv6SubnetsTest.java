package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * IPv6 subnets as Neutron has them: the rules for {@code ipv6_ra_mode} and
 * {@code ipv6_address_mode}, and the addresses ports get: their EUI-64 on SLAAC and
 * DHCPv6-stateless subnets (computed, never taken from a pool), one from the pool on stateful ones.
 */
class Ipv6SubnetsTest {
  private static final String MAC = "fa:16:3e:12:34:56";
  /** RFC 5952 (and Neutron) write a single zero group out: no "::" for it. */
  private static final String EUI64 = "2001:db8:1:0:f816:3eff:fe12:3456";

  @Test
  void theModesFollowNeutronsRules() {
    assertEquals(Optional.empty(), v6("2001:db8:1::/64", "slaac", "slaac", true).problem());
    assertEquals(Optional.empty(), v6("2001:db8:1::/64", "dhcpv6-stateless", null, true).problem());
    assertEquals(Optional.empty(), v6("2001:db8:1::/64", null, "dhcpv6-stateful", true).problem());
    assertEquals(Optional.empty(), v6("2001:db8:1::/80", "dhcpv6-stateful", "dhcpv6-stateful", true).problem(),
        "stateful addresses come from the pool: any prefix");
    assertEquals(Optional.of("ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. "
        + "If both attributes are set, they must be the same value"),
        v6("2001:db8:1::/64", "slaac", "dhcpv6-stateful", true).problem());
    assertEquals(Optional.of("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False"),
        v6("2001:db8:1::/64", null, "slaac", false).problem());
    assertEquals(Optional.of("Invalid CIDR 2001:db8:1::/80 for IPv6 address mode. OpenStack uses the EUI-64 address "
        + "format, which requires the prefix to be /64"), v6("2001:db8:1::/80", "slaac", null, true).problem());
    Subnet v4 = new Subnet("s4", "n", "p", "", "", 4, "10.0.0.0/24", Optional.empty(), List.of(), true, List.of(),
        List.of(), Optional.empty(), Optional.of("slaac"), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
    assertEquals(Optional.of("ipv6_address_mode is not valid when ip_version is 4"), v4.problem());
  }

  @Test
  void eitherModeMakesASubnetAutoAddressed() {
    assertTrue(v6("2001:db8:1::/64", "slaac", null, true).autoAddressed());
    assertTrue(v6("2001:db8:1::/64", null, "dhcpv6-stateless", true).autoAddressed());
    assertTrue(!v6("2001:db8:1::/64", "dhcpv6-stateful", "dhcpv6-stateful", true).autoAddressed());
    assertTrue(!v6("2001:db8:1::/64", null, null, true).autoAddressed());
  }

  @Test
  void aPortGetsItsEui64OnASlaacSubnetBesideItsIpv4Address() {
    Network net = network(v4("s4"), v6("2001:db8:1::/64", "slaac", "slaac", true));
    Attachment a = Ipam.attach(net, "p1", "p", "compute:nova", Optional.of(MAC), Optional.empty(), () -> MAC);
    assertEquals(List.of(new FixedIp("s4", "10.0.0.2"), new FixedIp("s6", EUI64)), a.fixedIps());
  }

  @Test
  void aPortThatNamesItsIpv4AddressStillGetsItsEui64() {
    Network net = network(v4("s4"), v6("2001:db8:1::/64", "dhcpv6-stateless", "dhcpv6-stateless", true));
    Attachment a = Ipam.attach(net, "p1", "p", "", Optional.of(MAC),
        Optional.of(List.of(new IpRequest(Optional.empty(), Optional.of("10.0.0.7")))), () -> MAC);
    assertEquals(List.of(new FixedIp("s4", "10.0.0.7"), new FixedIp("s6", EUI64)), a.fixedIps());
    Attachment bySubnet = Ipam.attach(net, "p2", "p", "", Optional.of(MAC),
        Optional.of(List.of(new IpRequest(Optional.of("s6"), Optional.empty()))), () -> MAC);
    assertEquals(List.of(new FixedIp("s6", EUI64)), bySubnet.fixedIps(), "asking for the subnet gives the EUI-64 once");
  }

  @Test
  void anAddressOfItsOwnOnASlaacSubnetIsRefusedButToRouterInterfaces() {
    Network net = network(v6("2001:db8:1::/64", "slaac", "slaac", true));
    List<IpRequest> chosen = List.of(new IpRequest(Optional.of("s6"), Optional.of("2001:db8:1::10")));
    Ipam.Refused refused = assertThrows(Ipam.Refused.class,
        () -> Ipam.attach(net, "p1", "p", "compute:nova", Optional.of(MAC), Optional.of(chosen), () -> MAC));
    assertEquals("AllocationOnAutoAddressSubnet: IPv6 address 2001:db8:1::10 cannot be directly assigned to a port on "
        + "subnet s6 as the subnet is configured for automatic addresses", refused.rejection.message());
    Attachment router = Ipam.attach(net, "r1", "p", "network:router_interface", Optional.of(MAC), Optional.of(chosen),
        () -> MAC);
    assertEquals(List.of(new FixedIp("s6", "2001:db8:1::10")), router.fixedIps(), "a router's interface has no EUI-64");
  }

  @Test
  void aStatefulSubnetAllocatesFromItsPoolLikeIpv4() {
    Network net = network(v6("2001:db8:1::/64", "dhcpv6-stateful", "dhcpv6-stateful", true));
    Attachment first = Ipam.attach(net, "p1", "p", "", Optional.of(MAC), Optional.empty(), () -> MAC);
    assertEquals(List.of(new FixedIp("s6", "2001:db8:1::2")), first.fixedIps());
    Network after = net.after(new NetworkEntity.PortAttached("p1", first, Instant.EPOCH));
    Attachment second = Ipam.attach(after, "p2", "p", "", Optional.of("fa:16:3e:00:00:02"), Optional.empty(), () -> MAC);
    assertEquals(List.of(new FixedIp("s6", "2001:db8:1::3")), second.fixedIps());
  }

  @Test
  void theDhcpServerOfASlaacSubnetTakesItsOwnEui64() {
    Subnet s = v6("2001:db8:1::/64", "slaac", "slaac", true);
    Attachment dhcp = Ipam.autoAddressedServer(network(s), s, "p", "network:dhcp", () -> MAC);
    assertEquals(List.of(new FixedIp("s6", EUI64)), dhcp.fixedIps());
  }

  private static Subnet v6(String cidr, String raMode, String addressMode, boolean dhcp) {
    IpNet net = IpNet.parse(cidr);
    Optional<String> gateway = Optional.of(net.at(net.network().add(java.math.BigInteger.ONE)).toString());
    return new Subnet("s6", "n", "p", "", "", 6, cidr, gateway, Subnet.defaultPools(net, gateway.flatMap(IpNet.Address::parse)),
        dhcp, List.of(), List.of(), Optional.ofNullable(raMode), Optional.ofNullable(addressMode), Optional.empty(),
        List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static Subnet v4(String id) {
    return new Subnet(id, "n", "p", "", "", 4, "10.0.0.0/24", Optional.of("10.0.0.1"),
        List.of(new Subnet.Pool("10.0.0.2", "10.0.0.254")), true, List.of(), List.of(), Optional.empty(),
        Optional.empty(), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static Network network(Subnet... subnets) {
    return new Network("n", "p", new NetworkAttributes("n", "", true, false, false, true, List.of(), List.of()),
        new Segment(NetworkType.VXLAN, Optional.empty(), Optional.of(5)), 1450, Network.Phase.ACTIVE, true, true,
        List.of(subnets), List.of(), Map.of(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }
}
