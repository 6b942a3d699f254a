package nimbus.node.dataplane;

import java.util.Optional;

/**
 * A port plugged on this host: the server it is a NIC of, its MAC, the IPv4 address DHCP gives
 * it (none: DHCP does not serve it), the host name its guest is told, and the IPv6 address
 * DHCPv6 gives it (stateful subnets only: elsewhere the guest makes its own).
 */
public record TenantPort(String serverId, String portId, String mac, Optional<String> ip, String hostname,
    Optional<String> ipv6) {

  /** A port DHCPv6 gives no address. */
  public TenantPort(String serverId, String portId, String mac, Optional<String> ip, String hostname) {
    this(serverId, portId, mac, ip, hostname, Optional.empty());
  }

  /** Its tap, as libvirt makes it for the domain ({@link TenantSegment#tapDevice}). */
  public String tap() {
    return TenantSegment.tapDevice(portId);
  }
}
