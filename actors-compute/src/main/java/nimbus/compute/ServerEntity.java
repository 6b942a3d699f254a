package nimbus.compute;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.FaultInjection;
import nimbus.cluster.Rejection;
import nimbus.config.ComputeSettings;
import nimbus.storage.Image;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One server (a VM), keyed by its UUID: its whole life from BUILD to DELETED.
 *
 * <p>Every step is persisted before it is carried out, and every step in flight has a deadline:
 * the entity re-sends the step (to its host, its project's quota, the image service) until the
 * answer comes, and past the deadline it moves on (reschedules, fails the task and undoes what the
 * task began, or ends in ERROR with a reason). After a crash the entity is started again
 * (remembered by its shard) and picks up the step it was in. The handlers are split by concern:
 * {@link ServerBuild}, {@link ServerPower}, {@link ServerResize}, {@link ServerSnapshot}.
 *
 * <p>Programmatic use: send {@link Create}, {@link Get}, {@link Start}, {@link Stop},
 * {@link Reboot}, {@link Delete} or {@link GetConsoleOutput} to
 * {@code ClusterSharding.get(system).entityRefFor(ServerEntity.TYPE_KEY, serverId)}; errors come
 * back as {@link StatusReply} errors readable with {@link Rejection#from}. Create servers through
 * {@link ServerCreation}, which holds their quota. A command wrapped in {@link ForRequest} records
 * the caller's request id in the action it begins.
 */
public final class ServerEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ServerEntity.Command, ServerEntity.Event, ServerEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Server");
  public static final String TAG = "server";
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  // ---------------------------------------------------------------- commands

  /** Messages a server understands. */
  public sealed interface Command extends CborSerializable {}

  /** Create the server (idempotent: the same spec again answers with the server as it is). */
  public record Create(ServerSpec spec, ActorRef<StatusReply<ServerView>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<ServerView>> replyTo) implements Command {}

  public record Start(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Stop(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Reboot(boolean hard, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Pause(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Unpause(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Suspend(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Resume(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Locks ({@code locked}) or unlocks the server. A locked server refuses actions from anyone
   * but an admin, and a lock an admin set only an admin lifts (the API checks both).
   */
  public record Lock(boolean locked, boolean byAdmin, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Nova's server update: a new name, new access addresses (each one given replaces the old one),
   * or both; answered with the server.
   */
  public record Update(Optional<String> name, AccessAddresses access, Optional<NewDescription> description,
      ActorRef<StatusReply<ServerView>> replyTo) implements Command {
    public Update(Optional<String> name, AccessAddresses access, ActorRef<StatusReply<ServerView>> replyTo) {
      this(name, access, Optional.empty(), replyTo);
    }
  }

  /** A description an update or a rebuild gives the server (2.19): {@code text} empty is none (null). */
  public record NewDescription(Optional<String> text) implements CborSerializable {}

  /**
   * Nova's server tags (2.26): {@code replace} them all, {@code add} one or {@code delete} one
   * (none of them: only read); answered with the tags after the change. At most 50.
   */
  public record ChangeTags(Optional<List<String>> replace, Optional<String> add, Optional<String> delete,
      ActorRef<StatusReply<Tags>> replyTo) implements Command {}

  /**
   * Nova's trigger_crash_dump (2.17): accepted on a server with a host in ACTIVE, PAUSED,
   * RESIZED or ERROR; the dump itself then fails ({@link CrashDumpUnsupported}).
   */
  public record TriggerCrashDump(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A server's tags, in the order they were added, and whether the change changed them. */
  public record Tags(List<String> tags, boolean changed) implements CborSerializable {}

  public record GetActions(ActorRef<StatusReply<Actions>> replyTo) implements Command {}

  /**
   * Sets metadata items ({@code replace}: they become the whole metadata) or, given
   * {@code delete}, removes that item; answered with the metadata after the change. Nova allows
   * it only in a settled state, and at most 128 items.
   */
  public record ChangeMetadata(Map<String, String> items, boolean replace, Optional<String> delete,
      ActorRef<StatusReply<Metadata>> replyTo) implements Command {}

  /** A server's metadata items. */
  public record Metadata(Map<String, String> items) implements CborSerializable {}

  /**
   * Rebuild an ACTIVE server from another (or the same) image: its disk starts afresh; a name and
   * access addresses given replace the server's.
   */
  public record Rebuild(BootSource boot, Optional<String> name, AccessAddresses access,
      Optional<NewDescription> description, ActorRef<StatusReply<ServerView>> replyTo) implements Command {
    public Rebuild(BootSource boot, Optional<String> name, AccessAddresses access,
        ActorRef<StatusReply<ServerView>> replyTo) {
      this(boot, name, access, Optional.empty(), replyTo);
    }
  }

  /**
   * Snapshot the server's root disk into {@code image}, a queued image the server creates in the
   * image service (ACTIVE, SHUTOFF, PAUSED, SUSPENDED). Answered once the image exists.
   */
  public record CreateImage(Image image, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Resize to {@code flavor}: answered once the project's quota holds the larger of the two
   * flavors; the server then waits in VERIFY_RESIZE for {@link ConfirmResize} or {@link RevertResize}.
   */
  public record Resize(Flavor flavor, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Answered once the quota and the host hold the new flavor alone. */
  public record ConfirmResize(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record RevertResize(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Nova's os-interface attach: a NIC on a network (port {@code portId} made for it) or the user's
   * port; answered once the host has plugged it (ACTIVE, PAUSED or SHUTOFF servers).
   */
  public record AttachNic(NicRequest nic, String portId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Nova's os-interface detach: answered once accepted; the port goes (or, the user's, stays unbound). */
  public record DetachNic(String portId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Nova's os-volume_attachments attach: volume {@code volumeId} as attachment {@code attachmentId},
   * at {@code device} if that is free; answered once the volume is in use (ACTIVE, PAUSED or SHUTOFF servers).
   */
  public record AttachVolume(String volumeId, String attachmentId, Optional<String> device,
      ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Nova's os-volume_attachments detach: answered once accepted; the volume then becomes available. */
  public record DetachVolume(String volumeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * {@code command} on behalf of the API request {@code requestId} (Nova's
   * {@code x-compute-request-id}): the action it begins records that id, as Nova's instance
   * actions do, so a client finds the action by the id of its request.
   */
  public record ForRequest(String requestId,
      // a server's own command, named by its class (every one is a record nested here)
      @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) Command command) implements Command {}

  /** Delete the server; it answers once the deletion is accepted, and ends DELETED. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetConsoleOutput(Optional<Integer> lines, ActorRef<StatusReply<String>> replyTo)
      implements Command {}

  /** What a host's agent reports about the server. */
  public sealed interface HostReport extends Command {
    String host();
  }

  public record Spawned(String host, PowerState power) implements HostReport {}

  /** The host plugged the NIC of port {@code portId} into the domain. */
  public record NicPlugged(String host, String portId) implements HostReport {}

  /** The host could not plug it. */
  public record NicPlugFailed(String host, String portId, String reason) implements HostReport {}

  /** The host took the NIC out of the domain (or it was not there). */
  public record NicUnplugged(String host, String portId) implements HostReport {}

  /** The host added the volume's disk to the domain. */
  public record VolumePlugged(String host, String volumeId) implements HostReport {}

  public record VolumePlugFailed(String host, String volumeId, String reason) implements HostReport {}

  /** The host took the volume's disk out of the domain (or it was not there). */
  public record VolumeUnplugged(String host, String volumeId) implements HostReport {}

  public record SpawnFailed(String host, String reason) implements HostReport {}

  public record TaskDone(String host, Task task, PowerState power) implements HostReport {}

  public record TaskFailedOnHost(String host, Task task, String reason) implements HostReport {}

  public record Destroyed(String host) implements HostReport {}

  /** The server's root disk, flattened, is in the image store as {@code sha512} (none: no disk). */
  public record DiskExported(String host, Optional<String> sha512) implements HostReport {}

  /** The domain as the host sees it (lifecycle events and reconciliation). */
  public record PowerObserved(String host, PowerState power, boolean exists) implements HostReport {}

  record ScheduleNext() implements Command {}

  /**
   * The answer to a step asked of another entity ({@code step} names it, e.g. a claim on a host);
   * no refusal means done; {@code unanswered}: ask again at the next tick.
   */
  record StepAnswered(String step, Optional<Rejection> refusal, boolean unanswered, Optional<Object> value)
      implements Command {
    StepAnswered(String step, Optional<Rejection> refusal, boolean unanswered) {
      this(step, refusal, unanswered, Optional.empty());
    }
  }

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a server's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  /** A request that begins one of the server's actions (Nova's instance actions). */
  public sealed interface Request extends Event {
    /** Nova's name of the action. */
    default String action() {
      return ACTIONS.get(getClass());
    }

    /** The API request that asked for it (Nova's request_id; empty before requests were recorded). */
    Optional<String> requestId();
  }

  private static final Map<Class<? extends Request>, String> ACTIONS = Map.ofEntries(
      Map.entry(StopRequested.class, "stop"),
      Map.entry(StartRequested.class, "start"),
      Map.entry(RebootRequested.class, "reboot"),
      Map.entry(PauseRequested.class, "pause"),
      Map.entry(UnpauseRequested.class, "unpause"),
      Map.entry(SuspendRequested.class, "suspend"),
      Map.entry(ResumeRequested.class, "resume"),
      Map.entry(ServerLocked.class, "lock"),
      Map.entry(ServerUnlocked.class, "unlock"),
      Map.entry(RebuildRequested.class, "rebuild"),
      Map.entry(SnapshotRequested.class, "createImage"),
      Map.entry(ResizeRequested.class, "resize"),
      Map.entry(ResizeConfirmed.class, "confirmResize"),
      Map.entry(RevertRequested.class, "revertResize"),
      Map.entry(DeleteRequested.class, "delete"),
      Map.entry(NicAttachRequested.class, "attach_interface"),
      Map.entry(NicDetachRequested.class, "detach_interface"),
      Map.entry(CrashDumpRequested.class, "trigger_crash_dump"),
      Map.entry(VolumeAttachRequested.class, "attach_volume"),
      Map.entry(VolumeDetachRequested.class, "detach_volume"));

  /** The action under way failed (its entry in the history says so). */
  public sealed interface Failure extends Event {}

  /** The request was refused before it began: it leaves no action behind. */
  public sealed interface Refusal extends Event {
    Rejection.Kind kind();

    String reason();
  }

  /** The create asked for, by the API request {@code requestId} (empty: before requests were recorded). */
  public record ServerRequested(String serverId, ServerSpec spec, Optional<String> requestId, Instant at)
      implements Event {}

  public record HostSelected(String host, Instant at) implements Event {}

  /** The server's ports are made (or the user's claimed): it has its MACs and addresses. */
  public record PortsAllocated(List<ServerPort> ports, Instant at) implements Event {}

  /** The server's ports are bound to the host it is being built on. */
  public record PortsBound(String host, Instant at) implements Event {}

  public record NicAttachRequested(NicRequest nic, String portId, Optional<String> requestId, Instant at)
      implements Request {}

  public record NicAllocated(ServerPort port, Instant at) implements Event {}

  public record NicBound(Instant at) implements Event {}

  public record NicAttached(Instant at) implements Event {}

  /** The attach did not happen; what it made is given back. */
  public record NicAttachFailed(String reason, Instant at) implements Failure {}

  public record NicDetachRequested(String portId, Optional<String> requestId, Instant at) implements Request {}

  /** The host took the NIC out of the domain. */
  public record NicDetached(Instant at) implements Event {}

  /** The port of the NIC change is given back: the change is over. */
  public record NicReleased(Instant at) implements Event {}

  /** A volume's attach asked for, at {@code device}. */
  public record VolumeAttachRequested(String volumeId, String attachmentId, String device,
      Optional<String> requestId, Instant at) implements Request {}

  /** The volume is reserved for the server; {@code storageHost} holds its file. */
  public record VolumeReserved(String storageHost, Instant at) implements Event {}

  /** The storage host made the volume reachable from the server's host at {@code path}. */
  public record VolumeExported(String path, Instant at) implements Event {}

  /** The server's host added the disk to the domain. */
  public record VolumePluggedIn(Instant at) implements Event {}

  /** The volume is in use by the server: the attach is over. */
  public record VolumeAttached(Instant at) implements Event {}

  /** The attach did not happen; what it did is undone (the disk unplugged, the volume released). */
  public record VolumeAttachFailed(String reason, Instant at) implements Failure {}

  public record VolumeDetachRequested(String volumeId, Optional<String> requestId, Instant at) implements Request {}

  /** The volume knows it is being detached. */
  public record VolumeDetachBegun(Instant at) implements Event {}

  /** The server's host took the disk out of the domain. */
  public record VolumeUnpluggedOut(Instant at) implements Event {}

  /** The volume of the change is available again: the change is over. */
  public record VolumeReleased(Instant at) implements Event {}

  /** The new volume a server boots from is available (made from its image): it is reserved next. */
  public record BootVolumeCreated(Instant at) implements Event {}

  /** A server whose build failed let its volumes go (available again): it holds none. */
  public record BuildVolumesReleased(Instant at) implements Event {}

  /** The selected host holds room for the server. */
  public record HostClaimed(String host, Instant at) implements Event {}

  /** The host could not take the server (claim refused, or the spawn failed there). */
  public record HostRejected(String host, String reason, boolean spawnFailed, Instant at) implements Event {}

  public record ServerActivated(String host, PowerState power, Instant at) implements Event {}

  public record BuildFailed(String reason, Instant at) implements Failure {}

  public record StopRequested(Optional<String> requestId, Instant at) implements Request {}

  /** Stopped, on request or because the host saw the domain go down. */
  public record ServerStopped(PowerState power, Instant at) implements Event {}

  public record StartRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerStarted(Instant at) implements Event {}

  public record RebootRequested(boolean hard, Optional<String> requestId, Instant at) implements Request {}

  public record ServerRebooted(Instant at) implements Event {}

  public record PauseRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerPaused(Instant at) implements Event {}

  public record UnpauseRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerUnpaused(Instant at) implements Event {}

  public record SuspendRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerSuspended(Instant at) implements Event {}

  public record ResumeRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerResumed(Instant at) implements Event {}

  public record ServerLocked(boolean byAdmin, Optional<String> requestId, Instant at) implements Request {}

  public record ServerUnlocked(Optional<String> requestId, Instant at) implements Request {}

  public record ServerRenamed(String name, Instant at) implements Event {}

  /** The server's access addresses are now {@code access}. */
  public record AccessAddressesChanged(AccessAddresses access, Instant at) implements Event {}

  /** The server's metadata is now {@code metadata}. */
  public record MetadataChanged(Map<String, String> metadata, Instant at) implements Event {}

  /** The server's description is now {@code description} (empty: none). */
  public record DescriptionChanged(Optional<String> description, Instant at) implements Event {}

  /** Nova's trigger_crash_dump (2.17), as its action records it. */
  public record CrashDumpRequested(Optional<String> requestId, Instant at) implements Request {}

  /**
   * The crash dump failed as Nova's does on a driver without it: the hosts' libvirt binding has
   * no NMI injection, so the action is recorded and fails.
   */
  public record CrashDumpUnsupported(Instant at) implements Failure {}

  /** The server's tags are now {@code tags}. */
  public record TagsChanged(List<String> tags, Instant at) implements Event {}

  public record RebuildRequested(BootSource boot, Optional<String> name, Optional<String> requestId, Instant at)
      implements Request {}

  public record ServerRebuilt(Instant at) implements Event {}

  public record TaskFailed(Task task, String reason, Instant at) implements Failure {}

  /**
   * A snapshot into {@code imageId}; {@code image} is the queued image the server creates first
   * (empty in events from before the server created it itself).
   */
  public record SnapshotRequested(String imageId, Optional<Image> image, Optional<String> requestId, Instant at)
      implements Request {}

  /** The snapshot's queued image exists in the image service. */
  public record SnapshotImageCreated(Instant at) implements Event {}

  /** The image service refused the snapshot's image: no snapshot. */
  public record SnapshotRefused(Rejection.Kind kind, String reason, Instant at) implements Refusal {}

  public record ServerSnapshotted(Instant at) implements Event {}

  /** A failed snapshot's image, which will never have data, is deleted. */
  public record SnapshotImageDiscarded(Instant at) implements Event {}

  public record ResizeRequested(Flavor flavor, Optional<String> requestId, Instant at) implements Request {}

  /** The project's quota holds the larger of the old and the new flavor for the server. */
  public record ResizeQuotaHeld(Instant at) implements Event {}

  /** The project's quota has no room for the new flavor: no resize. */
  public record ResizeRefused(Rejection.Kind kind, String reason, Instant at) implements Refusal {}

  /** The server's host has no room for the new flavor: the resize moves it to {@code host}. */
  public record ResizeTargetSelected(String host, Instant at) implements Event {}

  /** The host that will hold the resized server holds room for it. */
  public record ResizeClaimed(Instant at) implements Event {}

  /** A moving server's root disk was copied into the image store (empty: it had none). */
  public record DiskCopied(Optional<String> sha512, Instant at) implements Event {}

  /** Resized; {@code host} is where it now runs, if it moved. */
  public record ServerResized(Flavor flavor, PowerState power, Optional<String> host, Instant at) implements Event {}

  /** The resize did not happen; the server keeps its flavor. */
  public record ResizeFailed(String reason, Instant at) implements Failure {}

  public record ResizeConfirmed(Optional<String> requestId, Instant at) implements Request {}

  public record RevertRequested(Optional<String> requestId, Instant at) implements Request {}

  /** Back to {@code flavor}; {@code host} is where it runs again, if it had moved. */
  public record ResizeReverted(Flavor flavor, PowerState power, Optional<String> host, Instant at) implements Event {}

  /** After a resize ended, the quota and the host hold the server's flavor alone again. */
  public record ResizeSettled(Instant at) implements Event {}

  public record DeleteRequested(Optional<String> requestId, Instant at) implements Request {}

  public record ServerDeleted(Instant at) implements Event {}

  /** The deleted server's host room, quota and group place are given back (each acknowledged). */
  public record ServerReleased(Instant at) implements Event {}

  /**
   * A server's history (Nova's instance actions), oldest first, with its project and user (a
   * deleted server keeps its history, which Nova shows from 2.21).
   */
  public record Actions(List<InstanceAction> actions, String projectId, String userId) implements CborSerializable {}

  // ---------------------------------------------------------------- states

  /** A server's phases (named in JSON, as the read side stores them). */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "phase")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = NoServer.class, name = "none"),
      @JsonSubTypes.Type(value = Building.class, name = "building"),
      @JsonSubTypes.Type(value = Active.class, name = "active"),
      @JsonSubTypes.Type(value = Stopped.class, name = "stopped"),
      @JsonSubTypes.Type(value = Paused.class, name = "paused"),
      @JsonSubTypes.Type(value = Suspended.class, name = "suspended"),
      @JsonSubTypes.Type(value = Snapshotting.class, name = "snapshotting"),
      @JsonSubTypes.Type(value = ChangingNics.class, name = "changing-nics"),
      @JsonSubTypes.Type(value = ChangingVolumes.class, name = "changing-volumes"),
      @JsonSubTypes.Type(value = Resizing.class, name = "resizing"),
      @JsonSubTypes.Type(value = Resized.class, name = "resized"),
      @JsonSubTypes.Type(value = ResizeEnding.class, name = "resize-ending"),
      @JsonSubTypes.Type(value = Errored.class, name = "error"),
      @JsonSubTypes.Type(value = Deleting.class, name = "deleting"),
      @JsonSubTypes.Type(value = Deleted.class, name = "deleted")})
  public sealed interface State extends CborSerializable {
    /** The server as it is in this phase (every phase but {@link NoServer} has one). */
    Server server();

    /** Nova's vm_state in this phase. */
    VmState vmState();

    /** The task under way, if any. */
    default Optional<Task> task() {
      return Optional.empty();
    }

    /** The same phase with the server changed (for events that do not change the phase). */
    State withServer(Server server);
  }

  public record NoServer() implements State {
    @Override
    public Server server() {
      throw new IllegalStateException("no server yet");
    }

    @Override
    public VmState vmState() {
      throw new IllegalStateException("no server yet");
    }

    @Override
    public State withServer(Server server) {
      return this;
    }
  }

  /**
   * Looking for a host ({@code host} empty), claiming room on {@code host}, then building there
   * ({@code claimed}) since {@code since}.
   */
  public record Building(Server server, Optional<String> host, boolean claimed, List<String> excluded,
      int spawnAttempts, Optional<String> lastFailure, Instant since) implements State {
    @Override
    public VmState vmState() {
      return VmState.BUILDING;
    }

    @Override
    public Optional<Task> task() {
      return Optional.of(host.isEmpty() ? Task.SCHEDULING : Task.SPAWNING);
    }

    @Override
    public State withServer(Server s) {
      return new Building(s, host, claimed, excluded, spawnAttempts, lastFailure, since);
    }
  }

  public record Active(Server server, Optional<Task> task, Instant since) implements State {
    @Override
    public VmState vmState() {
      return VmState.ACTIVE;
    }

    @Override
    public State withServer(Server s) {
      return new Active(s, task, since);
    }
  }

  public record Stopped(Server server, Optional<Task> task, Instant since) implements State {
    @Override
    public VmState vmState() {
      return VmState.STOPPED;
    }

    @Override
    public State withServer(Server s) {
      return new Stopped(s, task, since);
    }
  }

  /** A phase that only waits to be woken (unpaused, resumed) or deleted. */
  public sealed interface Resting extends State {
    Instant since();
  }

  /** Frozen in memory on its host. */
  public record Paused(Server server, Optional<Task> task, Instant since) implements Resting {
    @Override
    public VmState vmState() {
      return VmState.PAUSED;
    }

    @Override
    public State withServer(Server s) {
      return new Paused(s, task, since);
    }
  }

  /** Memory saved to disk on its host, not running. */
  public record Suspended(Server server, Optional<Task> task, Instant since) implements Resting {
    @Override
    public VmState vmState() {
      return VmState.SUSPENDED;
    }

    @Override
    public State withServer(Server s) {
      return new Suspended(s, task, since);
    }
  }

  /** The steps of a snapshot: create its queued image, copy the disk into it, or discard it after a failure. */
  public enum SnapshotStep { CREATING_IMAGE, COPYING_DISK, DISCARDING_IMAGE }

  /**
   * Snapshotting into {@code imageId} ({@code image}: the queued image the server creates);
   * {@code vmState} is the phase it was in and returns to (active, stopped, paused or suspended).
   */
  public record Snapshotting(Server server, String imageId, Optional<Image> image, SnapshotStep step,
      VmState vmState, Instant since) implements State {
    @Override
    public Optional<Task> task() {
      return Optional.of(Task.IMAGE_SNAPSHOT);
    }

    @Override
    public State withServer(Server s) {
      return new Snapshotting(s, imageId, image, step, vmState, since);
    }

    Snapshotting at(SnapshotStep next, Instant at) {
      return new Snapshotting(server.at(at), imageId, image, next, vmState, at);
    }
  }

  /** A NIC being attached or detached ({@link Server#nicChange}); then back to {@code vmState}. */
  public record ChangingNics(Server server, VmState vmState, Instant since) implements State {
    @Override
    public State withServer(Server s) {
      return new ChangingNics(s, vmState, since);
    }

    NicChange change() {
      return server.nicChange().orElseThrow();
    }

    ChangingNics at(NicChange next, Instant at) {
      return new ChangingNics(server.changingNic(Optional.of(next)).at(at), vmState, at);
    }
  }

  /** A volume being attached or detached ({@link Server#volumeChange}); then back to {@code vmState}. */
  public record ChangingVolumes(Server server, VmState vmState, Instant since) implements State {
    @Override
    public State withServer(Server s) {
      return new ChangingVolumes(s, vmState, since);
    }

    VolumeChange change() {
      return server.volumeChange().orElseThrow();
    }

    ChangingVolumes at(VolumeChange next, Instant at) {
      return new ChangingVolumes(server.changingVolume(Optional.of(next)).at(at), vmState, at);
    }
  }

  /**
   * Being resized to {@code flavor}: the quota held first ({@code quotaHeld}), then room claimed
   * (prep), then the resize (migrating). In place on its host when the host has room; otherwise
   * {@code move} takes it to another host.
   */
  public record Resizing(Server server, Flavor flavor, boolean powerOn, boolean quotaHeld, Task step,
      Optional<Move> move, Instant since) implements State {
    @Override
    public VmState vmState() {
      return powerOn ? VmState.ACTIVE : VmState.STOPPED;
    }

    @Override
    public Optional<Task> task() {
      return Optional.of(step);
    }

    @Override
    public State withServer(Server s) {
      return new Resizing(s, flavor, powerOn, quotaHeld, step, move, since);
    }

    Resizing at(Task nextStep, Optional<Move> nextMove, Instant at) {
      return new Resizing(server.at(at), flavor, powerOn, quotaHeld, nextStep, nextMove, at);
    }
  }

  /** A resize that moves the server from {@code source} to {@code target}; {@code boot}, once its disk is copied. */
  public record Move(String source, String target, Optional<BootSource> boot) implements CborSerializable {}

  /**
   * Resized (VERIFY_RESIZE) until confirmed, or reverted to {@code oldFlavor}; {@code source} is
   * the host it came from, which keeps its stopped domain until then.
   */
  public record Resized(Server server, Flavor oldFlavor, boolean powerOn, Optional<Task> task,
      Optional<String> source, Instant since) implements State {
    @Override
    public VmState vmState() {
      return VmState.RESIZED;
    }

    @Override
    public State withServer(Server s) {
      return new Resized(s, oldFlavor, powerOn, task, source, since);
    }
  }

  /**
   * A resize is over (failed, confirmed or reverted) and the server keeps the flavor it has:
   * its project's quota and its host are brought down to that flavor, the host it left (if it
   * moved) lets its copy go, and the server is started again where it now is ({@code startHere}).
   * Shown as the phase it ends ({@code vmState}, {@code task}) until that is done.
   */
  public record ResizeEnding(Server server, boolean powerOn, Optional<String> leftHost, boolean startHere,
      VmState vmState, Task step, Instant since) implements State {
    @Override
    public Optional<Task> task() {
      return Optional.of(step);
    }

    @Override
    public State withServer(Server s) {
      return new ResizeEnding(s, powerOn, leftHost, startHere, vmState, step, since);
    }
  }

  public record Errored(Server server) implements State {
    @Override
    public VmState vmState() {
      return VmState.ERROR;
    }

    @Override
    public State withServer(Server s) {
      return new Errored(s);
    }
  }

  /** Being destroyed on its host; {@code discardImage}: a snapshot's image left without data. */
  public record Deleting(Server server, VmState vmStateBefore, Optional<String> discardImage, Instant since)
      implements State {
    @Override
    public VmState vmState() {
      return vmStateBefore;
    }

    @Override
    public Optional<Task> task() {
      return Optional.of(Task.DELETING);
    }

    @Override
    public State withServer(Server s) {
      return new Deleting(s, vmStateBefore, discardImage, since);
    }
  }

  /** Deleted; {@code released} once what it held elsewhere is given back. */
  public record Deleted(Server server, boolean released) implements State {
    @Override
    public VmState vmState() {
      return VmState.DELETED;
    }

    @Override
    public State withServer(Server s) {
      return new Deleted(s, released);
    }
  }

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String serverId, HostGateway hosts, SnapshotImages images,
      ServerPorts ports, VolumeAttachments volumes, ComputeSettings settings, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new ServerEntity(serverId, hosts, images, ports, volumes, settings, clock, context, timers, shard)));
  }

  private final ServerSteps steps;

  private ServerEntity(String serverId, HostGateway hosts, SnapshotImages images, ServerPorts ports,
      VolumeAttachments volumes, ComputeSettings settings,
      Clock clock, ActorContext<Command> context, TimerScheduler<Command> timers,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), serverId), Entities.JOURNAL_BACKOFF);
    this.steps = new ServerSteps(serverId, hosts, images, ports, volumes, settings, clock, context, timers, shard,
        Effect());
    context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
  }

  @Override
  public State emptyState() {
    return new NoServer();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    new ServerBuild(steps).handlers(builder);
    new ServerSnapshot(steps).handlers(builder);
    new ServerNics(steps).handlers(builder);
    new ServerVolumes(steps).handlers(builder);
    new ServerResize(steps).handlers(builder);
    new ServerPower(steps).handlers(builder);
    CommandHandlerWithReply<Command, Event, State> handlers = builder.build();
    return (state, command) -> command instanceof ForRequest r
        ? steps.forRequest(r.requestId(), () -> handlers.apply(state, r.command()))
        : handlers.apply(state, command);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), steps::drive).build();
  }

  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return ServerEntity::next;
  }

  private static final EventHandler<State, Event> PHASES = phaseEvents();

  /**
   * The one state function of a server: the phase an event leads to, with the server's history
   * updated. Pure; the server list projection applies it to the same events, so a listed server
   * is exactly what the entity holds.
   */
  public static State next(State state, Event event) {
    State next = PHASES.apply(state, event);
    return next instanceof NoServer ? next : next.withServer(next.server().recording(event));
  }

  private static EventHandler<State, Event> phaseEvents() {
    var builder = EventHandlerBuilder.<State, Event>builder();
    builder.forStateType(NoServer.class)
        .onEvent(ServerRequested.class, (s, e) -> new Building(Server.requested(e.serverId(), e.spec(), e.requestId(), e.at()),
            Optional.empty(), false, List.of(), 0, Optional.empty(), e.at()));
    builder.forStateType(Building.class)
        .onEvent(HostSelected.class, (s, e) -> new Building(s.server().at(e.at()),
            Optional.of(e.host()), false, s.excluded(), s.spawnAttempts(), s.lastFailure(), e.at()))
        .onEvent(PortsAllocated.class, (s, e) -> new Building(s.server().withPorts(e.ports()).at(e.at()),
            s.host(), s.claimed(), s.excluded(), s.spawnAttempts(), s.lastFailure(), s.since()))
        .onEvent(PortsBound.class, (s, e) -> new Building(s.server()
            .withPorts(s.server().ports().stream().map(p -> p.boundTo(e.host())).toList()).at(e.at()),
            s.host(), s.claimed(), s.excluded(), s.spawnAttempts(), s.lastFailure(), s.since()))
        .onEvent(HostClaimed.class, (s, e) -> new Building(s.server().at(e.at()),
            s.host(), true, s.excluded(), s.spawnAttempts(), s.lastFailure(), s.since()))
        .onEvent(HostRejected.class, (s, e) -> {
          List<String> excluded = new ArrayList<>(s.excluded());
          excluded.add(e.host());
          return new Building(s.server().at(e.at()), Optional.empty(), false, List.copyOf(excluded),
              s.spawnAttempts() + (e.spawnFailed() ? 1 : 0), Optional.of(e.reason()), e.at());
        })
        .onEvent(ServerActivated.class, (s, e) -> new Active(
            s.server().onHost(Optional.of(e.host()), e.power()).launched(e.at()).at(e.at()),
            Optional.empty(), e.at()))
        .onEvent(BuildFailed.class, (s, e) -> new Errored(s.server()
            .onHost(Optional.empty(), PowerState.NOSTATE).failed(new Fault(500, e.reason(), e.at())).at(e.at())))
        // the boot volume's steps, before the spawn (the domain opens the volume as its first disk)
        .onEvent(BootVolumeCreated.class, (s, e) -> s.withServer(s.server().changingVolume(
            s.server().volumeChange().map(c -> c.at(VolumeChange.Step.RESERVING))).at(e.at())))
        .onEvent(VolumeReserved.class, (s, e) -> s.withServer(s.server().changingVolume(
            s.server().volumeChange().map(c -> c.reservedOn(e.storageHost()))).at(e.at())))
        .onEvent(VolumeExported.class, (s, e) -> s.withServer(s.server().changingVolume(
            s.server().volumeChange().map(c -> c.exportedAs(e.path()))).at(e.at())))
        .onEvent(VolumeAttached.class, (s, e) -> s.withServer(withVolume(s.server(), s.server().volumeChange().orElseThrow()
            .attached().deletedWithServer(s.server().spec().boot().volume().orElseThrow().deleteOnTermination()))
            .changingVolume(Optional.empty()).at(e.at())));
    builder.forStateType(Errored.class)
        .onEvent(BuildVolumesReleased.class, (s, e) -> new Errored(s.server().withVolumes(List.of())
            .changingVolume(Optional.empty()).at(e.at())));
    builder.forStateType(Active.class)
        .onEvent(StopRequested.class, (s, e) -> new Active(s.server().at(e.at()), Optional.of(Task.POWERING_OFF), e.at()))
        .onEvent(RebootRequested.class, (s, e) -> new Active(s.server().at(e.at()),
            Optional.of(e.hard() ? Task.REBOOTING_HARD : Task.REBOOTING), e.at()))
        .onEvent(ServerRebooted.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(ServerStopped.class, (s, e) -> new Stopped(
            s.server().onHost(s.server().host(), e.power()).at(e.at()), Optional.empty(), e.at()))
        .onEvent(TaskFailed.class, (s, e) -> new Active(s.server().at(e.at()), Optional.empty(), e.at()))
        .onEvent(PauseRequested.class, (s, e) -> new Active(s.server().at(e.at()), Optional.of(Task.PAUSING), e.at()))
        .onEvent(RebuildRequested.class, (s, e) -> {
          Server rebuilt = e.name().map(s.server()::renamed).orElse(s.server());
          return new Active(rebuilt.withSpec(rebuilt.spec().withBoot(e.boot())).at(e.at()),
              Optional.of(Task.REBUILDING), e.at());
        })
        .onEvent(ServerRebuilt.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(SuspendRequested.class, (s, e) -> new Active(s.server().at(e.at()), Optional.of(Task.SUSPENDING), e.at()))
        .onEvent(ServerPaused.class, (s, e) -> new Paused(
            s.server().onHost(s.server().host(), PowerState.PAUSED).at(e.at()), Optional.empty(), e.at()))
        .onEvent(ServerSuspended.class, (s, e) -> new Suspended(
            s.server().onHost(s.server().host(), PowerState.SUSPENDED).at(e.at()), Optional.empty(), e.at()))
        .onEvent(ResizeRequested.class, (s, e) -> resizing(s.server(), e, true));
    builder.forStateType(Paused.class)
        .onEvent(UnpauseRequested.class, (s, e) -> new Paused(s.server().at(e.at()), Optional.of(Task.UNPAUSING), e.at()))
        .onEvent(ServerUnpaused.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(TaskFailed.class, (s, e) -> new Paused(s.server().at(e.at()), Optional.empty(), e.at()));
    builder.forStateType(Suspended.class)
        .onEvent(ResumeRequested.class, (s, e) -> new Suspended(s.server().at(e.at()), Optional.of(Task.RESUMING), e.at()))
        .onEvent(ServerResumed.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(TaskFailed.class, (s, e) -> new Suspended(s.server().at(e.at()), Optional.empty(), e.at()));
    builder.forStateType(Stopped.class)
        .onEvent(StartRequested.class, (s, e) -> new Stopped(s.server().at(e.at()), Optional.of(Task.POWERING_ON), e.at()))
        .onEvent(ServerStarted.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(TaskFailed.class, (s, e) -> new Stopped(s.server().at(e.at()), Optional.empty(), e.at()))
        .onEvent(ResizeRequested.class, (s, e) -> resizing(s.server(), e, false));
    builder.forAnyState()
        .onEvent(SnapshotRequested.class, (s, e) -> new Snapshotting(s.server().at(e.at()), e.imageId(), e.image(),
            e.image().isPresent() ? SnapshotStep.CREATING_IMAGE : SnapshotStep.COPYING_DISK, s.vmState(), e.at()));
    builder.forStateType(Snapshotting.class)
        .onEvent(SnapshotImageCreated.class, (s, e) -> s.at(SnapshotStep.COPYING_DISK, e.at()))
        .onEvent(SnapshotRefused.class, (s, e) -> snapshotOver(s, e.at()))
        .onEvent(ServerSnapshotted.class, (s, e) -> snapshotOver(s, e.at()))
        // (a snapshot from before the server made its image itself: the host discarded it)
        .onEvent(TaskFailed.class, (s, e) -> s.image().isPresent()
            ? s.at(SnapshotStep.DISCARDING_IMAGE, e.at()) : snapshotOver(s, e.at()))
        .onEvent(SnapshotImageDiscarded.class, (s, e) -> snapshotOver(s, e.at()));
    for (Class<? extends State> phase : List.of(Active.class, Stopped.class, Paused.class)) {
      builder.forStateType(phase)
          .onEvent(NicAttachRequested.class, (s, e) -> new ChangingNics(s.server().changingNic(Optional.of(
              new NicChange(true, Optional.of(e.nic()), e.portId(), Optional.empty(), NicChange.Step.ALLOCATING)))
              .at(e.at()), s.vmState(), e.at()))
          .onEvent(NicDetachRequested.class, (s, e) -> new ChangingNics(s.server().changingNic(Optional.of(
              new NicChange(false, Optional.empty(), e.portId(), s.server().ports().stream()
                  .filter(p -> p.portId().equals(e.portId())).findFirst(), NicChange.Step.UNPLUGGING))).at(e.at()),
              s.vmState(), e.at()));
    }
    for (Class<? extends State> phase : List.of(Active.class, Stopped.class, Paused.class)) {
      builder.forStateType(phase)
          .onEvent(VolumeAttachRequested.class, (s, e) -> new ChangingVolumes(s.server().changingVolume(Optional.of(
              VolumeChange.attaching(e.volumeId(), e.attachmentId(), e.device()))).at(e.at()), s.vmState(), e.at()))
          .onEvent(VolumeDetachRequested.class, (s, e) -> new ChangingVolumes(s.server().changingVolume(
              Optional.of(s.server().volumes().stream().filter(v -> v.volumeId().equals(e.volumeId())).findFirst()
                  .map(VolumeChange::detaching)
                  .orElseThrow(() -> new IllegalStateException("volume " + e.volumeId() + " is not attached"))))
              .at(e.at()), s.vmState(), e.at()));
    }
    builder.forStateType(ChangingVolumes.class)
        .onEvent(VolumeReserved.class, (s, e) -> s.at(s.change().reservedOn(e.storageHost()), e.at()))
        .onEvent(VolumeExported.class, (s, e) -> s.at(s.change().exportedAs(e.path()), e.at()))
        .onEvent(VolumePluggedIn.class, (s, e) -> s.at(s.change().at(VolumeChange.Step.COMPLETING), e.at()))
        .onEvent(VolumeAttached.class, (s, e) -> volumesSettled(s, withVolume(s.server(), s.change().attached()), e.at()))
        // what was done is undone: a disk that may be in the domain comes out first
        .onEvent(VolumeAttachFailed.class, (s, e) -> s.at(s.change().at(
            s.change().step().compareTo(VolumeChange.Step.PLUGGING) >= 0
                ? VolumeChange.Step.UNPLUGGING : VolumeChange.Step.RELEASING), e.at()))
        .onEvent(VolumeDetachBegun.class, (s, e) -> s.at(s.change().at(VolumeChange.Step.UNPLUGGING), e.at()))
        .onEvent(VolumeUnpluggedOut.class, (s, e) -> new ChangingVolumes(withoutVolume(s.server(), s.change().volumeId())
            .changingVolume(Optional.of(s.change().at(VolumeChange.Step.RELEASING))).at(e.at()), s.vmState(), e.at()))
        .onEvent(VolumeReleased.class, (s, e) -> volumesSettled(s, s.server(), e.at()));
    builder.forStateType(ChangingNics.class)
        .onEvent(NicAllocated.class, (s, e) -> s.at(s.change().with(e.port(), NicChange.Step.BINDING), e.at()))
        .onEvent(NicBound.class, (s, e) -> s.at(s.change().at(NicChange.Step.PLUGGING), e.at()))
        .onEvent(NicAttached.class, (s, e) -> nicsSettled(s, s.change().port()
            .map(p -> withPort(s.server(), p)).orElse(s.server()), e.at()))
        .onEvent(NicAttachFailed.class, (s, e) -> s.at(s.change().at(s.change().step() == NicChange.Step.PLUGGING
            ? NicChange.Step.UNPLUGGING : NicChange.Step.RELEASING), e.at()))
        .onEvent(NicDetached.class, (s, e) -> new ChangingNics(withoutPort(s.server(), s.change().portId())
            .changingNic(Optional.of(s.change().at(NicChange.Step.RELEASING))).at(e.at()), s.vmState(), e.at()))
        .onEvent(NicReleased.class, (s, e) -> nicsSettled(s, s.server(), e.at()));
    builder.forStateType(Resizing.class)
        .onEvent(PortsBound.class, (s, e) -> s.withServer(s.server()
            .withPorts(s.server().ports().stream().map(p -> p.boundTo(e.host())).toList()).at(e.at())))
        .onEvent(ResizeQuotaHeld.class, (s, e) -> new Resizing(s.server().at(e.at()), s.flavor(), s.powerOn(), true,
            Task.RESIZE_PREP, s.move(), e.at()))
        .onEvent(ResizeRefused.class, (s, e) -> settled(s.server().at(e.at()), s.powerOn(), e.at()))
        .onEvent(ResizeTargetSelected.class, (s, e) -> s.at(Task.RESIZE_PREP,
            Optional.of(new Move(s.server().host().orElseThrow(), e.host(), Optional.empty())), e.at()))
        .onEvent(ResizeClaimed.class, (s, e) -> s.at(Task.RESIZE_MIGRATING, s.move(), e.at()))
        .onEvent(DiskCopied.class, (s, e) -> {
          Move m = s.move().orElseThrow();
          BootSource boot = s.server().spec().boot().withDisk(e.sha512().map(sha -> BootSource.STORE_PREFIX + sha));
          return s.at(s.step(), Optional.of(new Move(m.source(), m.target(), Optional.of(boot))), e.at());
        })
        .onEvent(ServerResized.class, (s, e) -> new Resized(
            s.server().resizedTo(e.flavor()).onHost(e.host().or(() -> s.server().host()), e.power()).at(e.at()),
            s.server().spec().flavor(), s.powerOn(), Optional.empty(), s.move().map(Move::source), e.at()))
        // the server keeps its flavor where it was; a move's target lets its copy go
        .onEvent(ResizeFailed.class, (s, e) -> new ResizeEnding(s.server().at(e.at()), s.powerOn(),
            s.move().map(Move::target), s.move().flatMap(Move::boot).isPresent() && s.powerOn(), s.vmState(),
            s.step(), e.at()));
    builder.forStateType(Resized.class)
        .onEvent(ResizeConfirmed.class, (s, e) -> new ResizeEnding(s.server().at(e.at()), s.powerOn(), s.source(),
            false, VmState.RESIZED, Task.RESIZE_CONFIRMING, e.at()))
        .onEvent(RevertRequested.class, (s, e) -> new Resized(s.server().at(e.at()), s.oldFlavor(), s.powerOn(),
            Optional.of(Task.RESIZE_REVERTING), s.source(), e.at()))
        // a moved server goes back to its source and is started there; the host it leaves lets go
        .onEvent(ResizeReverted.class, (s, e) -> new ResizeEnding(
            s.server().resizedTo(e.flavor()).onHost(e.host().or(() -> s.server().host()), e.power()).at(e.at()),
            s.powerOn(), e.host().isPresent() ? s.server().host() : Optional.empty(),
            e.host().isPresent() && s.powerOn(), VmState.RESIZED, Task.RESIZE_REVERTING, e.at()))
        .onEvent(TaskFailed.class, (s, e) ->
            new Resized(s.server().at(e.at()), s.oldFlavor(), s.powerOn(), Optional.empty(), s.source(), e.at()));
    builder.forStateType(ResizeEnding.class)
        .onEvent(ResizeSettled.class, (s, e) -> settled(s.server().at(e.at()), s.powerOn(), e.at()));
    builder.forStateType(Deleted.class)
        .onEvent(ServerReleased.class, (s, e) -> new Deleted(s.server(), true));
    builder.forAnyState()
        .onEvent(ServerLocked.class, (s, e) -> s.withServer(s.server().locked(Optional.of(e.byAdmin() ? "admin" : "owner")).at(e.at())))
        .onEvent(ServerUnlocked.class, (s, e) -> s.withServer(s.server().locked(Optional.empty()).at(e.at())))
        .onEvent(ServerRenamed.class, (s, e) -> s.withServer(s.server().renamed(e.name()).at(e.at())))
        .onEvent(AccessAddressesChanged.class, (s, e) -> s.withServer(s.server()
            .withSpec(s.server().spec().withAccess(e.access())).at(e.at())))
        .onEvent(MetadataChanged.class, (s, e) -> s.withServer(s.server().withMetadata(e.metadata()).at(e.at())))
        .onEvent(DescriptionChanged.class, (s, e) -> s.withServer(s.server().described(e.description()).at(e.at())))
        .onEvent(TagsChanged.class, (s, e) -> s.withServer(s.server().tagged(e.tags()).at(e.at())))
        // only the history changes (next records them)
        .onEvent(CrashDumpRequested.class, (s, e) -> s)
        .onEvent(CrashDumpUnsupported.class, (s, e) -> s)
        .onEvent(DeleteRequested.class, (s, e) -> new Deleting(placed(s).at(e.at()), s.vmState(),
            s instanceof Snapshotting snap ? Optional.of(snap.imageId()) : Optional.empty(), e.at()))
        .onEvent(ServerDeleted.class, (s, e) -> new Deleted(s.server().at(e.at()), false));
    return builder.build();
  }

  private static Resizing resizing(Server server, ResizeRequested e, boolean powerOn) {
    return new Resizing(server.at(e.at()), e.flavor(), powerOn, false, Task.RESIZE_PREP, Optional.empty(), e.at());
  }

  /**
   * The server with the host it is on, or being built on: a delete during a build must destroy
   * and release there too.
   */
  static Server placed(State s) {
    return s instanceof Building b ? b.server().onHost(b.host(), PowerState.NOSTATE) : s.server();
  }

  /** Back to the phase a snapshot began in. */
  private static State snapshotOver(Snapshotting s, Instant at) {
    Server server = s.server().at(at);
    return switch (s.vmState()) {
      case PAUSED -> new Paused(server, Optional.empty(), at);
      case SUSPENDED -> new Suspended(server, Optional.empty(), at);
      default -> settled(server, s.vmState() == VmState.ACTIVE, at);
    };
  }

  private static Server withPort(Server server, ServerPort port) {
    List<ServerPort> ports = new ArrayList<>(server.ports());
    ports.add(port);
    return server.withPorts(ports);
  }

  private static Server withoutPort(Server server, String portId) {
    return server.withPorts(server.ports().stream().filter(p -> !p.portId().equals(portId)).toList());
  }

  private static Server withVolume(Server server, ServerVolume volume) {
    List<ServerVolume> volumes = new ArrayList<>(server.volumes());
    volumes.add(volume);
    return server.withVolumes(volumes);
  }

  private static Server withoutVolume(Server server, String volumeId) {
    return server.withVolumes(server.volumes().stream().filter(v -> !v.volumeId().equals(volumeId)).toList());
  }

  /** The volume change is over: back to the phase it began in. */
  private static State volumesSettled(ChangingVolumes s, Server server, Instant at) {
    Server done = server.changingVolume(Optional.empty()).at(at);
    return switch (s.vmState()) {
      case PAUSED -> new Paused(done, Optional.empty(), at);
      case STOPPED -> new Stopped(done, Optional.empty(), at);
      default -> new Active(done, Optional.empty(), at);
    };
  }

  /** The NIC change is over: back to the phase it began in. */
  private static State nicsSettled(ChangingNics s, Server server, Instant at) {
    Server done = server.changingNic(Optional.empty()).at(at);
    return switch (s.vmState()) {
      case PAUSED -> new Paused(done, Optional.empty(), at);
      case STOPPED -> new Stopped(done, Optional.empty(), at);
      default -> new Active(done, Optional.empty(), at);
    };
  }

  /** Back to ACTIVE or SHUTOFF, with no task, after a snapshot or a resize. */
  private static State settled(Server server, boolean powerOn, Instant at) {
    return powerOn ? new Active(server, Optional.empty(), at) : new Stopped(server, Optional.empty(), at);
  }

  private static Server running(Server server, Instant at) {
    return server.onHost(server.host(), PowerState.RUNNING).at(at);
  }

  // ---------------------------------------------------------------- reading a state

  public static ServerView view(State state) {
    return state.server().view(state.vmState(), state.task());
  }
}
