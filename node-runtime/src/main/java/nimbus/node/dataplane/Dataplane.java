package nimbus.node.dataplane;

import java.util.Optional;
import java.util.Set;

/**
 * How a host's networking is made. Blocking: call it on the blocking dispatcher.
 */
public interface Dataplane {

  /** Makes the host-local network exist (idempotent). */
  void ensureLocalNetwork();

  /**
   * Gives a server its NIC on the host-local network: a MAC and a fixed address that DHCP hands
   * out to that MAC alone (idempotent: the same server keeps its lease). Empty when this
   * dataplane makes no NICs.
   */
  Optional<Lease> plug(String serverId);

  /** Lets the server's address go (idempotent). */
  void unplug(String serverId);

  /** The servers that hold an address here. */
  Set<String> leasedServers();
}
