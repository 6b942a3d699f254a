package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/** What a port's owner (or an admin) sets and changes on it. */
public record PortAttributes(String name, String description, boolean adminStateUp, String deviceId,
    String deviceOwner, List<AddressPair> allowedAddressPairs, boolean portSecurityEnabled, List<String> tags)
    implements CborSerializable {

  /** Another address (and MAC) the port may send from: a VIP, a nested guest. */
  public record AddressPair(String ipAddress, String macAddress) implements CborSerializable {}
}
