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
}
