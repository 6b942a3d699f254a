package nimbus.compute;

import java.time.Instant;
import java.util.List;
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
    Optional<String> keyName,
    Optional<String> availabilityZone,
    List<ServerPort> ports,
    boolean configDrive,
    AccessAddresses access,
    Optional<String> description,
    List<String> tags,
    Optional<ServerSpec.Launch> launch,
    Optional<String> userData,
    List<ServerVolume> volumes) implements CborSerializable {

  public ServerView {
    if (ports == null) ports = List.of();
    if (volumes == null) volumes = List.of();
    if (access == null) access = AccessAddresses.NONE;
    if (description == null) description = Optional.empty();
    tags = tags == null ? List.of() : List.copyOf(tags);
    if (launch == null) launch = Optional.empty();
    if (userData == null) userData = Optional.empty();
  }

  /** A server without description, tags, launch, user data or volumes. */
  public ServerView(String id, String name, String projectId, String userId, String status, String vmState,
      Optional<String> taskState, int powerState, Optional<String> host, Flavor flavor, String imageId,
      Map<String, String> metadata, Instant created, Instant updated, Optional<Instant> launchedAt,
      Optional<Fault> fault, Optional<String> lockedBy, Optional<String> keyName, Optional<String> availabilityZone,
      List<ServerPort> ports, boolean configDrive, AccessAddresses access) {
    this(id, name, projectId, userId, status, vmState, taskState, powerState, host, flavor, imageId, metadata,
        created, updated, launchedAt, fault, lockedBy, keyName, availabilityZone, ports, configDrive, access,
        Optional.empty(), List.of(), Optional.empty(), Optional.empty(), List.of());
  }

  /** How its create made it; a server made before launches were kept was the only one of its create. */
  public ServerSpec.Launch launched() {
    return launch.orElseGet(() -> new ServerSpec.Launch(ServerCreation.reservationId(List.of(id)), 0,
        Hostnames.of(name, id, 1, 0)));
  }

  public boolean locked() {
    return lockedBy.isPresent();
  }

  /** Nova's status for a vm_state and task_state (nova.api.openstack.common's state map). */
  public static String status(String vmState, Optional<Task> task) {
    Task t = task.orElse(null);
    boolean resizing = t == Task.RESIZE_PREP || t == Task.RESIZE_MIGRATING;
    return switch (vmState) {
      case "building" -> "BUILD";
      case "active" -> {
        if (t == Task.REBOOTING) yield "REBOOT";
        if (t == Task.REBOOTING_HARD) yield "HARD_REBOOT";
        if (t == Task.REBUILDING) yield "REBUILD";
        yield resizing ? "RESIZE" : "ACTIVE";
      }
      case "stopped" -> resizing ? "RESIZE" : "SHUTOFF";
      case "resized" -> t == Task.RESIZE_REVERTING ? "REVERT_RESIZE" : "VERIFY_RESIZE";
      case "paused" -> "PAUSED";
      case "suspended" -> "SUSPENDED";
      case "error" -> "ERROR";
      case "deleted" -> "DELETED";
      default -> "UNKNOWN";
    };
  }
}
