package nimbus.network;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a network holds for one of its ports: the port's project, MAC and addresses, the host it is
 * plugged on (which hosts' agents use to build the network's tunnels and DHCP leases), and how
 * hosts filter it ({@link PortSecurity}).
 */
public record Attachment(String projectId, String macAddress, List<FixedIp> fixedIps, String deviceOwner,
    Optional<Placement> placement, PortSecurity security) implements CborSerializable {

  public Attachment {
    if (placement == null) placement = Optional.empty();
    // attachments journaled before security groups are not filtered
    if (security == null) security = PortSecurity.OFF;
  }

  /** An attachment whose port is not filtered. */
  public Attachment(String projectId, String macAddress, List<FixedIp> fixedIps, String deviceOwner,
      Optional<Placement> placement) {
    this(projectId, macAddress, fixedIps, deviceOwner, placement, PortSecurity.OFF);
  }

  /** A port's host, by name and by its underlay address (where tunnels to it end). */
  public record Placement(String host, String underlayAddress) implements CborSerializable {}

  Attachment secured(PortSecurity how) {
    return new Attachment(projectId, macAddress, fixedIps, deviceOwner, placement, how);
  }

  Attachment placed(Optional<Placement> where) {
    return new Attachment(projectId, macAddress, fixedIps, deviceOwner, where, security);
  }
}
