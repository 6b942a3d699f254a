package nimbus.node.router;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.Network;
import nimbus.network.Router;
import nimbus.network.Subnet;
import nimbus.node.dataplane.TenantSegment;

/**
 * What one host builds for a router ({@link #of}): its namespace, a leg per port (a veth from the
 * namespace to the port's network bridge, with the port's MAC and addresses), its routes, the
 * address its SNAT leaves from, and its floating IPs. Pure; kept on disk as JSON by
 * {@link RouterRecords}, so its fields are plain values.
 *
 * @param defaultGateway the external subnet's gateway, where the router's default route goes
 * @param snatAddress the gateway address traffic leaving through the gateway is translated to
 */
public record RouterPlan(String routerId, List<Leg> legs, Optional<String> defaultGateway, List<Route> routes,
    Optional<String> snatAddress, List<Floating> floatingIps) {

  public RouterPlan {
    legs = List.copyOf(legs);
    routes = List.copyOf(routes);
    floatingIps = List.copyOf(floatingIps);
  }

  /**
   * A port of the router on its network: {@code addresses} with their subnets' prefixes
   * ({@code 10.0.0.1/24}); {@code external} for the gateway port.
   */
  public record Leg(String portId, String networkId, String mac, int mtu, boolean external, List<String> addresses,
      List<FixedIp> fixedIps) {
    public Leg {
      addresses = List.copyOf(addresses);
      fixedIps = List.copyOf(fixedIps);
    }

    /** Its end in the router's namespace, named as Neutron names a router's ports ({@code qr-}/{@code qg-} + 11). */
    public String inside() {
      return (external ? "qg-" : "qr-") + portId.substring(0, 11).toLowerCase();
    }

    /** Its end on the host, named as a guest's tap so the tenant network code treats it as a port of its bridge. */
    public String outside() {
      return TenantSegment.tapDevice(portId);
    }

    public String bridge() {
      return TenantSegment.bridgeOf(networkId);
    }
  }

  /** A static route of the router. */
  public record Route(String destination, String nexthop) {}

  /** A floating IP: traffic to {@code floatingAddress} goes to {@code fixedAddress} and back. */
  public record Floating(String floatingIpId, String floatingAddress, String fixedAddress) {}

  /** Its gateway leg, if it has one. */
  public Optional<Leg> gateway() {
    return legs.stream().filter(Leg::external).findFirst();
  }

  /**
   * The plan of {@code router} given the networks of its ports. Fails, saying why, if one of them
   * is missing or does not hold the router's port (the router changed meanwhile: a newer plan follows).
   */
  public static RouterPlan of(Router router, Map<String, Network> networks) {
    Map<String, List<Router.Interface>> byPort = new LinkedHashMap<>();
    router.interfaces().forEach(i -> byPort.computeIfAbsent(i.portId(), p -> new ArrayList<>()).add(i));
    List<Leg> legs = new ArrayList<>();
    for (List<Router.Interface> port : byPort.values()) {
      Router.Interface first = port.get(0);
      List<FixedIp> ips = port.stream().map(i -> new FixedIp(i.subnetId(), i.ipAddress())).toList();
      legs.add(leg(first.portId(), network(networks, first.networkId()), false, ips));
    }
    Optional<String> defaultGateway = Optional.empty();
    Optional<String> snat = Optional.empty();
    List<Floating> floating = List.of();
    if (router.gateway().isPresent()) {
      Router.Gateway g = router.gateway().get();
      Network external = network(networks, g.networkId());
      legs.add(leg(g.portId(), external, true, g.fixedIps()));
      Optional<FixedIp> v4 = g.fixedIps().stream().filter(f -> ipv4(f.ipAddress())).findFirst();
      defaultGateway = v4.flatMap(f -> external.subnet(f.subnetId())).flatMap(Subnet::gatewayIp);
      if (g.enableSnat()) snat = v4.map(FixedIp::ipAddress);
      floating = router.floatingIps().stream().filter(f -> ipv4(f.floatingIpAddress()) && ipv4(f.fixedIpAddress()))
          .map(f -> new Floating(f.floatingIpId(), f.floatingIpAddress(), f.fixedIpAddress())).toList();
    }
    List<Route> routes = router.routes().stream().map(r -> new Route(r.destination(), r.nexthop())).toList();
    return new RouterPlan(router.id(), legs, defaultGateway, routes, snat, floating);
  }

  private static Network network(Map<String, Network> networks, String id) {
    Network n = networks.get(id);
    if (n == null) throw new IllegalArgumentException("network " + id + " of the router is not known");
    return n;
  }

  private static Leg leg(String portId, Network n, boolean external, List<FixedIp> ips) {
    Attachment port = n.ports().get(portId);
    if (port == null) throw new IllegalArgumentException("port " + portId + " is not on network " + n.id());
    List<String> addresses = new ArrayList<>();
    for (FixedIp ip : ips) {
      Subnet s = n.subnet(ip.subnetId()).orElseThrow(() ->
          new IllegalArgumentException("subnet " + ip.subnetId() + " is not on network " + n.id()));
      addresses.add(ip.ipAddress() + s.cidr().substring(s.cidr().indexOf('/')));
    }
    return new Leg(portId, n.id(), port.macAddress(), n.mtu(), external, addresses, ips);
  }

  private static boolean ipv4(String address) {
    return !address.contains(":");
  }
}
