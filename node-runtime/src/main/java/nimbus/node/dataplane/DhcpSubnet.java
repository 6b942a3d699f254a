package nimbus.node.dataplane;

import java.util.List;
import java.util.Optional;

/**
 * An IPv4 subnet DHCP serves on a tenant network: its CIDR, the DHCP server's address in it (the
 * network's DHCP port, the same on every host), and what guests are told: router, name servers,
 * routes.
 */
public record DhcpSubnet(String subnetId, String cidr, String serverAddress, Optional<String> gateway,
    List<String> dnsServers, List<Route> routes) {

  public DhcpSubnet {
    dnsServers = List.copyOf(dnsServers);
    routes = List.copyOf(routes);
  }

  /** A route to tell guests (DHCP option 121). */
  public record Route(String destination, String nexthop) {}

  /** The server's address with the subnet's prefix, as the bridge carries it (e.g. 10.0.0.2/24). */
  public String serverAddressWithPrefix() {
    return serverAddress + cidr.substring(cidr.indexOf('/'));
  }

  /** dnsmasq's tag for this subnet: its options go to guests whose request arrived in its range. */
  String tag() {
    return "s-" + subnetId;
  }
}
