package nimbus.compute;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * One entry of a server's history, as Nova's os-instance-actions shows it; {@code requestId} is
 * the API request that began it (empty in histories from before requests were recorded).
 */
public record InstanceAction(String action, Instant startTime, Optional<String> message, Optional<String> requestId)
    implements CborSerializable {

  InstanceAction failed() {
    return new InstanceAction(action, startTime, Optional.of("Error"), requestId);
  }
}
