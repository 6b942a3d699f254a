package nimbus.node.dataplane;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One tenant network as this host must have it: its segment, the other hosts that carry it
 * ({@code peers}, by underlay address), the subnets its DHCP serves and the MAC of the network's
 * DHCP port (the bridge takes it), the ports plugged here and, of those, the ones DHCP serves.
 */
public record HostNetwork(TenantSegment segment, Set<String> peers, List<DhcpSubnet> subnets,
    Optional<String> dhcpMac, List<TenantPort> ports, List<TenantPort> served) {

  public HostNetwork {
    peers = Set.copyOf(peers);
    subnets = List.copyOf(subnets);
    ports = List.copyOf(ports);
    served = List.copyOf(served);
  }

  public String networkId() {
    return segment.networkId();
  }
}
