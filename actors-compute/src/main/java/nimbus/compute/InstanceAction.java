package nimbus.compute;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/** One entry of a server's history, as Nova's os-instance-actions shows it. */
public record InstanceAction(String action, Instant startTime, Optional<String> message)
    implements CborSerializable {

  InstanceAction failed() {
    return new InstanceAction(action, startTime, Optional.of("Error"));
  }
}
