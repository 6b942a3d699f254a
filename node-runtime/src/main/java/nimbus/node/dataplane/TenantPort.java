package nimbus.node.dataplane;

import java.util.Optional;

/**
 * A port plugged on this host: the server it is a NIC of, its MAC, the IPv4 address DHCP gives
 * it (none: DHCP does not serve it) and the host name its guest is told.
 */
public record TenantPort(String serverId, String portId, String mac, Optional<String> ip, String hostname) {

  /** Its tap, as libvirt makes it for the domain ({@link TenantSegment#tapDevice}). */
  public String tap() {
    return TenantSegment.tapDevice(portId);
  }
}
