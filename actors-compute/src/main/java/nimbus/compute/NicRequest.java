package nimbus.compute;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * One entry of a server create's {@code networks}: a network to get a new port on (optionally
 * with a fixed address), or a port the user made. A new port is in {@code securityGroups} (ids; none
 * named: its project's default group).
 */
public record NicRequest(Optional<String> networkId, Optional<String> portId, Optional<String> fixedIp,
    List<String> securityGroups) implements CborSerializable {

  public NicRequest {
    // requests journaled before security groups name none
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
  }

  public NicRequest(Optional<String> networkId, Optional<String> portId, Optional<String> fixedIp) {
    this(networkId, portId, fixedIp, List.of());
  }

  public NicRequest withSecurityGroups(List<String> groups) {
    return new NicRequest(networkId, portId, fixedIp, groups);
  }

  public static NicRequest onNetwork(String networkId, Optional<String> fixedIp) {
    return new NicRequest(Optional.of(networkId), Optional.empty(), fixedIp);
  }

  public static NicRequest port(String portId) {
    return new NicRequest(Optional.empty(), Optional.of(portId), Optional.empty());
  }
}
