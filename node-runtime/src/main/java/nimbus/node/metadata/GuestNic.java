package nimbus.node.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.compute.ServerPort;
import nimbus.network.FixedIp;
import nimbus.network.Network;
import nimbus.network.Subnet;

/**
 * A guest's NIC as its metadata describes it (OpenStack's {@code network_data.json}): its port,
 * MAC, network and MTU, and each of its addresses with what the address's subnet tells guests.
 */
public record GuestNic(String portId, String mac, String networkId, int mtu, List<Address> addresses) {

  public GuestNic {
    addresses = List.copyOf(addresses);
  }

  /**
   * One address of the NIC, in its subnet: the subnet's CIDR, gateway, name servers and routes;
   * {@code dhcp} when the subnet's DHCP serves it (the guest then asks DHCP, as Nova tells it);
   * {@code ipv6AddressMode} Neutron's ({@code slaac}, {@code dhcpv6-stateful}, ...).
   */
  public record Address(String ip, String cidr, Optional<String> gateway, List<String> dnsServers,
      List<Route> routes, boolean dhcp, Optional<String> ipv6AddressMode) {

    public Address {
      dnsServers = List.copyOf(dnsServers);
      routes = List.copyOf(routes);
      if (gateway == null) gateway = Optional.empty();
      if (ipv6AddressMode == null) ipv6AddressMode = Optional.empty();
    }

    public int ipVersion() {
      return ip.contains(":") ? 6 : 4;
    }
  }

  /** A route to a destination CIDR through a next hop. */
  public record Route(String destination, String nexthop) {}

  /** The NIC of {@code port} on {@code network}, with each fixed IP's subnet as the network has it. */
  public static GuestNic of(ServerPort port, Network network) {
    List<Address> addresses = new ArrayList<>();
    for (FixedIp ip : port.fixedIps()) {
      Optional<Subnet> subnet = network.subnet(ip.subnetId());
      if (subnet.isEmpty()) continue;
      Subnet s = subnet.get();
      addresses.add(new Address(ip.ipAddress(), s.cidr(), s.gatewayIp(), s.dnsNameservers(),
          s.hostRoutes().stream().map(r -> new Route(r.destination(), r.nexthop())).toList(),
          s.enableDhcp(), s.ipv6AddressMode()));
    }
    return new GuestNic(port.portId(), port.macAddress(), network.id(), network.mtu(), addresses);
  }
}
