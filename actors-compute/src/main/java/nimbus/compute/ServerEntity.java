package nimbus.compute;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import nimbus.config.ComputeSettings;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One server (a VM), keyed by its UUID: its whole life from BUILD to DELETED.
 *
 * <p>Every step is persisted before it is carried out, and every step in flight has a deadline:
 * the entity re-sends the step to its host until the host reports the outcome, and past the
 * deadline it moves on (reschedules, fails the task, or ends in ERROR with a reason). After a
 * crash the entity is started again (remembered by its shard) and picks up the step it was in.
 *
 * <p>Programmatic use: send {@link Create}, {@link Get}, {@link Start}, {@link Stop},
 * {@link Reboot}, {@link Delete} or {@link GetConsoleOutput} to
 * {@code ClusterSharding.get(system).entityRefFor(ServerEntity.TYPE_KEY, serverId)}; errors come
 * back as {@link StatusReply} errors readable with {@link Rejection#from}.
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

  public record Rename(String name, ActorRef<StatusReply<ServerView>> replyTo) implements Command {}

  public record GetActions(ActorRef<StatusReply<Actions>> replyTo) implements Command {}

  /** Rebuild an ACTIVE server from another (or the same) image: its disk starts afresh. */
  public record Rebuild(BootSource boot, Optional<String> name, ActorRef<StatusReply<ServerView>> replyTo)
      implements Command {}

  /** Snapshot the server's root disk into the queued image {@code imageId} (ACTIVE, SHUTOFF, PAUSED, SUSPENDED). */
  public record CreateImage(String imageId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Resize to {@code flavor} on the server's host; the server then waits in VERIFY_RESIZE for
   * {@link ConfirmResize} or {@link RevertResize}.
   */
  public record Resize(Flavor flavor, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record ConfirmResize(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record RevertResize(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Delete the server; it answers once the deletion is accepted, and ends DELETED. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetConsoleOutput(Optional<Integer> lines, ActorRef<StatusReply<String>> replyTo)
      implements Command {}

  /** What a host's agent reports about the server. */
  public sealed interface HostReport extends Command {
    String host();
  }

  public record Spawned(String host, PowerState power) implements HostReport {}

  public record SpawnFailed(String host, String reason) implements HostReport {}

  public record TaskDone(String host, Task task, PowerState power) implements HostReport {}

  public record TaskFailedOnHost(String host, Task task, String reason) implements HostReport {}

  public record Destroyed(String host) implements HostReport {}

  /** The server's root disk, flattened, is in the image store as {@code sha512} (none: no disk). */
  public record DiskExported(String host, Optional<String> sha512) implements HostReport {}

  /** The domain as the host sees it (lifecycle events and reconciliation). */
  public record PowerObserved(String host, PowerState power, boolean exists) implements HostReport {}

  record ScheduleNext() implements Command {}

  /** The host's answer to a claim; {@code rejection} empty means granted. */
  record ClaimAnswered(String host, Optional<String> rejection, boolean unanswered) implements Command {}

  /** The answer of {@code host} to the claim for a resize. */
  record ResizeClaimAnswered(String host, Optional<String> rejection, boolean unanswered) implements Command {}

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a server's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record ServerRequested(String serverId, ServerSpec spec, Instant at) implements Event {}

  public record HostSelected(String host, Instant at) implements Event {}

  /** The host could not take the server (claim refused, or the spawn failed there). */
  public record HostRejected(String host, String reason, boolean spawnFailed, Instant at)
      implements Event {}

  public record ServerActivated(String host, PowerState power, Instant at) implements Event {}

  public record BuildFailed(String reason, Instant at) implements Event {}

  public record StopRequested(Instant at) implements Event {}

  /** Stopped, on request or because the host saw the domain go down. */
  public record ServerStopped(PowerState power, Instant at) implements Event {}

  public record StartRequested(Instant at) implements Event {}

  public record ServerStarted(Instant at) implements Event {}

  public record RebootRequested(boolean hard, Instant at) implements Event {}

  public record ServerRebooted(Instant at) implements Event {}

  public record PauseRequested(Instant at) implements Event {}

  public record ServerPaused(Instant at) implements Event {}

  public record UnpauseRequested(Instant at) implements Event {}

  public record ServerUnpaused(Instant at) implements Event {}

  public record SuspendRequested(Instant at) implements Event {}

  public record ServerSuspended(Instant at) implements Event {}

  public record ResumeRequested(Instant at) implements Event {}

  public record ServerResumed(Instant at) implements Event {}

  public record ServerLocked(boolean byAdmin, Instant at) implements Event {}

  public record ServerUnlocked(Instant at) implements Event {}

  public record ServerRenamed(String name, Instant at) implements Event {}

  public record RebuildRequested(BootSource boot, Optional<String> name, Instant at) implements Event {}

  public record ServerRebuilt(Instant at) implements Event {}

  public record TaskFailed(Task task, String reason, Instant at) implements Event {}

  public record SnapshotRequested(String imageId, Instant at) implements Event {}

  public record ServerSnapshotted(Instant at) implements Event {}

  public record ResizeRequested(Flavor flavor, Instant at) implements Event {}

  /** The server's host has no room for the new flavor: the resize moves it to {@code host}. */
  public record ResizeTargetSelected(String host, Instant at) implements Event {}

  /** The host that will hold the resized server holds room for it. */
  public record ResizeClaimed(Instant at) implements Event {}

  /** A moving server's root disk was copied into the image store (empty: it had none). */
  public record DiskCopied(Optional<String> sha512, Instant at) implements Event {}

  /** Resized; {@code host} is where it now runs, if it moved. */
  public record ServerResized(Flavor flavor, PowerState power, Optional<String> host, Instant at) implements Event {}

  /** The resize did not happen; the server keeps its flavor. */
  public record ResizeFailed(String reason, Instant at) implements Event {}

  public record ResizeConfirmed(Instant at) implements Event {}

  public record RevertRequested(Instant at) implements Event {}

  /** Back to {@code flavor}; {@code host} is where it runs again, if it had moved. */
  public record ResizeReverted(Flavor flavor, PowerState power, Optional<String> host, Instant at) implements Event {}

  public record DeleteRequested(Instant at) implements Event {}

  public record ServerDeleted(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** The facts every phase keeps. */
  public record Server(String id, ServerSpec spec, Instant created, Instant updated,
      Optional<String> host, PowerState power, Optional<Instant> launchedAt, Optional<Fault> fault,
      Optional<String> lockedBy, List<InstanceAction> actions) implements CborSerializable {

    static Server requested(String id, ServerSpec spec, Instant at) {
      return new Server(id, spec, at, at, Optional.empty(), PowerState.NOSTATE, Optional.empty(),
          Optional.empty(), Optional.empty(), List.of(new InstanceAction("create", at, Optional.empty())));
    }

    Server at(Instant when) {
      return new Server(id, spec, created, when, host, power, launchedAt, fault, lockedBy, actions);
    }

    Server onHost(Optional<String> h, PowerState p) {
      return new Server(id, spec, created, updated, h, p, launchedAt, fault, lockedBy, actions);
    }

    Server launched(Instant when) {
      return new Server(id, spec, created, updated, host, power, Optional.of(when), fault, lockedBy, actions);
    }

    Server failed(Fault f) {
      return new Server(id, spec, created, updated, host, power, launchedAt, Optional.of(f), lockedBy, actions);
    }

    Server resizedTo(Flavor flavor) {
      return new Server(id, spec.withFlavor(flavor), created, updated, host, power, launchedAt, fault, lockedBy, actions);
    }

    Server renamed(String name) {
      return new Server(id, spec.withName(name), created, updated, host, power, launchedAt, fault, lockedBy, actions);
    }

    /** Locked by "admin" or "owner" (Nova's locked_by), or unlocked (empty). */
    Server locked(Optional<String> by) {
      return new Server(id, spec, created, updated, host, power, launchedAt, fault, by, actions);
    }

    /** The history with this event in it: requests start actions, failures mark the last one. */
    Server recording(Event e) {
      List<InstanceAction> next = new ArrayList<>(actions);
      Optional<String> action = actionOf(e);
      if (action.isPresent()) {
        next.add(new InstanceAction(action.get(), e.at(), Optional.empty()));
      } else if ((e instanceof TaskFailed || e instanceof BuildFailed || e instanceof ResizeFailed) && !next.isEmpty()) {
        next.set(next.size() - 1, next.get(next.size() - 1).failed());
      } else {
        return this;
      }
      return new Server(id, spec, created, updated, host, power, launchedAt, fault, lockedBy, List.copyOf(next));
    }

    ServerView view(String vmState, Optional<Task> task) {
      return new ServerView(id, spec.name(), spec.projectId(), spec.userId(),
          ServerView.status(vmState, task), vmState, task.map(t -> t.novaName), power.code, host,
          spec.flavor(), spec.boot().imageId(), spec.metadata(), created, updated, launchedAt,
          fault, lockedBy, spec.keyName(), spec.availabilityZone());
    }
  }

  /** Nova's action name for a request event. */
  static Optional<String> actionOf(Event e) {
    String name = null;
    if (e instanceof StopRequested) name = "stop";
    else if (e instanceof StartRequested) name = "start";
    else if (e instanceof RebootRequested) name = "reboot";
    else if (e instanceof PauseRequested) name = "pause";
    else if (e instanceof UnpauseRequested) name = "unpause";
    else if (e instanceof SuspendRequested) name = "suspend";
    else if (e instanceof ResumeRequested) name = "resume";
    else if (e instanceof ServerLocked) name = "lock";
    else if (e instanceof ServerUnlocked) name = "unlock";
    else if (e instanceof DeleteRequested) name = "delete";
    else if (e instanceof RebuildRequested) name = "rebuild";
    else if (e instanceof SnapshotRequested) name = "createImage";
    else if (e instanceof ResizeRequested) name = "resize";
    else if (e instanceof ResizeConfirmed) name = "confirmResize";
    else if (e instanceof RevertRequested) name = "revertResize";
    return Optional.ofNullable(name);
  }

  /** A server's history (Nova's instance actions), oldest first. */
  public record Actions(List<InstanceAction> actions) implements CborSerializable {}

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
      @JsonSubTypes.Type(value = Resizing.class, name = "resizing"),
      @JsonSubTypes.Type(value = Resized.class, name = "resized"),
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

  /** Looking for a host ({@code host} empty) or building on {@code host} since {@code since}. */
  public record Building(Server server, Optional<String> host, List<String> excluded,
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
      return new Building(s, host, excluded, spawnAttempts, lastFailure, since);
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

  /**
   * Copying its root disk into an image; {@code vmState} is the phase it was in and returns to
   * (active, stopped, paused or suspended).
   */
  public record Snapshotting(Server server, String imageId, VmState vmState, Instant since) implements State {
    @Override
    public Optional<Task> task() {
      return Optional.of(Task.IMAGE_SNAPSHOT);
    }

    @Override
    public State withServer(Server s) {
      return new Snapshotting(s, imageId, vmState, since);
    }
  }

  /**
   * Being resized to {@code flavor}: room claimed first (prep), then the resize (migrating). In
   * place on its host when the host has room; otherwise {@code move} takes it to another host.
   */
  public record Resizing(Server server, Flavor flavor, boolean powerOn, Task step, Optional<Move> move,
      Instant since) implements State {
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
      return new Resizing(s, flavor, powerOn, step, move, since);
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

  public record Deleting(Server server, VmState vmStateBefore, Instant since) implements State {
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
      return new Deleting(s, vmStateBefore, since);
    }
  }

  public record Deleted(Server server) implements State {
    @Override
    public VmState vmState() {
      return VmState.DELETED;
    }

    @Override
    public State withServer(Server s) {
      return new Deleted(s);
    }
  }

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String serverId, HostGateway hosts,
      ComputeSettings settings, Clock clock, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new ServerEntity(serverId, hosts, settings, clock, context, timers, shard)));
  }

  private final String serverId;
  private final HostGateway hosts;
  private final ComputeSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  // Where the claim on the current host stands. Not persisted: after a restart the entity
  // simply claims again (claims are idempotent).
  private boolean claiming;
  private boolean claimed;

  private ServerEntity(String serverId, HostGateway hosts, ComputeSettings settings, Clock clock,
      ActorContext<Command> context, TimerScheduler<Command> timers,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), serverId), Entities.JOURNAL_BACKOFF);
    this.serverId = serverId;
    this.hosts = hosts;
    this.settings = settings;
    this.clock = clock;
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
  }

  @Override
  public State emptyState() {
    return new NoServer();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    noServer(builder);
    building(builder);
    active(builder);
    stopped(builder);
    paused(builder);
    snapshotting(builder);
    resizing(builder);
    resized(builder);
    builder.forStateType(Errored.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), s.server().view("error", Optional.empty())))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(Idle.class, (s, c) -> passivate());
    deleting(builder);
    builder.forStateType(Deleted.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Lock.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Rename.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(GetActions.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Server " + serverId + " was deleted")))
        .onCommand(Idle.class, (s, c) -> passivate());
    anyState(builder);
    return builder.build();
  }

  private void noServer(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(NoServer.class)
        .onCommand(Create.class, (s, c) -> Effect()
            .persist(new ServerRequested(serverId, c.spec(), now()))
            .thenRun(this::drive)
            .thenReply(c.replyTo(), next -> StatusReply.success(view(next))))
        .onCommand(GetConsoleOutput.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Stop.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Reboot.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Lock.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Rename.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(GetActions.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Idle.class, (s, c) -> passivate());
  }

  private void building(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Building.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Delete.class, (s, c) -> delete(placed(s), c.replyTo()))
        .onCommand(ScheduleNext.class, this::scheduleNext)
        .onCommand(ClaimAnswered.class, this::claimAnswered)
        .onCommand(Spawned.class, (s, c) -> c.host().equals(s.host().orElse(null))
            ? Effect().persist(new ServerActivated(c.host(), c.power(), now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(SpawnFailed.class, (s, c) -> c.host().equals(s.host().orElse(null))
            ? rejectHost(s, c.reason(), true)
            : Effect().noReply())
        .onCommand(Tick.class, (s, c) -> s.host().isPresent() && expired(s.since(), settings.buildTimeout())
            ? rejectHost(s, "Build timed out on host " + s.host().get(), true)
            : Effect().none().thenRun(this::drive).thenNoReply());
  }

  private ReplyEffect<Event, State> scheduleNext(Building s, ScheduleNext c) {
    if (s.host().isPresent()) return Effect().noReply();
    List<String> candidates =
        hosts.candidates(s.server().spec().demand(), Set.copyOf(s.excluded()));
    if (candidates.isEmpty() && !hosts.settled()) {
      return Effect().noReply(); // the next tick asks again, once the hosts have reported
    }
    if (candidates.isEmpty()) {
      String reason = s.spawnAttempts() == 0
          ? "No valid host was found. There are not enough hosts available."
          : "No valid host was found. Exhausted all hosts available for retrying build failures: "
              + s.lastFailure().orElse("");
      return Effect().persist(new BuildFailed(reason, now())).thenRun(this::drive).thenNoReply();
    }
    claiming = false;
    claimed = false;
    return Effect().persist(new HostSelected(candidates.get(0), now())).thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> claimAnswered(Building s, ClaimAnswered c) {
    if (!c.host().equals(s.host().orElse(null))) return Effect().noReply();
    claiming = false;
    if (c.unanswered()) return Effect().noReply(); // a busy host: the next tick claims again
    if (c.rejection().isPresent()) return rejectHost(s, c.rejection().get(), false);
    claimed = true;
    return Effect().none().thenRun(next -> hosts.tellAgent(c.host(), spawnCommand(s.server(), true)))
        .thenNoReply();
  }

  /** The current host cannot build the server: release it and try the next, or give up. */
  private ReplyEffect<Event, State> rejectHost(Building s, String reason, boolean spawnFailed) {
    String host = s.host().orElseThrow();
    if (spawnFailed) {
      // leave nothing half-built behind on the host we are leaving
      hosts.tellAgent(host, new HostAgentCommand.DestroyServer(serverId));
    }
    hosts.release(host, serverId);
    claiming = false;
    claimed = false;
    List<Event> events = new ArrayList<>();
    events.add(new HostRejected(host, reason, spawnFailed, now()));
    int attempts = s.spawnAttempts() + (spawnFailed ? 1 : 0);
    if (attempts >= settings.maxBuildAttempts()) {
      events.add(new BuildFailed("No valid host was found. Exceeded maximum number of retries: "
          + reason, now()));
    }
    return Effect().persist(events).thenRun(this::drive).thenNoReply();
  }

  private void active(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Active.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Stop.class, (s, c) -> unlessBusy(s.task(), "stop", new StopRequested(now()), c.replyTo()))
        .onCommand(Reboot.class, (s, c) -> unlessBusy(s.task(), "reboot",
            new RebootRequested(c.hard(), now()), c.replyTo()))
        .onCommand(Pause.class, (s, c) -> unlessBusy(s.task(), "pause", new PauseRequested(now()), c.replyTo()))
        .onCommand(Suspend.class, (s, c) -> unlessBusy(s.task(), "suspend",
            new SuspendRequested(now()), c.replyTo()))
        .onCommand(Rebuild.class, (s, c) -> s.task().isPresent()
            ? Effect().reply(c.replyTo(), busy("rebuild", s.task().get()))
            : Effect().persist(new RebuildRequested(c.boot(), c.name(), now())).thenRun(this::drive)
                .thenReply(c.replyTo(), next -> StatusReply.success(view(next))))
        .onCommand(CreateImage.class, (s, c) -> unlessBusy(s.task(), "createImage",
            new SnapshotRequested(c.imageId(), now()), c.replyTo()))
        .onCommand(Resize.class, (s, c) -> unlessBusy(s.task(), "resize",
            new ResizeRequested(c.flavor(), now()), c.replyTo()))
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("start", VmState.ACTIVE)))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> {
          if (s.task().isEmpty() || c.task() != s.task().get()) return Effect().noReply();
          Event done = switch (c.task()) {
            case POWERING_OFF -> new ServerStopped(c.power(), now());
            case PAUSING -> new ServerPaused(now());
            case SUSPENDING -> new ServerSuspended(now());
            case REBUILDING -> new ServerRebuilt(now());
            default -> new ServerRebooted(now());
          };
          return Effect().persist(done).thenRun(this::drive).thenNoReply();
        })
        .onCommand(TaskFailedOnHost.class, (s, c) -> taskFailed(s.task(), c))
        .onCommand(PowerObserved.class, this::observedWhileActive)
        .onCommand(Tick.class, (s, c) -> taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? passivate() : Effect().noReply());
  }

  private ReplyEffect<Event, State> observedWhileActive(Active s, PowerObserved c) {
    if (!c.host().equals(s.server().host().orElse(null))) return Effect().noReply();
    if (!c.exists()) {
      // the host lost the domain (host reboot, test hypervisor restart): bring it back
      return Effect().none()
          .thenRun(next -> hosts.tellAgent(c.host(), spawnCommand(s.server(), true))).thenNoReply();
    }
    // a domain going down on purpose (reboot, suspend) is not a stop
    boolean rebooting = s.task().filter(t -> t != Task.POWERING_OFF).isPresent();
    if (c.power().isOff() && !rebooting) {
      return Effect().persist(new ServerStopped(c.power(), now())).thenRun(this::drive).thenNoReply();
    }
    return Effect().noReply();
  }

  private void stopped(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Stopped.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Start.class, (s, c) -> unlessBusy(s.task(), "start", new StartRequested(now()), c.replyTo()))
        .onCommand(Stop.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("stop", VmState.STOPPED)))
        .onCommand(CreateImage.class, (s, c) -> unlessBusy(s.task(), "createImage",
            new SnapshotRequested(c.imageId(), now()), c.replyTo()))
        .onCommand(Resize.class, (s, c) -> unlessBusy(s.task(), "resize",
            new ResizeRequested(c.flavor(), now()), c.replyTo()))
        .onCommand(Reboot.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("reboot", VmState.STOPPED)))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> s.task().filter(t -> t == c.task()).isPresent()
            ? Effect().persist(new ServerStarted(now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> taskFailed(s.task(), c))
        .onCommand(PowerObserved.class, (s, c) -> {
          if (!c.host().equals(s.server().host().orElse(null)) || s.task().isPresent()) {
            return Effect().noReply();
          }
          if (!c.exists()) {
            return Effect().none().thenRun(n -> hosts.tellAgent(c.host(), spawnCommand(s.server(), false)))
                .thenNoReply();
          }
          if (c.power() == PowerState.RUNNING) {
            // Nova's rule: the database's stopped wins over a domain started behind its back
            return Effect().none().thenRun(n -> hosts.tellAgent(c.host(),
                new HostAgentCommand.StopServer(serverId))).thenNoReply();
          }
          return Effect().noReply();
        })
        .onCommand(Tick.class, (s, c) -> taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? passivate() : Effect().noReply());
  }

  /** Paused and suspended servers: the one way back to ACTIVE, or delete. */
  private void paused(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    resting(b, Paused.class, Unpause.class, Unpause::replyTo, "unpause", UnpauseRequested::new, ServerUnpaused::new);
    resting(b, Suspended.class, Resume.class, Resume::replyTo, "resume", ResumeRequested::new, ServerResumed::new);
  }

  private <S extends Resting, W extends Command> void resting(
      CommandHandlerWithReplyBuilder<Command, Event, State> b, Class<S> phase, Class<W> wake,
      Function<W, ActorRef<StatusReply<Done>>> replyTo, String action,
      Function<Instant, Event> requested, Function<Instant, Event> done) {
    b.forStateType(phase)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(wake, (s, c) -> s.task().isPresent()
            ? Effect().reply(replyTo.apply(c), busy(action, s.task().get()))
            : accept(requested.apply(now()), replyTo.apply(c)))
        .onCommand(CreateImage.class, (s, c) -> unlessBusy(s.task(), "createImage",
            new SnapshotRequested(c.imageId(), now()), c.replyTo()))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> s.task().filter(t -> t == c.task()).isPresent()
            ? Effect().persist(done.apply(now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> taskFailed(s.task(), c))
        .onCommand(Tick.class, (s, c) -> taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? passivate() : Effect().noReply());
  }

  private void snapshotting(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Snapshotting.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> c.task() == Task.IMAGE_SNAPSHOT
            ? Effect().persist(new ServerSnapshotted(now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> taskFailed(Optional.of(Task.IMAGE_SNAPSHOT), c))
        .onCommand(Tick.class, (s, c) -> expired(s.since(), settings.snapshotTimeout())
            ? Effect().persist(new TaskFailed(Task.IMAGE_SNAPSHOT, "Timed out waiting for the snapshot", now()))
                .thenRun(this::drive).thenNoReply()
            : Effect().none().thenRun(this::drive).thenNoReply());
  }

  private void resizing(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Resizing.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(ResizeClaimAnswered.class, this::resizeClaimAnswered)
        .onCommand(TaskDone.class, (s, c) -> s.move().isEmpty() && s.step() == Task.RESIZE_MIGRATING
                && c.task() == Task.RESIZE_MIGRATING
            ? Effect().persist(new ServerResized(s.flavor(), c.power(), Optional.empty(), now())).thenRun(this::drive)
                .thenNoReply()
            : Effect().noReply())
        .onCommand(DiskExported.class, (s, c) -> s.move().filter(m -> m.source().equals(c.host()) && m.boot().isEmpty())
                .isPresent()
            ? Effect().persist(new DiskCopied(c.sha512(), now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(Spawned.class, (s, c) -> s.move().filter(m -> m.target().equals(c.host()) && m.boot().isPresent())
                .isPresent()
            ? Effect().persist(new ServerResized(s.flavor(), c.power(), Optional.of(c.host()), now()))
                .thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(SpawnFailed.class, (s, c) -> s.move().filter(m -> m.target().equals(c.host())).isPresent()
            ? resizeFailed(s, c.reason()) : Effect().noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> c.task() == s.step() ? resizeFailed(s, c.reason()) : Effect().noReply())
        .onCommand(Tick.class, (s, c) -> expired(s.since(), settings.taskTimeout())
            ? resizeFailed(s, "Timed out waiting for the host")
            : Effect().none().thenRun(this::drive).thenNoReply());
  }

  /**
   * The claim for a resize was answered. The server's own host refusing it is not the end: the
   * resize then moves the server to the best other host that has room (Nova's resize).
   */
  private ReplyEffect<Event, State> resizeClaimAnswered(Resizing s, ResizeClaimAnswered c) {
    String claimedOn = s.move().map(Move::target).orElse(s.server().host().orElseThrow());
    if (s.step() != Task.RESIZE_PREP || !c.host().equals(claimedOn)) return Effect().noReply();
    claiming = false;
    if (c.unanswered()) return Effect().noReply();
    if (c.rejection().isEmpty()) return Effect().persist(new ResizeClaimed(now())).thenRun(this::drive).thenNoReply();
    if (s.move().isPresent()) return resizeFailed(s, "No valid host was found. " + c.rejection().get());
    Demand demand = s.server().resizedTo(s.flavor()).spec().demand();
    List<String> targets = hosts.candidates(demand, Set.of(claimedOn));
    if (targets.isEmpty()) return resizeFailed(s, "No valid host was found. " + c.rejection().get());
    return Effect().persist(new ResizeTargetSelected(targets.get(0), now())).thenRun(this::drive).thenNoReply();
  }

  /**
   * A resize failed: the server keeps its flavor on its host, which holds that flavor only; a
   * move gives its target's room back and powers the server on again at its source.
   */
  private ReplyEffect<Event, State> resizeFailed(Resizing s, String reason) {
    context.getLog().info("resize of server {} to flavor {} failed: {}", serverId, s.flavor().id(), reason);
    Server server = s.server();
    return resizeEnded(new ResizeFailed(reason, now()), server, server.spec().flavor()).thenRun(next ->
        s.move().ifPresent(m -> {
          hosts.tellAgent(m.target(), new HostAgentCommand.DestroyServer(serverId));
          hosts.release(m.target(), serverId);
          if (m.boot().isPresent() && s.powerOn()) hosts.tellAgent(m.source(), new HostAgentCommand.StartServer(serverId));
        })).thenNoReply();
  }

  private void resized(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Resized.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Delete.class, (s, c) -> delete(s.server(), c.replyTo()))
        .onCommand(ConfirmResize.class, (s, c) -> s.task().isPresent()
            ? Effect().reply(c.replyTo(), busy("confirmResize", s.task().get()))
            : resizeEnded(new ResizeConfirmed(now()), s.server(), s.server().spec().flavor())
                // a moved server's source host lets its copy go
                .thenRun(next -> s.source().ifPresent(source -> {
                  hosts.tellAgent(source, new HostAgentCommand.DestroyServer(serverId));
                  hosts.release(source, serverId);
                }))
                .thenReply(c.replyTo(), next -> StatusReply.ack()))
        .onCommand(RevertResize.class, (s, c) -> unlessBusy(s.task(), "revertResize",
            new RevertRequested(now()), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> s.task().isPresent() && s.source().isEmpty()
                && c.task() == Task.RESIZE_REVERTING
            ? resizeEnded(new ResizeReverted(s.oldFlavor(), c.power(), Optional.empty(), now()), s.server(), s.oldFlavor())
                .thenNoReply()
            : Effect().noReply())
        // a moved server is reverted by removing it from its new host and starting it at its source
        .onCommand(Destroyed.class, (s, c) -> s.task().isPresent() && s.source().isPresent()
                && c.host().equals(s.server().host().orElse(null))
            ? Effect().persist(new ResizeReverted(s.oldFlavor(), s.powerOn() ? PowerState.RUNNING : PowerState.SHUTDOWN,
                    s.source(), now()))
                .thenRun(next -> {
                  hosts.release(c.host(), serverId);
                  hosts.adjustQuota(s.server().spec().projectId(), serverId, s.oldFlavor().resources());
                  if (s.powerOn()) hosts.tellAgent(s.source().get(), new HostAgentCommand.StartServer(serverId));
                  drive(next);
                }).thenNoReply()
            : Effect().noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> taskFailed(s.task(), c))
        .onCommand(Tick.class, (s, c) -> taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? passivate() : Effect().noReply());
  }

  /**
   * A resize is over (failed, confirmed or reverted): the host and the project's quota hold
   * {@code flavor} for the server again, no longer the larger of the two.
   */
  private EffectBuilder<Event, State> resizeEnded(Event event, Server server, Flavor flavor) {
    return Effect().persist(event).thenRun(next -> {
      server.host().ifPresent(h -> hosts.claim(h, serverId, flavor.resources(), server.spec().group()));
      hosts.adjustQuota(server.spec().projectId(), serverId, flavor.resources());
      drive(next);
    });
  }

  private void deleting(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Deleting.class)
        .onCommand(Get.class, (s, c) -> reply(c.replyTo(), view(s)))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Destroyed.class, (s, c) -> c.host().equals(s.server().host().orElse(null))
            ? Effect().persist(new ServerDeleted(now())).thenRun(this::drive).thenNoReply()
            : Effect().noReply())
        .onCommand(Tick.class, (s, c) -> expired(s.since(), settings.taskTimeout())
            // The host does not answer: the server is deleted all the same, and the host's
            // reconciler removes the domain when it is back (its capacity is released now).
            ? Effect().persist(new ServerDeleted(now())).thenRun(this::drive).thenNoReply()
            : Effect().none().thenRun(this::drive).thenNoReply());
  }

  private void anyState(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forAnyState()
        .onCommand(Lock.class, (s, c) -> s.server().lockedBy().isPresent() == c.locked()
            ? Effect().reply(c.replyTo(), StatusReply.ack())
            : Effect().persist(c.locked() ? new ServerLocked(c.byAdmin(), now()) : new ServerUnlocked(now()))
                .thenReply(c.replyTo(), next -> StatusReply.ack()))
        .onCommand(Rename.class, (s, c) -> Effect().persist(new ServerRenamed(c.name(), now()))
            .thenReply(c.replyTo(), next -> StatusReply.success(view(next))))
        .onCommand(GetActions.class, (s, c) -> Effect().reply(c.replyTo(),
            StatusReply.success(new Actions(s.server().actions()))))
        .onCommand(Create.class, (s, c) -> {
          Server server = s.server();
          return server.spec().equals(c.spec())
              ? reply(c.replyTo(), view(s))
              : Effect().reply(c.replyTo(), Rejection.conflict("Server " + serverId + " already exists"));
        })
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("start", s.vmState())))
        .onCommand(Stop.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("stop", s.vmState())))
        .onCommand(Reboot.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("reboot", s.vmState())))
        .onCommand(Pause.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("pause", s.vmState())))
        .onCommand(Unpause.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("unpause", s.vmState())))
        .onCommand(Suspend.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("suspend", s.vmState())))
        .onCommand(Resume.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("resume", s.vmState())))
        .onCommand(Rebuild.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("rebuild", s.vmState())))
        .onCommand(CreateImage.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("createImage", s.vmState())))
        .onCommand(Resize.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("resize", s.vmState())))
        .onCommand(ConfirmResize.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("confirmResize", s.vmState())))
        .onCommand(RevertResize.class, (s, c) -> Effect().reply(c.replyTo(), wrongState("revertResize", s.vmState())))
        .onCommand(GetConsoleOutput.class, (s, c) -> {
          Optional<String> host = s.server().host();
          if (host.isEmpty()) return Effect().reply(c.replyTo(), StatusReply.success(""));
          hosts.tellAgent(host.get(), new HostAgentCommand.ReadConsole(serverId, c.lines(), c.replyTo()));
          return Effect().noReply();
        })
        // reports that do not fit the current phase are late duplicates
        .onCommand(HostReport.class, (s, c) -> Effect().noReply())
        .onCommand(ScheduleNext.class, (s, c) -> Effect().noReply())
        .onCommand(ClaimAnswered.class, (s, c) -> Effect().noReply())
        .onCommand(ResizeClaimAnswered.class, (s, c) -> Effect().noReply())
        .onCommand(Tick.class, (s, c) -> Effect().noReply())
        .onCommand(Idle.class, (s, c) -> Effect().noReply());
  }

  // ---------------------------------------------------------------- helpers of the handlers

  /** Starts a task, unless one is under way (then 409, as Nova answers). */
  private ReplyEffect<Event, State> unlessBusy(Optional<Task> task, String action, Event event,
      ActorRef<StatusReply<Done>> replyTo) {
    return task.isPresent() ? Effect().reply(replyTo, busy(action, task.get())) : accept(event, replyTo);
  }

  private ReplyEffect<Event, State> accept(Event event, ActorRef<StatusReply<Done>> replyTo) {
    return Effect().persist(event).thenRun(this::drive).thenReply(replyTo, s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> delete(Server server, ActorRef<StatusReply<Done>> replyTo) {
    List<Event> events = new ArrayList<>();
    events.add(new DeleteRequested(now()));
    if (server.host().isEmpty()) events.add(new ServerDeleted(now()));
    return Effect().persist(events).thenRun(this::drive).thenReply(replyTo, s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> taskFailed(Optional<Task> task, TaskFailedOnHost c) {
    if (task.isEmpty() || task.get() != c.task()) return Effect().noReply();
    return Effect().persist(new TaskFailed(c.task(), c.reason(), now())).thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> taskTick(Optional<Task> task, Instant since) {
    if (task.isEmpty()) return Effect().noReply();
    if (expired(since, settings.taskTimeout())) {
      return Effect().persist(new TaskFailed(task.get(), "Timed out waiting for the host", now()))
          .thenRun(this::drive).thenNoReply();
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> reply(ActorRef<StatusReply<ServerView>> to, ServerView view) {
    return Effect().reply(to, StatusReply.success(view));
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.notFound("Instance " + serverId + " could not be found.");
  }

  private <T> StatusReply<T> wrongState(String action, VmState vmState) {
    return Rejection.conflict("Cannot '" + action + "' instance " + serverId
        + " while it is in vm_state " + vmState.novaName);
  }

  private <T> StatusReply<T> busy(String action, Task task) {
    return Rejection.conflict("Cannot '" + action + "' instance " + serverId
        + " while it is in task_state " + task.novaName);
  }

  private boolean expired(Instant since, Duration timeout) {
    return clock.instant().isAfter(since.plus(timeout));
  }

  private Instant now() {
    return clock.instant();
  }

  private HostAgentCommand.SpawnServer spawnCommand(Server server, boolean start) {
    return new HostAgentCommand.SpawnServer(serverId, server.spec().name(),
        server.spec().flavor().resources(), server.spec().boot(), start);
  }

  // ---------------------------------------------------------------- carrying out the current step

  /**
   * Carries out the step the server is in (idempotently, so it may run again after a timeout or a
   * recovery) and keeps the retry timer running exactly while a step is in flight.
   */
  private void drive(State state) {
    boolean busy = false;
    if (state instanceof Building b) {
      busy = true;
      if (b.host().isEmpty()) {
        context.getSelf().tell(new ScheduleNext());
      } else if (claimed) {
        hosts.tellAgent(b.host().get(), spawnCommand(b.server(), true));
      } else if (!claiming) {
        String host = b.host().get();
        claiming = true;
        context.pipeToSelf(hosts.claim(host, serverId, b.server().spec().flavor().resources(), b.server().spec().group()),
            (reply, failure) -> new ClaimAnswered(host,
                failure == null && reply.isError() ? Optional.of(Rejection.from(reply.getError()).message()) : Optional.empty(),
                failure != null));
      }
    } else if (state instanceof Active a && a.task().isPresent()) {
      busy = true;
      hosts.tellAgent(a.server().host().orElseThrow(), switch (a.task().get()) {
        case POWERING_OFF -> new HostAgentCommand.StopServer(serverId);
        case PAUSING -> new HostAgentCommand.PauseServer(serverId);
        case SUSPENDING -> new HostAgentCommand.SuspendServer(serverId);
        case REBUILDING -> new HostAgentCommand.RebuildServer(serverId, spawnCommand(a.server(), true));
        default -> new HostAgentCommand.RebootServer(serverId, a.task().get() == Task.REBOOTING_HARD);
      });
    } else if (state instanceof Paused p && p.task().isPresent()) {
      busy = true;
      hosts.tellAgent(p.server().host().orElseThrow(), new HostAgentCommand.UnpauseServer(serverId));
    } else if (state instanceof Suspended p && p.task().isPresent()) {
      busy = true;
      hosts.tellAgent(p.server().host().orElseThrow(), new HostAgentCommand.ResumeServer(serverId));
    } else if (state instanceof Stopped s && s.task().isPresent()) {
      busy = true;
      hosts.tellAgent(s.server().host().orElseThrow(), new HostAgentCommand.StartServer(serverId));
    } else if (state instanceof Snapshotting s) {
      busy = true;
      hosts.tellAgent(s.server().host().orElseThrow(), new HostAgentCommand.SnapshotServer(serverId, s.imageId()));
    } else if (state instanceof Resizing r) {
      busy = true;
      driveResize(r);
    } else if (state instanceof Resized r && r.task().isPresent()) {
      busy = true;
      if (r.source().isPresent()) {
        hosts.tellAgent(r.server().host().orElseThrow(), new HostAgentCommand.DestroyServer(serverId));
      } else {
        hosts.tellAgent(r.server().host().orElseThrow(), new HostAgentCommand.ResizeServer(serverId,
            spawnCommand(r.server().resizedTo(r.oldFlavor()), r.powerOn()), Task.RESIZE_REVERTING));
      }
    } else if (state instanceof Deleting d) {
      busy = true;
      d.server().host().ifPresent(h -> hosts.tellAgent(h, new HostAgentCommand.DestroyServer(serverId)));
    } else if (state instanceof Deleted || state instanceof Errored) {
      state.server().host().ifPresent(h -> hosts.release(h, serverId));
      if (state instanceof Deleted) {
        ServerSpec spec = state.server().spec();
        hosts.releaseQuota(spec.projectId(), serverId);
        spec.group().ifPresent(g -> hosts.leaveGroup(spec.projectId(), g.groupId(), serverId));
      }
    }
    if (busy && !timers.isTimerActive("step")) {
      timers.startTimerWithFixedDelay("step", new Tick(), settings.stepRetryInterval());
    } else if (!busy) {
      timers.cancel("step");
    }
  }

  /**
   * The step of a resize: claim room (on the server's host for the larger flavor, or on the
   * host it moves to for the new one), then resize in place, or copy the disk out of the source
   * and spawn the server on the target from that copy.
   */
  private void driveResize(Resizing r) {
    String source = r.server().host().orElseThrow();
    Server resized = r.server().resizedTo(r.flavor());
    if (r.step() == Task.RESIZE_PREP) {
      if (claiming) return;
      claiming = true;
      String host = r.move().map(Move::target).orElse(source);
      Resources need = r.move().isPresent() ? r.flavor().resources()
          : r.server().spec().flavor().resources().max(r.flavor().resources());
      context.pipeToSelf(hosts.claim(host, serverId, need, r.server().spec().group()), (reply, failure) ->
          new ResizeClaimAnswered(host,
              failure == null && reply.isError() ? Optional.of(Rejection.from(reply.getError()).message()) : Optional.empty(),
              failure != null));
    } else if (r.move().isEmpty()) {
      hosts.tellAgent(source, new HostAgentCommand.ResizeServer(serverId, spawnCommand(resized, r.powerOn()),
          Task.RESIZE_MIGRATING));
    } else if (r.move().get().boot().isEmpty()) {
      hosts.tellAgent(source, new HostAgentCommand.ExportDisk(serverId));
    } else {
      hosts.tellAgent(r.move().get().target(), new HostAgentCommand.SpawnServer(serverId, resized.spec().name(),
          r.flavor().resources(), r.move().get().boot().get(), r.powerOn()));
    }
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
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
        .onEvent(ServerRequested.class, (s, e) -> new Building(Server.requested(e.serverId(), e.spec(), e.at()),
            Optional.empty(), List.of(), 0, Optional.empty(), e.at()));
    builder.forStateType(Building.class)
        .onEvent(HostSelected.class, (s, e) -> new Building(s.server().at(e.at()),
            Optional.of(e.host()), s.excluded(), s.spawnAttempts(), s.lastFailure(), e.at()))
        .onEvent(HostRejected.class, (s, e) -> {
          List<String> excluded = new ArrayList<>(s.excluded());
          excluded.add(e.host());
          return new Building(s.server().at(e.at()), Optional.empty(), List.copyOf(excluded),
              s.spawnAttempts() + (e.spawnFailed() ? 1 : 0), Optional.of(e.reason()), e.at());
        })
        .onEvent(ServerActivated.class, (s, e) -> new Active(
            s.server().onHost(Optional.of(e.host()), e.power()).launched(e.at()).at(e.at()),
            Optional.empty(), e.at()))
        .onEvent(BuildFailed.class, (s, e) -> new Errored(s.server()
            .onHost(Optional.empty(), PowerState.NOSTATE).failed(new Fault(500, e.reason(), e.at())).at(e.at())));
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
          rebuilt = new Server(rebuilt.id(), rebuilt.spec().withBoot(e.boot()), rebuilt.created(), e.at(),
              rebuilt.host(), rebuilt.power(), rebuilt.launchedAt(), rebuilt.fault(), rebuilt.lockedBy(), rebuilt.actions());
          return new Active(rebuilt, Optional.of(Task.REBUILDING), e.at());
        })
        .onEvent(ServerRebuilt.class, (s, e) -> new Active(running(s.server(), e.at()), Optional.empty(), e.at()))
        .onEvent(SuspendRequested.class, (s, e) -> new Active(s.server().at(e.at()), Optional.of(Task.SUSPENDING), e.at()))
        .onEvent(ServerPaused.class, (s, e) -> new Paused(
            s.server().onHost(s.server().host(), PowerState.PAUSED).at(e.at()), Optional.empty(), e.at()))
        .onEvent(ServerSuspended.class, (s, e) -> new Suspended(
            s.server().onHost(s.server().host(), PowerState.SUSPENDED).at(e.at()), Optional.empty(), e.at()))
        .onEvent(SnapshotRequested.class, (s, e) -> new Snapshotting(s.server().at(e.at()), e.imageId(), VmState.ACTIVE, e.at()))
        .onEvent(ResizeRequested.class, (s, e) ->
            new Resizing(s.server().at(e.at()), e.flavor(), true, Task.RESIZE_PREP, Optional.empty(), e.at()));
    builder.forStateType(Resting.class)
        .onEvent(SnapshotRequested.class, (s, e) -> new Snapshotting(s.server().at(e.at()), e.imageId(),
            s.vmState(), e.at()));
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
        .onEvent(SnapshotRequested.class, (s, e) -> new Snapshotting(s.server().at(e.at()), e.imageId(), VmState.STOPPED, e.at()))
        .onEvent(ResizeRequested.class, (s, e) ->
            new Resizing(s.server().at(e.at()), e.flavor(), false, Task.RESIZE_PREP, Optional.empty(), e.at()));
    builder.forStateType(Snapshotting.class)
        .onEvent(ServerSnapshotted.class, (s, e) -> snapshotOver(s, e.at()))
        .onEvent(TaskFailed.class, (s, e) -> snapshotOver(s, e.at()));
    builder.forStateType(Resizing.class)
        .onEvent(ResizeTargetSelected.class, (s, e) -> new Resizing(s.server().at(e.at()), s.flavor(), s.powerOn(),
            Task.RESIZE_PREP, Optional.of(new Move(s.server().host().orElseThrow(), e.host(), Optional.empty())), e.at()))
        .onEvent(ResizeClaimed.class, (s, e) ->
            new Resizing(s.server().at(e.at()), s.flavor(), s.powerOn(), Task.RESIZE_MIGRATING, s.move(), e.at()))
        .onEvent(DiskCopied.class, (s, e) -> {
          Move m = s.move().orElseThrow();
          BootSource boot = s.server().spec().boot().withDisk(e.sha512().map(sha -> BootSource.STORE_PREFIX + sha));
          return new Resizing(s.server().at(e.at()), s.flavor(), s.powerOn(), s.step(),
              Optional.of(new Move(m.source(), m.target(), Optional.of(boot))), e.at());
        })
        .onEvent(ServerResized.class, (s, e) -> new Resized(
            s.server().resizedTo(e.flavor()).onHost(e.host().or(() -> s.server().host()), e.power()).at(e.at()),
            s.server().spec().flavor(), s.powerOn(), Optional.empty(), s.move().map(Move::source), e.at()))
        .onEvent(ResizeFailed.class, (s, e) -> settled(s.server().at(e.at()), s.powerOn(), e.at()));
    builder.forStateType(Resized.class)
        .onEvent(ResizeConfirmed.class, (s, e) -> settled(s.server().at(e.at()), s.powerOn(), e.at()))
        .onEvent(RevertRequested.class, (s, e) -> new Resized(s.server().at(e.at()), s.oldFlavor(), s.powerOn(),
            Optional.of(Task.RESIZE_REVERTING), s.source(), e.at()))
        .onEvent(ResizeReverted.class, (s, e) -> settled(
            s.server().resizedTo(e.flavor()).onHost(e.host().or(() -> s.server().host()), e.power()).at(e.at()),
            s.powerOn(), e.at()))
        .onEvent(TaskFailed.class, (s, e) ->
            new Resized(s.server().at(e.at()), s.oldFlavor(), s.powerOn(), Optional.empty(), s.source(), e.at()));
    builder.forAnyState()
        .onEvent(ServerLocked.class, (s, e) -> s.withServer(s.server().locked(Optional.of(e.byAdmin() ? "admin" : "owner")).at(e.at())))
        .onEvent(ServerUnlocked.class, (s, e) -> s.withServer(s.server().locked(Optional.empty()).at(e.at())))
        .onEvent(ServerRenamed.class, (s, e) -> s.withServer(s.server().renamed(e.name()).at(e.at())))
        .onEvent(DeleteRequested.class, (s, e) -> new Deleting(placed(s).at(e.at()), s.vmState(), e.at()))
        .onEvent(ServerDeleted.class, (s, e) -> new Deleted(s.server().at(e.at())));
    return builder.build();
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

  /** Back to ACTIVE or SHUTOFF, with no task, after a snapshot or a resize. */
  private static State settled(Server server, boolean powerOn, Instant at) {
    return powerOn ? new Active(server, Optional.empty(), at) : new Stopped(server, Optional.empty(), at);
  }

  private static Server running(Server server, Instant at) {
    return server.onHost(server.host(), PowerState.RUNNING).at(at);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  // ---------------------------------------------------------------- reading a state

  public static ServerView view(State state) {
    return state.server().view(state.vmState().novaName, state.task());
  }
}
