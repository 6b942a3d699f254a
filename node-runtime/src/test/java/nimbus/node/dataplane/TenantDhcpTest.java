package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The dnsmasq of a tenant network: its exact command line, its options file and its static leases. */
class TenantDhcpTest {
  private static final String NET = "3f2a9c1d-77b4-4e0a-9d21-5c6b7a8e9f00";
  private static final String BR = "nbr-3f2a9c1d77b";
  private static final Path DIR = Path.of("/var/lib/nimbus/dhcp/networks", NET);
  private static final TenantSegment VXLAN = new TenantSegment(NET, NetworkType.VXLAN, Optional.of(1001), Optional.empty(), 1450);
  private static final DhcpSubnet WITH_ALL = new DhcpSubnet("sub-a", "10.1.0.0/24", "10.1.0.2", Optional.of("10.1.0.1"),
      List.of("192.0.2.53", "192.0.2.54"), List.of(new DhcpSubnet.Route("169.254.169.254/32", "10.1.0.5"),
          new DhcpSubnet.Route("172.16.0.0/12", "10.1.0.6")));
  private static final DhcpSubnet BARE = new DhcpSubnet("sub-b", "10.2.0.0/28", "10.2.0.2", Optional.empty(), List.of(),
      List.of());

  private static HostNetwork network(List<DhcpSubnet> subnets, List<TenantPort> served) {
    return new HostNetwork(VXLAN, Set.of(), subnets, Optional.of("fa:16:3e:00:00:aa"), served, served);
  }

  @Test
  void oneDnsmasqServesTheBridgeWithAStaticRangePerSubnetAndNoDns() {
    assertEquals(List.of("dnsmasq", "--conf-file=/dev/null", "--interface=" + BR, "--except-interface=lo",
        "--bind-interfaces", "--port=0",
        "--dhcp-range=set:s-sub-a,10.1.0.0,static,255.255.255.0,86400s",
        "--dhcp-range=set:s-sub-b,10.2.0.0,static,255.255.255.240,86400s",
        "--dhcp-hostsdir=" + DIR + "/hosts", "--dhcp-optsfile=" + DIR + "/opts",
        "--pid-file=" + DIR + "/dnsmasq.pid", "--dhcp-leasefile=" + DIR + "/dnsmasq.leases"),
        TenantDhcp.arguments(network(List.of(WITH_ALL, BARE), List.of()), DIR));
  }

  @Test
  void optionsGiveTheMtuRouterNameServersAndRoutesWithTheDefaultRouteAdded() {
    assertEquals("""
        option:mtu,1450
        tag:s-sub-a,option:router,10.1.0.1
        tag:s-sub-a,option:dns-server,192.0.2.53,192.0.2.54
        tag:s-sub-a,option:classless-static-route,169.254.169.254/32,10.1.0.5,172.16.0.0/12,10.1.0.6,0.0.0.0/0,10.1.0.1
        tag:s-sub-b,option:router
        tag:s-sub-b,option:dns-server
        """, TenantDhcp.options(network(List.of(WITH_ALL, BARE), List.of())),
        "a subnet without gateway or name servers sends them empty: dnsmasq would offer itself");
    DhcpSubnet ownDefault = new DhcpSubnet("sub-c", "10.3.0.0/24", "10.3.0.2", Optional.of("10.3.0.1"), List.of(),
        List.of(new DhcpSubnet.Route("0.0.0.0/0", "10.3.0.254")));
    assertTrue(TenantDhcp.options(network(List.of(ownDefault), List.of()))
        .contains("tag:s-sub-c,option:classless-static-route,0.0.0.0/0,10.3.0.254\n"), "a default route given is not doubled");
  }

