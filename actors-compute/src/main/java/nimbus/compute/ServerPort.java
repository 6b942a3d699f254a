package nimbus.compute;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.network.FixedIp;

/**
 * A server's NIC: its port, the port's network (by id and by the name Nova shows addresses
 * under), MAC and addresses; {@code owned} when the server made the port (it goes with the
 * server), not when the user gave it (it stays, unbound). {@code boundTo}: the host it is bound to.
 */
public record ServerPort(String portId, String networkId, String networkName, String macAddress,
    List<FixedIp> fixedIps, boolean owned, Optional<String> boundTo) implements CborSerializable {

  ServerPort boundTo(String host) {
    return new ServerPort(portId, networkId, networkName, macAddress, fixedIps, owned, Optional.of(host));
  }
}
