package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * One entry of a server create's {@code networks}: a network to get a new port on (optionally
 * with a fixed address), or a port the user made.
 */
public record NicRequest(Optional<String> networkId, Optional<String> portId, Optional<String> fixedIp)
    implements CborSerializable {

  public static NicRequest onNetwork(String networkId, Optional<String> fixedIp) {
    return new NicRequest(Optional.of(networkId), Optional.empty(), fixedIp);
  }

  public static NicRequest port(String portId) {
    return new NicRequest(Optional.empty(), Optional.of(portId), Optional.empty());
  }
}
