package nimbus.node.dataplane;

import java.util.List;
import java.util.Optional;

/**
 * A subnet DHCP serves on a tenant network: its CIDR, the DHCP server's address in it (the
 * network's DHCP port, the same on every host), and what guests are told: router, name servers,
 * routes; for IPv6, Neutron's modes, which say whether router advertisements and DHCPv6 come
 * from here and what they offer ({@link TenantDhcp6}).
 */
public record DhcpSubnet(String subnetId, String cidr, String serverAddress, Optional<String> gateway,
    List<String> dnsServers, List<Route> routes, Optional<Ipv6Modes> ipv6) {

  public DhcpSubnet {
    dnsServers = List.copyOf(dnsServers);
    routes = List.copyOf(routes);
  }

  /** An IPv4 subnet. */
  public DhcpSubnet(String subnetId, String cidr, String serverAddress, Optional<String> gateway,
      List<String> dnsServers, List<Route> routes) {
    this(subnetId, cidr, serverAddress, gateway, dnsServers, routes, Optional.empty());
  }

  /** Neutron's {@code ipv6_ra_mode} and {@code ipv6_address_mode} of an IPv6 subnet (none: neither set). */
  public record Ipv6Modes(Optional<String> raMode, Optional<String> addressMode) {}

  public boolean isIpv6() {
    return cidr.contains(":");
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
