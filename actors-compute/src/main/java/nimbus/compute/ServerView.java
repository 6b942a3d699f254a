package nimbus.compute;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A server as the API shows it: Nova's {@code status}, {@code vm_state}, {@code task_state} and
 * {@code power_state} included. Entities answer with it and the read side stores it.
 */
public record ServerView(
    String id,
    String name,
    String projectId,
    String userId,
    String status,
    String vmState,
    Optional<String> taskState,
    int powerState,
    Optional<String> host,
    Flavor flavor,
    String imageId,
    Map<String, String> metadata,
    Instant created,
    Instant updated,
    Optional<Instant> launchedAt,
    Optional<Fault> fault,
    Optional<String> lockedBy,
    Optional<String> keyName) implements CborSerializable {

  public boolean locked() {
    return lockedBy.isPresent();
  }

  /** Nova's status for a vm_state and task_state. */
  public static String status(String vmState, Optional<Task> task) {
    return switch (vmState) {
      case "building" -> "BUILD";
      case "active" -> task.map(t -> switch (t) {
        case REBOOTING -> "REBOOT";
        case REBOOTING_HARD -> "HARD_REBOOT";
        case REBUILDING -> "REBUILD";
        default -> "ACTIVE";
      }).orElse("ACTIVE");
      case "stopped" -> "SHUTOFF";
      case "paused" -> "PAUSED";
      case "suspended" -> "SUSPENDED";
      case "error" -> "ERROR";
      case "deleted" -> "DELETED";
      default -> "UNKNOWN";
    };
  }
}
