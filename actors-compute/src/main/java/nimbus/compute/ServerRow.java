package nimbus.compute;

import java.time.Instant;
import java.util.Optional;

/**
 * A server as the read side keeps it: the request it was created with plus the columns lists
 * filter on. {@link #apply} follows each event the way {@link ServerEntity} does, so a listed
 * server shows what the server itself would show.
 */
public record ServerRow(String id, ServerSpec spec, String vmState, Optional<Task> task,
    PowerState power, Optional<String> host, Instant created, Instant updated,
    Optional<Instant> launchedAt, Optional<Fault> fault, Optional<String> lockedBy) {

  public static ServerRow requested(ServerEntity.ServerRequested e) {
    return new ServerRow(e.serverId(), e.spec(), "building", Optional.of(Task.SCHEDULING),
        PowerState.NOSTATE, Optional.empty(), e.at(), e.at(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  public ServerRow apply(ServerEntity.Event event) {
    Instant at = event.at();
    if (event instanceof ServerEntity.HostSelected) return with(vmState, Optional.of(Task.SPAWNING), power, at);
    if (event instanceof ServerEntity.HostRejected) return with(vmState, Optional.of(Task.SCHEDULING), power, at);
    if (event instanceof ServerEntity.ServerActivated e) {
      return new ServerRow(id, spec, "active", Optional.empty(), e.power(), Optional.of(e.host()),
          created, at, Optional.of(at), fault, lockedBy);
    }
    if (event instanceof ServerEntity.BuildFailed e) {
      return new ServerRow(id, spec, "error", Optional.empty(), PowerState.NOSTATE, Optional.empty(),
          created, at, launchedAt, Optional.of(new Fault(500, e.reason(), at)), lockedBy);
    }
    if (event instanceof ServerEntity.StopRequested) return with("active", Optional.of(Task.POWERING_OFF), power, at);
    if (event instanceof ServerEntity.ServerStopped e) return with("stopped", Optional.empty(), e.power(), at);
    if (event instanceof ServerEntity.StartRequested) return with("stopped", Optional.of(Task.POWERING_ON), power, at);
    if (event instanceof ServerEntity.ServerStarted) return with("active", Optional.empty(), PowerState.RUNNING, at);
    if (event instanceof ServerEntity.RebootRequested e) {
      return with("active", Optional.of(e.hard() ? Task.REBOOTING_HARD : Task.REBOOTING), power, at);
    }
    if (event instanceof ServerEntity.ServerRebooted) return with("active", Optional.empty(), PowerState.RUNNING, at);
    if (event instanceof ServerEntity.PauseRequested) return with("active", Optional.of(Task.PAUSING), power, at);
    if (event instanceof ServerEntity.ServerPaused) return with("paused", Optional.empty(), PowerState.PAUSED, at);
    if (event instanceof ServerEntity.UnpauseRequested) return with("paused", Optional.of(Task.UNPAUSING), power, at);
    if (event instanceof ServerEntity.SuspendRequested) return with("active", Optional.of(Task.SUSPENDING), power, at);
    if (event instanceof ServerEntity.ServerSuspended) return with("suspended", Optional.empty(), PowerState.SUSPENDED, at);
    if (event instanceof ServerEntity.ResumeRequested) return with("suspended", Optional.of(Task.RESUMING), power, at);
    if (event instanceof ServerEntity.ServerUnpaused || event instanceof ServerEntity.ServerResumed) {
      return with("active", Optional.empty(), PowerState.RUNNING, at);
    }
    if (event instanceof ServerEntity.TaskFailed) return with(vmState, Optional.empty(), power, at);
    if (event instanceof ServerEntity.RebuildRequested e) {
      ServerSpec next = e.name().map(spec::withName).orElse(spec).withBoot(e.boot());
      return new ServerRow(id, next, "active", Optional.of(Task.REBUILDING), power, host, created, at, launchedAt, fault, lockedBy);
    }
    if (event instanceof ServerEntity.ServerRebuilt) return with("active", Optional.empty(), PowerState.RUNNING, at);
    if (event instanceof ServerEntity.SnapshotRequested) return with(vmState, Optional.of(Task.IMAGE_SNAPSHOT), power, at);
    if (event instanceof ServerEntity.ServerSnapshotted) return with(vmState, Optional.empty(), power, at);
    if (event instanceof ServerEntity.ResizeRequested) return with(vmState, Optional.of(Task.RESIZE_PREP), power, at);
    if (event instanceof ServerEntity.ResizeClaimed) return with(vmState, Optional.of(Task.RESIZE_MIGRATING), power, at);
    if (event instanceof ServerEntity.ServerResized e) return resized(e.flavor(), "resized", e.power(), e.host(), at);
    if (event instanceof ServerEntity.ResizeFailed) return with(vmState, Optional.empty(), power, at);
    if (event instanceof ServerEntity.RevertRequested) return with(vmState, Optional.of(Task.RESIZE_REVERTING), power, at);
    if (event instanceof ServerEntity.ResizeConfirmed) return with(settledState(power), Optional.empty(), power, at);
    if (event instanceof ServerEntity.ResizeReverted e) {
      return resized(e.flavor(), settledState(e.power()), e.power(), e.host(), at);
    }
    if (event instanceof ServerEntity.ServerRenamed e) {
      return new ServerRow(id, spec.withName(e.name()), vmState, task, power, host, created, at, launchedAt, fault, lockedBy);
    }
    if (event instanceof ServerEntity.ServerLocked e) {
      return new ServerRow(id, spec, vmState, task, power, host, created, at, launchedAt, fault,
          Optional.of(e.byAdmin() ? "admin" : "owner"));
    }
    if (event instanceof ServerEntity.ServerUnlocked) {
      return new ServerRow(id, spec, vmState, task, power, host, created, at, launchedAt, fault, Optional.empty());
    }
    if (event instanceof ServerEntity.DeleteRequested) return with(vmState, Optional.of(Task.DELETING), power, at);
    if (event instanceof ServerEntity.ServerDeleted) return with("deleted", Optional.empty(), power, at);
    return this;
  }

  /** ACTIVE or SHUTOFF after a resize: the host powers the server back as it was before. */
  private static String settledState(PowerState p) {
    return p == PowerState.RUNNING ? "active" : "stopped";
  }

  private ServerRow resized(Flavor flavor, String vm, PowerState p, Optional<String> movedTo, Instant at) {
    return new ServerRow(id, spec.withFlavor(flavor), vm, Optional.empty(), p, movedTo.or(() -> host), created, at,
        launchedAt, fault, lockedBy);
  }

  private ServerRow with(String vm, Optional<Task> t, PowerState p, Instant at) {
    return new ServerRow(id, spec, vm, t, p, host, created, at, launchedAt, fault, lockedBy);
  }

  public String status() {
    return ServerView.status(vmState, task);
  }

  public ServerView view() {
    return new ServerView(id, spec.name(), spec.projectId(), spec.userId(), status(), vmState,
        task.map(t -> t.novaName), power.code, host, spec.flavor(), spec.boot().imageId(),
        spec.metadata(), created, updated, launchedAt, fault, lockedBy, spec.keyName(),
        spec.availabilityZone());
  }
}
