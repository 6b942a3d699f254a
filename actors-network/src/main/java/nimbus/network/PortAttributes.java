package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/** What a port's owner (or an admin) sets and changes on it. */
public record PortAttributes(String name, String description, boolean adminStateUp, String deviceId,
    String deviceOwner, List<AddressPair> allowedAddressPairs, boolean portSecurityEnabled, List<String> tags)
    implements CborSerializable {

  public PortAttributes withDevice(String id, String owner) {
    return new PortAttributes(name, description, adminStateUp, id, owner, allowedAddressPairs, portSecurityEnabled, tags);
  }

  /** Another address (and MAC) the port may send from: a VIP, a nested guest. */
  public record AddressPair(String ipAddress, String macAddress) implements CborSerializable {}
}
