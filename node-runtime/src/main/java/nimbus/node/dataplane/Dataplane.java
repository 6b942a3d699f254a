package nimbus.node.dataplane;

import java.util.Optional;

/**
 * How a host's networking is made. Blocking: call it on the blocking dispatcher.
 */
public interface Dataplane {

  /** Makes the host-local network exist (idempotent). */
  void ensureLocalNetwork();

  /** The bridge servers' NICs attach to; empty when this dataplane makes none. */
  Optional<String> serverBridge();
}
