package nimbus.node.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkType;
import nimbus.network.Router;
import nimbus.network.Segment;
import nimbus.network.Subnet;
import org.junit.jupiter.api.Test;

/** A router as its entity publishes it, turned into what its host builds: plan, commands, rules. */
class RouterBuildersTest {
  private static final String ROUTER = "7e57a000-0000-4000-8000-000000000001";
  private static final String NET_A = "a1000000-0000-4000-8000-0000000000a1";
  private static final String EXT = "e4000000-0000-4000-8000-0000000000e4";
  private static final String PORT_A = "1a000000-0000-4000-8000-00000000001a";
  private static final String PORT_A6 = "1a600000-0000-4000-8000-00000000001a";
  private static final String PORT_GW = "1e000000-0000-4000-8000-00000000001e";

  private static Subnet subnet(String id, String network, String cidr, String gateway) {
    return new Subnet(id, network, "p", "", "", cidr.contains(":") ? 6 : 4, cidr, Optional.of(gateway),
        Subnet.defaultPools(IpNet.parse(cidr), IpNet.Address.parse(gateway)), true, List.of(), List.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static Network network(String id, int mtu, List<Subnet> subnets, Map<String, Attachment> ports) {
    return new Network(id, "p", new NetworkAttributes("n", "", true, false, false, true, List.of(), List.of()),
        new Segment(NetworkType.VXLAN, Optional.empty(), Optional.of(7)), mtu, Network.Phase.ACTIVE, true, true,
        subnets, List.of(), ports, List.of(), Instant.EPOCH, Instant.EPOCH, 1);
  }

  private static Attachment port(String mac) {
    return new Attachment("p", mac, List.of(), "network:router_interface", Optional.empty());
  }

  private static final Map<String, Network> NETWORKS = Map.of(
      NET_A, network(NET_A, 1450, List.of(subnet("sa", NET_A, "10.1.0.0/24", "10.1.0.1"),
          subnet("sa6", NET_A, "fd00:1::/64", "fd00:1::1")), Map.of(PORT_A, port("fa:16:3e:00:00:0a"))),
      EXT, network(EXT, 1500, List.of(subnet("se", EXT, "203.0.113.0/24", "203.0.113.1")),
          Map.of(PORT_GW, port("fa:16:3e:00:00:0e"))));

  private static Router router(boolean snat, List<Router.FloatingIpMapping> floating) {
    return new Router(ROUTER, "p", "r", "", true, "ACTIVE", Optional.of("host-a"),
        Optional.of(new Router.Gateway(EXT, PORT_GW, snat, List.of(new FixedIp("se", "203.0.113.10")))),
        List.of(new Router.Interface(PORT_A, NET_A, "sa", "10.1.0.1"), new Router.Interface(PORT_A, NET_A, "sa6", "fd00:1::1")),
        List.of(new Router.Route("198.51.100.0/24", "10.1.0.6")), floating, List.of(), List.of(),
        Instant.EPOCH, Instant.EPOCH, 3, false);
  }

  private static final Router.FloatingIpMapping FIP =
      new Router.FloatingIpMapping("f1", "203.0.113.50", "10.1.0.10", "p-guest");

  @Test
  void aPlanHasALegPerPortWithItsSubnetsPrefixesAndTheExternalSubnetsGateway() {
    RouterPlan plan = RouterPlan.of(router(true, List.of(FIP)), NETWORKS);

    assertEquals(2, plan.legs().size(), "one leg per port, however many subnets it is on");
    RouterPlan.Leg a = plan.legs().get(0);
    assertEquals(List.of("10.1.0.1/24", "fd00:1::1/64"), a.addresses());
    assertEquals("fa:16:3e:00:00:0a", a.mac());
    assertEquals(1450, a.mtu());
    assertEquals("qr-1a000000-00", a.inside());
    assertEquals("ntp-1a000000-00", a.outside());
    assertEquals("nbr-a1000000000", a.bridge());
    RouterPlan.Leg gw = plan.gateway().orElseThrow();
    assertEquals("qg-1e000000-00", gw.inside());
    assertEquals(List.of("203.0.113.10/24"), gw.addresses());
    assertEquals(Optional.of("203.0.113.1"), plan.defaultGateway());
    assertEquals(Optional.of("203.0.113.10"), plan.snatAddress());
    assertEquals(List.of(new RouterPlan.Floating("f1", "203.0.113.50", "10.1.0.10")), plan.floatingIps());
    assertEquals(List.of(new RouterPlan.Route("198.51.100.0/24", "10.1.0.6")), plan.routes());
    for (RouterPlan.Leg leg : plan.legs()) {
      assertTrue(leg.inside().length() <= 15 && leg.outside().length() <= 15, "device names fit IFNAMSIZ");
    }
  }

  @Test
  void withoutSnatOrGatewayNothingIsTranslated() {
    assertEquals(Optional.empty(), RouterPlan.of(router(false, List.of(FIP)), NETWORKS).snatAddress());
    Router noGateway = new Router(ROUTER, "p", "r", "", true, "ACTIVE", Optional.of("host-a"), Optional.empty(),
        router(true, List.of()).interfaces(), List.of(), List.of(FIP), List.of(), List.of(), Instant.EPOCH, Instant.EPOCH, 1, false);
    RouterPlan plan = RouterPlan.of(noGateway, NETWORKS);
    assertEquals(Optional.empty(), plan.gateway());
    assertEquals(Optional.empty(), plan.defaultGateway());
    assertEquals(List.of(), plan.floatingIps(), "floating IPs need the gateway");
    assertFalse(RouterFirewall.ruleset(plan).contains("snat to 203"));
  }

  @Test
  void aPortMissingFromItsNetworkIsNoPlan() {
    Map<String, Network> withoutPort = Map.of(NET_A, network(NET_A, 1450, NETWORKS.get(NET_A).subnets(), Map.of()),
        EXT, NETWORKS.get(EXT));
    assertThrows(IllegalArgumentException.class, () -> RouterPlan.of(router(true, List.of()), withoutPort));
    assertThrows(IllegalArgumentException.class, () -> RouterPlan.of(router(true, List.of()), Map.of(NET_A, NETWORKS.get(NET_A))));
  }

  @Test
  void theNamespaceIsNimbusNamedAndShort() {
    assertEquals("nqr-7e57a000000", RouterCommands.namespaceOf(ROUTER));
    assertTrue(RouterCommands.isRouterNamespace("nqr-7e57a000000"));
    assertFalse(RouterCommands.isRouterNamespace("qrouter-7e57a000"));
    assertFalse(RouterCommands.isRouterNamespace("nqr-7e57a000000x"));
    assertThrows(IllegalArgumentException.class, () -> RouterCommands.namespaceOf("../etc"));
    assertEquals(Set.of("nqr-7e57a000000", "other"), RouterCommands.namespaces("nqr-7e57a000000 (id: 3)\nother\n"));
    assertEquals(Set.of("nqr-7e57a000000"), RouterCommands.connected(
        "7: ntp-1a000000-00@if2: <BROADCAST,MULTICAST,UP> mtu 1450 master nbr-a1000000000\\    link/ether aa:17:fe:f7:d4:55"
        + " brd ff:ff:ff:ff:ff:ff link-netns nqr-7e57a000000\n"
        + "8: ntp-2b000000-00@if3: <BROADCAST> mtu 1450\\    link/ether aa:17:fe:f7:d4:56 brd ff:ff:ff:ff:ff:ff link-netns guest-ns\n"),
        "the router namespaces this host's veths lead to");
  }

  @Test
  void linksAreMadeOnlyWhereMissingAndStaleLegsDeleted() {
    RouterCommands c = new RouterCommands(RouterPlan.of(router(true, List.of()), NETWORKS));
    List<List<String>> fresh = c.links(Set.of(), Set.of());
    assertEquals(List.of("ip", "netns", "add", "nqr-7e57a000000"), fresh.get(0));
    assertTrue(fresh.contains(List.of("ip", "link", "add", "ntp-1a000000-00", "mtu", "1450", "type", "veth", "peer",
        "name", "qr-1a000000-00", "netns", "nqr-7e57a000000")), fresh.toString());
    assertTrue(fresh.contains(List.of("ip", "link", "set", "dev", "ntp-1a000000-00", "mtu", "1450", "master",
        "nbr-a1000000000", "up")));
    assertTrue(fresh.contains(List.of("ip", "-n", "nqr-7e57a000000", "link", "set", "dev", "qg-1e000000-00", "address",
        "fa:16:3e:00:00:0e", "mtu", "1500", "up")));

    List<List<String>> again = c.links(Set.of("nqr-7e57a000000"),
        Set.of("lo", "qr-1a000000-00", "qg-1e000000-00", "qr-99999999-00"));
    assertTrue(again.stream().noneMatch(cmd -> cmd.contains("add")), "nothing is made twice: " + again);
    assertTrue(again.contains(List.of("ip", "-n", "nqr-7e57a000000", "link", "del", "dev", "qr-99999999-00")));
    assertTrue(again.stream().noneMatch(cmd -> cmd.contains("del") && cmd.contains("lo")));
  }

  @Test
  void addressesChangeByTheDifferenceFloatingOnesOnTheGateway() {
    RouterCommands c = new RouterCommands(RouterPlan.of(router(true, List.of(FIP)), NETWORKS));
    Map<String, Set<String>> held = RouterCommands.addresses(String.join("\n",
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
        "2: qr-1a000000-00    inet 10.1.0.1/24 scope global qr-1a000000-00\\       valid_lft forever",
        "2: qr-1a000000-00    inet6 fe80::1/64 scope link \\       valid_lft forever",
        "3: qg-1e000000-00    inet 203.0.113.10/24 scope global qg-1e000000-00\\       valid_lft forever",
        "3: qg-1e000000-00    inet 203.0.113.77/32 scope global qg-1e000000-00\\       valid_lft forever"));
    assertEquals(Map.of("qr-1a000000-00", Set.of("10.1.0.1/24"), "qg-1e000000-00",
        Set.of("203.0.113.10/24", "203.0.113.77/32")), held);

    assertEquals("address del 203.0.113.77/32 dev qg-1e000000-00\n"
        + "address add fd00:1::1/64 dev qr-1a000000-00\n"
        + "address add 203.0.113.50/32 dev qg-1e000000-00\n", c.addressBatch(held));
  }

  @Test
  void routesAreReplacedAndStaleOnesDeleted() {
    RouterCommands c = new RouterCommands(RouterPlan.of(router(true, List.of()), NETWORKS));
    List<List<String>> routes = c.routes("default via 203.0.113.1 dev qg-1e000000-00 proto static\n"
        + "172.16.0.0/12 via 10.1.0.9 dev qr-1a000000-00 proto static\n"
        + "\nfd00:9::/64 via fd00:1::9 dev qr-1a000000-00 proto static metric 1024 pref medium\n");
    assertEquals(List.of(
        List.of("ip", "-n", "nqr-7e57a000000", "route", "del", "172.16.0.0/12", "via", "10.1.0.9"),
        List.of("ip", "-n", "nqr-7e57a000000", "route", "del", "fd00:9::/64", "via", "fd00:1::9"),
        List.of("ip", "-n", "nqr-7e57a000000", "route", "replace", "default", "via", "203.0.113.1", "proto", "static"),
        List.of("ip", "-n", "nqr-7e57a000000", "route", "replace", "198.51.100.0/24", "via", "10.1.0.6", "proto", "static")),
        routes);
  }

  @Test
  void theRulesetReplacesItselfAndPutsFloatingIpsBeforeSnat() {
    String rules = RouterFirewall.ruleset(RouterPlan.of(router(true, List.of(FIP)), NETWORKS));
    assertTrue(rules.startsWith("table ip nimbus_router {}\ndelete table ip nimbus_router\n"), rules);
    assertTrue(rules.contains("elements = { 203.0.113.50 : 10.1.0.10 }"), rules);
    assertTrue(rules.contains("elements = { 10.1.0.10 : 203.0.113.50 }"), rules);
    assertTrue(rules.contains("dnat to ip daddr map @floating_in"));
    int floating = rules.indexOf("oifname \"qg-1e000000-00\" snat to ip saddr map @floating_out");
    int snat = rules.indexOf("oifname \"qg-1e000000-00\" snat to 203.0.113.10");
    assertTrue(floating > 0 && snat > floating, "a floating IP's SNAT comes before the router's: " + rules);
    assertTrue(rules.contains("iifname { \"qr-1a000000-00\", \"qg-1e000000-00\" } oifname { \"qr-1a000000-00\", \"qg-1e000000-00\" } accept"));
    assertTrue(rules.contains("policy drop"), "nothing but the router's legs is forwarded");
    assertTrue(rules.contains("elements = { 203.0.113.50 . 10.1.0.10 }"), rules);
    int stale = rules.indexOf("ct status dnat ct original ip daddr . ct reply ip saddr != @floating_pairs drop");
    assertTrue(stale > 0 && stale < rules.indexOf("oifname { "), "a connection whose floating IP is gone goes no further: " + rules);
  }
}
