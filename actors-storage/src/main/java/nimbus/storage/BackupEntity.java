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
 * One volume backup, keyed by its UUID, with Cinder's statuses. Its create is a chain of persisted
 * steps (ARCHITECTURE.md, "The workflow pattern"): its project's quota holds it, its parent (for an
 * incremental backup) counts it as a dependent, its volume is held {@code backing-up} (an in-use one
 * stays attached, and is in-use again after), the volume's storage host stores its chunks, then the
 * volume is freed. A backup of a snapshot reads the snapshot's file and holds no volume; an imported
 * record's create has its host's store name the chunks the record names (refused unless it holds them). The create answers once the volume is
 * held (still {@code creating}, as Cinder's 202); a refusal of any is the client's answer and gives
 * back what was held. A failed store leaves it in {@code error} with its volume freed. A restore
 * creates its volume (or holds an existing one {@code restoring-backup}), writes the chunks, then
 * frees the volume; a delete removes its chunks, frees its parent, then gives the quota back.
 */
public final class BackupEntity
    extends EventSourcedBehaviorWithEnforcedReplies<BackupEntity.Command, BackupEntity.Event, BackupEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Backup");
  public static final String TAG = "backup";

  // ---------------------------------------------------------------- commands

  /** Messages a backup understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the backup ({@link Backup#requested}); answered once its volume is held. */
  public record Create(Backup backup, ActorRef<StatusReply<Backup>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Backup>> replyTo) implements Command {}

  /** Replaces what is given of name and description. */
  public record Update(Optional<String> name, Optional<String> description, ActorRef<StatusReply<Backup>> replyTo)
      implements Command {}

  /**
   * Begins the delete (answered at once, as Cinder's 202); refused unless {@link Backup#deletable}
   * or, with {@code force} (admins), whatever its status, unless backups depend on it.
   */
  public record Delete(boolean force, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Restores the available backup into {@code restore}'s volume; answered once that volume is held
   * (an existing one) or created (a new one).
   */
  public record Restore(BackupRestore restore, ActorRef<StatusReply<BackupRestore>> replyTo) implements Command {}

  /** The incremental backup {@code backupId} of project {@code projectId} depends on this available one. */
  public record AddDependent(String backupId, String projectId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The incremental backup is gone (or never was made). Always answered. */
  public record RemoveDependent(String backupId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Cinder's os-reset_status for backups (admins): {@code available} or {@code error}, at rest only. */
  public record ResetStatus(String status, ActorRef<StatusReply<Backup>> replyTo) implements Command {}

  /** A step's answer. */
  record StepAnswered(StepDriver.Answer answer) implements Command {}

  /** Time to ask again the steps still unanswered. */
  record Tick() implements Command {}

  /** Nothing came for a while: stop unless a step is in flight. */
  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a backup's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record BackupRequested(Backup backup, Instant at) implements Event {}

  public record QuotaHeld(Instant at) implements Event {}

  public record ParentLinked(Instant at) implements Event {}

  /** Its volume is held {@code backing-up}; {@code host} holds the volume's file; the volume's metadata then. */
  public record VolumeHeld(String host, Map<String, String> volumeMetadata, Instant at) implements Event {}

  public record BackupUpdated(String name, String description, Instant at) implements Event {}

  /** The quota, the parent or the volume refused it: what was held is given back, and it never was. */
  public record BackupRefused(String reason, Instant at) implements Event {}

  public record ChunksStored(List<String> chunks, long bytesWritten, Instant at) implements Event {}

  /** Its storage host could not store or remove the chunks. */
  public record StorageFailed(String reason, Instant at) implements Event {}

  public record VolumeFreed(Instant at) implements Event {}

  public record DeleteRequested(Instant at) implements Event {}

  public record ChunksRemoved(Instant at) implements Event {}

  public record ParentUnlinked(Instant at) implements Event {}

  public record QuotaReleased(Instant at) implements Event {}

  public record DependentAdded(String backupId, Instant at) implements Event {}

  public record DependentRemoved(String backupId, Instant at) implements Event {}

  public record RestoreRequested(BackupRestore restore, Instant at) implements Event {}

  public record RestoreVolumeCreated(Instant at) implements Event {}

  public record RestoreVolumeHeld(Instant at) implements Event {}

  /** The chunks are written into the volume, or {@code failure} says why not. */
  public record RestoreWritten(Optional<String> failure, Instant at) implements Event {}

  /** The restore is over (its volume freed, or never held): the backup is available again. */
  public record RestoreEnded(Optional<String> failure, Instant at) implements Event {}

  public record StatusReset(String status, Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A backup's phases; all but {@link NoBackup} hold the backup. */
  public sealed interface State extends CborSerializable {}

  public record NoBackup() implements State {}

  /** Phases with a backup. */
  public sealed interface Existing extends State {
    Backup backup();
  }

  /** Creating, restoring or deleting, or freeing a failed one's volume: a step is under way. */
  public record Busy(Backup backup) implements Existing {}

  /** Available, or in error: at rest until asked. */
  public record Resting(Backup backup) implements Existing {}

  public record Gone(Backup backup) implements Existing {}

  // ---------------------------------------------------------------- behavior

  /** {@code shard}: where to ask to be passivated once idle. */
  public static Behavior<Command> create(String backupId, BackupClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(VolumeEntity.IDLE_BEFORE_PASSIVATION, new Idle());
      return new BackupEntity(backupId, claims, clock, context,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new), shard);
    }));
  }

  private final String backupId;
  private final BackupClaims claims;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final StepDriver<Command> steps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting for a create or a restore (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Backup>>> waiting = new ArrayList<>();
  private final List<ActorRef<StatusReply<BackupRestore>>> restoring = new ArrayList<>();

  private BackupEntity(String backupId, BackupClaims claims, Clock clock, ActorContext<Command> context,
      StepDriver<Command> steps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), backupId), Entities.JOURNAL_BACKOFF);
    this.backupId = backupId;
    this.claims = claims;
    this.clock = clock;
    this.context = context;
    this.steps = steps;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return new NoBackup();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoBackup.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.backup().id().equals(backupId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("backup id does not match its entity"));
          }
          waiting.add(c.replyTo());
          return persist(new BackupRequested(c.backup(), now()));
        });
    b.forStateType(Busy.class)
        .onCommand(Create.class, (s, c) -> {
          // the same create again (a retried request) waits for the same answer
          Backup x = s.backup();
          if (x.status().equals(Backup.CREATING) && !accepted(x) && x.projectId().equals(c.backup().projectId())) {
            waiting.add(c.replyTo());
            return Effect().noReply();
          }
          return Effect().reply(c.replyTo(), Rejection.conflict("Backup " + backupId + " already exists."));
        });
    for (Class<? extends Existing> live : List.of(Busy.class, Resting.class)) {
      b.forStateType(live)
          .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.backup())))
          .onCommand(Update.class, (s, c) -> Effect().persist(new BackupUpdated(c.name().orElse(s.backup().name()),
              c.description().orElse(s.backup().description()), now()))
              .thenReply(c.replyTo(), n -> StatusReply.success(backupOf(n))))
          .onCommand(Delete.class, (s, c) -> delete(s.backup(), c))
          .onCommand(Restore.class, (s, c) -> restore(s.backup(), c))
          .onCommand(AddDependent.class, (s, c) -> addDependent(s.backup(), c))
          .onCommand(RemoveDependent.class, (s, c) -> s.backup().dependents().contains(c.backupId())
              ? Effect().persist(new DependentRemoved(c.backupId(), now())).thenReply(c.replyTo(), n -> StatusReply.ack())
              : Effect().reply(c.replyTo(), StatusReply.ack()))
          .onCommand(ResetStatus.class, (s, c) -> resetStatus(s, c));
    }
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!busy(s) && waiting.isEmpty() && restoring.isEmpty()) {
            shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          }
          return Effect().noReply();
        })
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Backup " + backupId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Restore.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddDependent.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ResetStatus.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveDependent.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    return b.build();
  }

  private ReplyEffect<Event, State> delete(Backup x, Delete c) {
    if (!x.dependents().isEmpty()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Incremental backups exist for this backup."));
    }
    if (x.status().equals(Backup.DELETING)) return Effect().reply(c.replyTo(), StatusReply.ack());
    if (x.status().equals(Backup.RESTORING)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Backup status must be available or error"
          + ", not restoring."));
    }
    if (!c.force() && !x.deletable()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Backup status must be available or error"));
    }
    return Effect().persist(new DeleteRequested(now())).thenRun(this::drive).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> restore(Backup x, Restore c) {
    if (x.restore().filter(r -> r.volumeId().equals(c.restore().volumeId())).isPresent()) {
      restoring.add(c.replyTo());
      return Effect().none().thenRun(this::answerRestore).thenNoReply();
    }
    if (!x.status().equals(Backup.AVAILABLE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Backup status must be available"));
    }
    restoring.add(c.replyTo());
    return persist(new RestoreRequested(c.restore(), now()));
  }

  private ReplyEffect<Event, State> addDependent(Backup x, AddDependent c) {
    if (!x.projectId().equals(c.projectId())) return Effect().reply(c.replyTo(), notFound());
    if (x.dependents().contains(c.backupId())) return Effect().reply(c.replyTo(), StatusReply.ack());
    if (!x.status().equals(Backup.AVAILABLE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: The parent backup must be available for"
          + " incremental backup."));
    }
    return Effect().persist(new DependentAdded(c.backupId(), now())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> resetStatus(Existing s, ResetStatus c) {
    if (!c.status().equals(Backup.AVAILABLE) && !c.status().equals(Backup.ERROR)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Backup status must be available or error,"
          + " not " + c.status() + "."));
    }
    // a step under way finishes what it holds first: only a backup at rest is set
    if (s instanceof Busy || !s.backup().holds().stored() && c.status().equals(Backup.AVAILABLE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid backup: Backup " + backupId + " is "
          + s.backup().status() + " and cannot be reset to " + c.status() + "."));
    }
    return Effect().persist(new StatusReset(c.status(), now())).thenReply(c.replyTo(), n -> StatusReply.success(backupOf(n)));
  }

  // ---------------------------------------------------------------- steps

  private static boolean busy(State state) {
    return state instanceof Busy;
  }

  /** Asks whatever step the backup is in; the retry timer runs exactly while one is in flight. */
  private void drive(State state) {
    if (state instanceof Existing e) {
      Backup x = e.backup();
      String project = x.projectId();
      Backup.Holds h = x.holds();
      switch (x.status()) {
        case Backup.CREATING -> {
          if (!h.quota()) {
            steps.ask("quota", () -> claims.reserveBackup(project, backupId, x.size()));
          } else if (x.importing()) {
            steps.ask("adopt", () -> claims.adoptChunks(x.host().orElseThrow(), backupId, x.chunks()));
          } else if (x.parentId().isPresent() && !h.parent()) {
            steps.ask("parent", () -> claims.linkParent(x.parentId().get(), backupId, project));
          } else if (x.snapshotId().isEmpty() && !h.volume() && !h.stored()) {
            // a snapshot's file is read where it is, with its volume left as it is (Cinder's)
            steps.ask("hold", () -> claims.holdVolume(x.volumeId(), backupId, project, false, 0));
          } else if (!h.stored()) {
            steps.ask("store", () -> claims.storeChunks(x.host().orElseThrow(), backupId, x.volumeId(), x.snapshotId()));
          } else {
            steps.ask("free", () -> claims.freeVolume(x.volumeId(), backupId, Volume.AVAILABLE));
          }
        }
        case Backup.RESTORING -> x.restore().ifPresent(r -> driveRestore(x, r));
        case Backup.DELETING -> {
          if (h.volume()) {
            steps.ask("free", () -> claims.freeVolume(x.volumeId(), backupId, Volume.AVAILABLE));
          } else if (h.stored()) {
            steps.ask("remove", () -> claims.removeChunks(x.host().orElseThrow(), backupId));
          } else if (h.parent()) {
            steps.ask("unlink", () -> claims.unlinkParent(x.parentId().orElseThrow(), backupId));
          } else if (h.quota()) {
            steps.ask("release", () -> claims.releaseBackup(project, backupId));
          }
        }
        case Backup.ERROR -> {
          if (h.volume()) steps.ask("free", () -> claims.freeVolume(x.volumeId(), backupId, Volume.AVAILABLE));
        }
        default -> { }
      }
    }
    steps.keepTicking(busy(state));
  }

  private void driveRestore(Backup x, BackupRestore r) {
    if (r.create().isPresent() && !r.volumeCreated()) {
      steps.ask("restore-create", () -> claims.createVolume(r.create().get()));
    } else if (!r.volumeHeld()) {
      steps.ask("restore-hold", () -> claims.holdVolume(r.volumeId(), backupId, x.projectId(), true, x.size()));
    } else if (!r.written()) {
      steps.ask("restore-write", () -> claims.restoreChunks(x.host().orElseThrow(), backupId, r.volumeId(), x.chunks()));
    } else {
      // a volume half written holds nothing a guest should boot: Cinder's error_restoring
      String status = r.failure().isPresent() ? Volume.ERROR_RESTORING : Volume.AVAILABLE;
      steps.ask("restore-free", () -> claims.freeVolume(r.volumeId(), backupId, status));
    }
  }

  private ReplyEffect<Event, State> answered(State state, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(state instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    Backup x = e.backup();
    Backup.Holds h = x.holds();
    boolean creating = x.status().equals(Backup.CREATING);
    Optional<BackupRestore> r = x.restore().filter(any -> x.status().equals(Backup.RESTORING));
    switch (a.step()) {
      case "quota" -> {
        if (creating && !h.quota()) return a.accepted() ? persist(new QuotaHeld(now())) : refuse(a.refusal().get());
      }
      case "parent" -> {
        if (creating && !h.parent()) return a.accepted() ? persist(new ParentLinked(now())) : refuse(a.refusal().get());
      }
      case "hold" -> {
        if (creating && !h.volume() && !h.stored()) {
          return a.accepted() ? persist(new VolumeHeld(a.valueAs(Volume.class).host().orElse(""),
              a.valueAs(Volume.class).metadata(), now()))
              : refuse(a.refusal().get());
        }
      }
      case "store" -> {
        if (creating && !h.stored()) {
          if (!a.accepted()) return persist(new StorageFailed(a.refusal().get().message(), now()));
          BackupHostCommand.Manifest m = a.valueAs(BackupHostCommand.Manifest.class);
          return persist(new ChunksStored(m.chunks(), m.bytesWritten(), now()));
        }
      }
      case "adopt" -> {
        // a record naming chunks its host does not hold is the importer's mistake: refused, nothing kept
        if (x.importing()) {
          return a.accepted() ? persist(new ChunksStored(x.chunks(), 0, now())) : refuse(a.refusal().get());
        }
      }
      case "free" -> {
        if (a.accepted() && h.volume()) return persist(new VolumeFreed(now()));
      }
      case "remove" -> {
        if (x.status().equals(Backup.DELETING) && h.stored()) {
          return persist(a.accepted() ? new ChunksRemoved(now()) : new StorageFailed(a.refusal().get().message(), now()));
        }
      }
      case "unlink" -> {
        if (a.accepted() && h.parent()) return persist(new ParentUnlinked(now()));
      }
      case "release" -> {
        if (a.accepted() && h.quota()) return persist(new QuotaReleased(now()));
      }
      case "restore-create" -> {
        if (r.isPresent() && !r.get().volumeCreated()) {
          return a.accepted() ? persist(new RestoreVolumeCreated(now()))
              : endRestore(a.refusal().get());
        }
      }
      case "restore-hold" -> {
        if (r.isPresent() && !r.get().volumeHeld()) {
          return a.accepted() ? persist(new RestoreVolumeHeld(now())) : endRestore(a.refusal().get());
        }
      }
      case "restore-write" -> {
        if (r.isPresent() && r.get().volumeHeld() && !r.get().written()) {
          return persist(new RestoreWritten(a.accepted() ? Optional.empty()
              : Optional.of(a.refusal().get().message()), now()));
        }
      }
      case "restore-free" -> {
        if (a.accepted() && r.isPresent() && r.get().written()) return persist(new RestoreEnded(r.get().failure(), now()));
      }
      default -> { }
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  /** The quota, the parent or the volume said no: the waiting client hears why, and what was held is given back. */
  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new BackupRefused(why.message(), now())).thenRun(next -> {
      waiting.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waiting.clear();
      drive(next);
    }).thenNoReply();
  }

  /** The restore's volume could not be made or held: nothing was written, the backup is available again. */
  private ReplyEffect<Event, State> endRestore(Rejection why) {
    return Effect().persist(new RestoreEnded(Optional.of(why.message()), now())).thenRun(next -> {
      restoring.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      restoring.clear();
      drive(next);
    }).thenNoReply();
  }

  /** Persists {@code event}, answers waiting clients once the volume is held (or the restore's made), and drives on. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Existing x && accepted(x.backup()) && !waiting.isEmpty()) {
        waiting.forEach(to -> to.tell(StatusReply.success(x.backup())));
        waiting.clear();
      }
      answerRestore(next);
      drive(next);
    }).thenNoReply();
  }

  /**
   * Whether its create has got past what may refuse it: its volume is held, or its chunks stored
   * (an import's adopted), or for a snapshot's backup (no volume to hold) its quota and parent hold it.
   */
  private static boolean accepted(Backup b) {
    Backup.Holds h = b.holds();
    return h.volume() || h.stored()
        || b.snapshotId().isPresent() && h.quota() && (b.parentId().isEmpty() || h.parent());
  }

  /** Answers the clients of a restore once its volume is held, or (a new one) created. */
  private void answerRestore(State state) {
    if (restoring.isEmpty() || !(state instanceof Existing x)) return;
    x.backup().restore().filter(r -> r.volumeHeld() || r.create().isPresent() && r.volumeCreated()).ifPresent(r -> {
      restoring.forEach(to -> to.tell(StatusReply.success(r)));
      restoring.clear();
    });
  }

  private static Backup backupOf(State s) {
    return ((Existing) s).backup();
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.notFound("Backup " + backupId + " could not be found.");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return BackupEntity::next;
  }

  /** The phase an event leads to; shared with the read side, which replays the same events. */
  public static State next(State before, Event event) {
    if (event instanceof BackupRequested e) return phaseOf(e.backup());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.backup().after(event));
  }

  private static State phaseOf(Backup x) {
    return switch (x.status()) {
      case Backup.CREATING, Backup.DELETING, Backup.RESTORING -> new Busy(x);
      case Backup.ERROR -> x.holds().volume() ? new Busy(x) : new Resting(x);
      case Backup.DELETED -> new Gone(x);
      default -> new Resting(x);
    };
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
