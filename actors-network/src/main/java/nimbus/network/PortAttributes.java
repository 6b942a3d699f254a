package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/** What a port's owner (or an admin) sets and changes on it; {@code securityGroups} by id. */
public record PortAttributes(String name, String description, boolean adminStateUp, String deviceId,
    String deviceOwner, List<AddressPair> allowedAddressPairs, boolean portSecurityEnabled, List<String> tags,
    List<String> securityGroups) implements CborSerializable {

  public PortAttributes {
    // ports journaled before security groups are in none
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
  }

  /** Attributes of a port in no security group. */
  public PortAttributes(String name, String description, boolean adminStateUp, String deviceId, String deviceOwner,
      List<AddressPair> allowedAddressPairs, boolean portSecurityEnabled, List<String> tags) {
    this(name, description, adminStateUp, deviceId, deviceOwner, allowedAddressPairs, portSecurityEnabled, tags,
        List.of());
  }

  public PortAttributes withDevice(String id, String owner) {
    return new PortAttributes(name, description, adminStateUp, id, owner, allowedAddressPairs, portSecurityEnabled, tags,
        securityGroups);
  }

  public PortAttributes withSecurityGroups(List<String> groups) {
    return new PortAttributes(name, description, adminStateUp, deviceId, deviceOwner, allowedAddressPairs,
        portSecurityEnabled, tags, groups);
  }

  /** Neutron never filters its own ports (DHCP, router interfaces and gateways, floating IPs). */
  public boolean exemptFromFiltering() {
    return deviceOwner.startsWith("network:");
  }

  /** Another address (and MAC) the port may send from: a VIP, a nested guest. */
  public record AddressPair(String ipAddress, String macAddress) implements CborSerializable {}
}
