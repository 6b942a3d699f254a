package nimbus.storage;

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
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One volume snapshot, keyed by its UUID, with Cinder's statuses. Its create is a chain of
 * persisted steps (ARCHITECTURE.md, "The workflow pattern"): its project's quota holds it, its
 * volume counts it as a dependent (so the volume is not deleted under it), then the volume's
 * storage host copies the volume's file. The create answers once the volume counts it (still
 * {@code creating}, as Cinder's 202); a refusal of either is the client's answer and gives back
 * what was held. A failed copy leaves it in {@code error} and gives its quota back. A delete
 * removes the file, frees the volume, then gives the quota back.
 */
public final class SnapshotEntity
    extends EventSourcedBehaviorWithEnforcedReplies<SnapshotEntity.Command, SnapshotEntity.Event, SnapshotEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Snapshot");
  public static final String TAG = "snapshot";

  // ---------------------------------------------------------------- commands

  /** Messages a snapshot understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the snapshot ({@link Snapshot#requested}); answered once its volume counts it. */
  public record Create(Snapshot snapshot, ActorRef<StatusReply<Snapshot>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Snapshot>> replyTo) implements Command {}

  /** Replaces what is given of name, description and metadata. */
  public record Update(Optional<String> name, Optional<String> description, Optional<Map<String, String>> metadata,
      ActorRef<StatusReply<Snapshot>> replyTo) implements Command {}

  /** Begins the delete (answered at once, as Cinder's 202); refused unless {@link Snapshot#deletable}. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A step's answer. */
  record StepAnswered(StepDriver.Answer answer) implements Command {}

  /** Time to ask again the steps still unanswered. */
  record Tick() implements Command {}

  /** Nothing came for a while: stop unless a step is in flight. */
  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a snapshot's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record SnapshotRequested(Snapshot snapshot, Instant at) implements Event {}

  public record QuotaHeld(Instant at) implements Event {}

  /** Its volume counts it; {@code host} holds the volume's file. */
  public record VolumeLinked(String host, Instant at) implements Event {}

  /** The quota or the volume refused it: what was held is given back, and it never was. */
  public record SnapshotRefused(String reason, Instant at) implements Event {}

  public record StorageCreated(Instant at) implements Event {}

  /** Its storage host could not copy or remove the file. */
  public record StorageFailed(String reason, Instant at) implements Event {}

  public record SnapshotUpdated(String name, String description, Map<String, String> metadata, Instant at)
      implements Event {}

  public record DeleteRequested(Instant at) implements Event {}

  public record StorageRemoved(Instant at) implements Event {}

  public record VolumeUnlinked(Instant at) implements Event {}

  public record QuotaReleased(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A snapshot's phases; all but {@link NoSnapshot} hold the snapshot. */
  public sealed interface State extends CborSerializable {}

  public record NoSnapshot() implements State {}

  /** Phases with a snapshot. */
  public sealed interface Existing extends State {
    Snapshot snapshot();
  }

  /** Creating or deleting, or giving back a failed one's quota: a step is under way. */
  public record Busy(Snapshot snapshot) implements Existing {}

  /** Available, or in an error status: at rest until asked. */
  public record Resting(Snapshot snapshot) implements Existing {}

  public record Gone(Snapshot snapshot) implements Existing {}

  // ---------------------------------------------------------------- behavior

  /** {@code shard}: where to ask to be passivated once idle. */
  public static Behavior<Command> create(String snapshotId, SnapshotClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(VolumeEntity.IDLE_BEFORE_PASSIVATION, new Idle());
      return new SnapshotEntity(snapshotId, claims, clock, context,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new), shard);
    }));
  }

  private final String snapshotId;
  private final SnapshotClaims claims;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final StepDriver<Command> steps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting for a create (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Snapshot>>> waiting = new ArrayList<>();

  private SnapshotEntity(String snapshotId, SnapshotClaims claims, Clock clock, ActorContext<Command> context,
      StepDriver<Command> steps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), snapshotId), Entities.JOURNAL_BACKOFF);
    this.snapshotId = snapshotId;
    this.claims = claims;
    this.clock = clock;
    this.context = context;
    this.steps = steps;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return new NoSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoSnapshot.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.snapshot().id().equals(snapshotId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("snapshot id does not match its entity"));
          }
          waiting.add(c.replyTo());
          return persist(new SnapshotRequested(c.snapshot(), now()));
        });
    b.forStateType(Busy.class)
        .onCommand(Create.class, (s, c) -> {
          // the same create again (a retried request) waits for the same answer
          if (s.snapshot().status().equals(Snapshot.CREATING) && !s.snapshot().linked()
              && s.snapshot().projectId().equals(c.snapshot().projectId())) {
            waiting.add(c.replyTo());
            return Effect().noReply();
          }
          return Effect().reply(c.replyTo(), Rejection.conflict("Snapshot " + snapshotId + " already exists."));
        });
    for (Class<? extends Existing> live : List.of(Busy.class, Resting.class)) {
      b.forStateType(live)
          .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.snapshot())))
          .onCommand(Update.class, (s, c) -> {
            Snapshot v = s.snapshot();
            return Effect().persist(new SnapshotUpdated(c.name().orElse(v.name()), c.description().orElse(v.description()),
                c.metadata().orElse(v.metadata()), now())).thenReply(c.replyTo(), n -> StatusReply.success(snapshotOf(n)));
          })
          .onCommand(Delete.class, (s, c) -> s.snapshot().deletable()
              ? Effect().persist(new DeleteRequested(now())).thenRun(this::drive).thenReply(c.replyTo(), n -> StatusReply.ack())
              : Effect().reply(c.replyTo(), Rejection.invalid("Invalid snapshot: Snapshot status must be available or"
                  + " error and must not be part of a group.")));
    }
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!busy(s) && waiting.isEmpty()) shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          return Effect().noReply();
        })
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Snapshot " + snapshotId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  // ---------------------------------------------------------------- steps

  private static boolean busy(State state) {
    return state instanceof Busy;
  }

  /** Asks whatever step the snapshot is in; the retry timer runs exactly while one is in flight. */
  private void drive(State state) {
    if (state instanceof Existing e) {
      Snapshot s = e.snapshot();
      String project = s.projectId();
      switch (s.status()) {
        case Snapshot.CREATING -> {
          if (!s.quotaHeld()) {
            steps.ask("quota", () -> claims.reserveSnapshot(project, snapshotId, s.volumeType(), s.size()));
          } else if (!s.linked()) {
            steps.ask("link", () -> claims.link(s.volumeId(), snapshotId, project, s.force()));
          } else {
            steps.ask("copy", () -> claims.createSnapshotStorage(s.host().orElseThrow(), s.volumeId(), snapshotId));
          }
        }
        case Snapshot.DELETING -> {
          if (s.stored()) {
            steps.ask("remove", () -> claims.removeSnapshotStorage(s.host().orElseThrow(), snapshotId));
          } else if (s.linked()) {
            steps.ask("unlink", () -> claims.unlink(s.volumeId(), snapshotId));
          } else if (s.quotaHeld()) {
            steps.ask("release", () -> claims.releaseSnapshot(project, snapshotId));
          }
        }
        case Snapshot.ERROR -> {
          if (s.quotaHeld()) steps.ask("release", () -> claims.releaseSnapshot(project, snapshotId));
        }
        default -> { }
      }
    }
    steps.keepTicking(busy(state));
  }

  private ReplyEffect<Event, State> answered(State state, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(state instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    Snapshot s = e.snapshot();
    boolean creating = s.status().equals(Snapshot.CREATING);
    switch (a.step()) {
      case "quota" -> {
        if (creating && !s.quotaHeld()) {
          return a.accepted() ? persist(new QuotaHeld(now())) : refuse(a.refusal().get());
        }
      }
      case "link" -> {
        if (creating && !s.linked()) {
          return a.accepted() ? persist(new VolumeLinked(a.valueAs(Volume.class).host().orElse(""), now()))
              : refuse(a.refusal().get());
        }
      }
      case "copy" -> {
        if (creating) return persist(a.accepted() ? new StorageCreated(now()) : failed(a));
      }
      case "remove" -> {
        if (s.status().equals(Snapshot.DELETING) && s.stored()) {
          return persist(a.accepted() ? new StorageRemoved(now()) : failed(a));
        }
      }
      case "unlink" -> {
        if (a.accepted() && s.linked()) return persist(new VolumeUnlinked(now()));
      }
      case "release" -> {
        if (a.accepted() && s.quotaHeld()) return persist(new QuotaReleased(now()));
      }
      default -> { }
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private StorageFailed failed(StepDriver.Answer a) {
    return new StorageFailed(a.refusal().get().message(), now());
  }

  /** The quota or the volume said no: the waiting client hears why, and what was held is given back. */
  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new SnapshotRefused(why.message(), now())).thenRun(next -> {
      waiting.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waiting.clear();
      drive(next);
    }).thenNoReply();
  }

  /** Persists {@code event}, answers waiting clients once the volume counts the snapshot, and drives on. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Existing x && x.snapshot().linked() && !waiting.isEmpty()) {
        waiting.forEach(to -> to.tell(StatusReply.success(x.snapshot())));
        waiting.clear();
      }
      drive(next);
    }).thenNoReply();
  }

  private static Snapshot snapshotOf(State s) {
    return ((Existing) s).snapshot();
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.notFound("Snapshot " + snapshotId + " could not be found.");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return SnapshotEntity::next;
  }

  /** The phase an event leads to; shared with the read side, which replays the same events. */
  public static State next(State before, Event event) {
    if (event instanceof SnapshotRequested e) return phaseOf(e.snapshot());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.snapshot().after(event));
  }

  private static State phaseOf(Snapshot s) {
    return switch (s.status()) {
      case Snapshot.CREATING, Snapshot.DELETING -> new Busy(s);
      case Snapshot.ERROR -> s.quotaHeld() ? new Busy(s) : new Resting(s);
      case Snapshot.DELETED -> new Gone(s);
      default -> new Resting(s);
    };
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