  @Test
  void withTheMetadataServiceGuestsAreToldItsRouteOnLinkBeforeTheirDefaultRoute() {
    DhcpSubnet gatewayOnly = new DhcpSubnet("sub-d", "10.4.0.0/24", "10.4.0.2", Optional.of("10.4.0.1"), List.of(),
        List.of());
    String options = TenantDhcp.options(network(List.of(gatewayOnly, BARE), List.of()), true);
    assertTrue(options.contains("tag:s-sub-d,option:classless-static-route,169.254.169.254/32,0.0.0.0,0.0.0.0/0,10.4.0.1\n"),
        "on-link (router 0.0.0.0), and the default route kept: option 121 replaces option 3 " + options);
    assertTrue(options.contains("tag:s-sub-b,option:classless-static-route,169.254.169.254/32,0.0.0.0\n"),
        "a subnet without a gateway gets the metadata route alone: " + options);
    assertTrue(TenantDhcp.options(network(List.of(WITH_ALL), List.of()), true).contains(
        "tag:s-sub-a,option:classless-static-route,169.254.169.254/32,10.1.0.5,172.16.0.0/12,10.1.0.6,0.0.0.0/0,10.1.0.1\n"),
        "the subnet's own route to the metadata address wins");
    assertEquals(TenantDhcp.options(network(List.of(gatewayOnly), List.of())),
        TenantDhcp.options(network(List.of(gatewayOnly), List.of()), false), "without the service: as before");
  }

  @Test
  void aLeaseGivesThePortsMacItsAddressAndItsServersName() {
    TenantPort port = new TenantPort("srv-1", "c0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:12:34:56",
        Optional.of("10.1.0.7"), "web-1");
    assertEquals(Optional.of("fa:16:3e:12:34:56,10.1.0.7,web-1\n"), TenantDhcp.hostLine(port));
    TenantPort noAddress = new TenantPort("srv-1", "c0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:12:34:56",
        Optional.empty(), "web-1");
    assertEquals(Optional.empty(), TenantDhcp.hostLine(noAddress), "no IPv4 address: nothing to lease");
  }

  private static DhcpSubnet v6(String id, String cidr, String raMode, String addressMode, List<String> dns) {
    return new DhcpSubnet(id, cidr, cidr.replace("::/64", "::2"), Optional.empty(), dns, List.of(),
        Optional.of(new DhcpSubnet.Ipv6Modes(Optional.ofNullable(raMode), Optional.ofNullable(addressMode))));
  }

  @Test
  void ipv6SubnetsGetTheRangeModeOfTheirNeutronModesAndAdvertisementsWithTheMtu() {
    HostNetwork n = network(List.of(BARE, v6("sub-s", "2001:db8:1::/64", "slaac", "slaac", List.of()),
        v6("sub-l", "2001:db8:2::/64", "dhcpv6-stateless", null, List.of()),
        v6("sub-f", "2001:db8:3::/64", "dhcpv6-stateful", "dhcpv6-stateful", List.of()),
        v6("sub-x", "2001:db8:4::/64", null, "slaac", List.of()),
        v6("sub-n", "2001:db8:5::/64", null, null, List.of())), List.of());
    List<String> args = TenantDhcp.arguments(n, DIR);
    assertEquals(List.of("--dhcp-range=set:s-sub-b,10.2.0.0,static,255.255.255.240,86400s",
        "--dhcp-range=set:s-sub-s,2001:db8:1::,ra-only,64,86400s",
        "--dhcp-range=set:s-sub-l,2001:db8:2::,ra-stateless,64,86400s",
        "--dhcp-range=set:s-sub-f,2001:db8:3::,static,64,86400s",
        "--dhcp-range=set:s-sub-n,2001:db8:5::,static,64,86400s",
        "--enable-ra", "--ra-param=" + BR + ",mtu:1450,30,0"), args.subList(6, 13),
        "an external router advertises a SLAAC subnet without ra mode: nothing for it here; the host is no default router");
    assertEquals(List.of(), TenantDhcp6.advertisements(network(List.of(BARE,
        v6("sub-n", "2001:db8:5::/64", null, "dhcpv6-stateful", List.of())), List.of())), "no ra mode: no advertisements");
  }

  @Test
  void ipv6OptionsAreNameServersButForSlaac() {
    assertEquals("option:mtu,1450\n"
        + "tag:s-sub-f,option6:dns-server,[2001:db8::53],[2001:db8::54]\n"
        + "tag:s-sub-l,option6:dns-server\n",
        TenantDhcp.options(network(List.of(v6("sub-s", "2001:db8:1::/64", "slaac", null, List.of("2001:db8::53")),
            v6("sub-f", "2001:db8:3::/64", "dhcpv6-stateful", null, List.of("2001:db8::53", "2001:db8::54")),
            v6("sub-l", "2001:db8:2::/64", null, "dhcpv6-stateless", List.of())), List.of())));
  }

  @Test
  void aStatefulLeaseNamesTheIpv6AddressInBrackets() {
    TenantPort both = new TenantPort("srv-1", "c0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:12:34:56",
        Optional.of("10.1.0.7"), "web-1", Optional.of("2001:db8:3::7"));
    assertEquals(Optional.of("fa:16:3e:12:34:56,10.1.0.7,[2001:db8:3::7],web-1\n"), TenantDhcp.hostLine(both));
    TenantPort v6Only = new TenantPort("srv-1", "c0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:12:34:56",
        Optional.empty(), "web-1", Optional.of("2001:db8:3::7"));
    assertEquals(Optional.of("fa:16:3e:12:34:56,[2001:db8:3::7],web-1\n"), TenantDhcp.hostLine(v6Only));
  }

  @Test
  void hostNamesAreServerNamesSanitisedAsNovaDoes() {
    Optional<String> ip = Optional.of("10.1.0.7");
    assertEquals("web-1", TenantDhcp.hostname("web-1", ip));
    assertEquals("my-web-server", TenantDhcp.hostname("My Web_Server", ip));
    assertEquals("caf-42", TenantDhcp.hostname("-café.42!-", ip), "only letters, digits and inner hyphens");
    assertEquals("host-10-1-0-7", TenantDhcp.hostname("ü!", ip), "nothing left: named by its address");
    assertEquals("host-unnamed", TenantDhcp.hostname("", Optional.empty()));
    assertEquals("host-42", TenantDhcp.hostname("42", ip), "dnsmasq would read 42 as a lease time");
    assertEquals("host-12h", TenantDhcp.hostname("12h", ip));
    assertEquals("host-infinite", TenantDhcp.hostname("infinite", ip));
    assertEquals(63, TenantDhcp.hostname("a".repeat(80), ip).length());
    assertEquals("a", TenantDhcp.hostname("a" + "-".repeat(70) + "b", ip), "cut to 63, then no trailing hyphen");
  }

  @Test
  void theLeasesOfPortsThatWentAreDroppedAndOtherLinesKept() {
    TenantPort stays = new TenantPort("s1", "p1", "fa:16:3e:00:00:01", Optional.of("10.1.0.4"), "one");
    String leases = """
        1796182222 fa:16:3e:00:00:01 10.1.0.4 one 01:fa:16:3e:00:00:01
        1796182000 FA:16:3E:00:00:09 10.1.0.3 gone *
        duid 00:01:00:01:2c:aa:bb:cc:fa:16:3e:00:00:aa
        1796182333 1234 2001:db8::5 six 00:01:00:01:2c:aa:bb:cc:fa:16:3e:00:00:01
        """;
    assertEquals("""
        1796182222 fa:16:3e:00:00:01 10.1.0.4 one 01:fa:16:3e:00:00:01
        duid 00:01:00:01:2c:aa:bb:cc:fa:16:3e:00:00:aa
        1796182333 1234 2001:db8::5 six 00:01:00:01:2c:aa:bb:cc:fa:16:3e:00:00:01
        """, TenantDhcp.leasesOf(leases, List.of(stays)),
        "the lease of the port that went is dropped (its address may go to a new port's MAC); DHCPv6 lines stay");
    String kept = TenantDhcp.leasesOf(leases, List.of(stays, new TenantPort("s2", "p2", "fa:16:3e:00:00:09",
        Optional.of("10.1.0.3"), "two")));
    assertEquals(leases, kept, "nothing changes while every lease's port is served (MACs in any case)");
    assertEquals("", TenantDhcp.leasesOf("", List.of(stays)));
  }
}
