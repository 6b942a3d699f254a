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
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One block storage volume, keyed by its UUID, with Cinder's statuses. What it needs of others is
 * claimed as persisted steps (ARCHITECTURE.md, "The workflow pattern"): its project's quota, then
 * its file on a storage host (empty, or a copy of a snapshot, a volume or an image's bytes; a copy of
 * an image that fails gives its quota back, as nothing of it was made). A create answers once the quota holds it (still {@code creating},
 * as Cinder answers 202), an extend once the quota holds the new size; a delete removes the file,
 * then gives the quota back, before the volume is gone. A failed extend gives back what the
 * quota held beyond the volume's size. An upload into an image creates the image, has the storage
 * host copy the file into it, and discards the image if the copy fails; the volume is then as it was.
 */
public final class VolumeEntity
    extends EventSourcedBehaviorWithEnforcedReplies<VolumeEntity.Command, VolumeEntity.Event, VolumeEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Volume");
  public static final String TAG = "volume";
  /** Idle this long with no step in flight, a volume stops (it is remembered only while it has work). */
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);
  /**
   * A create whose storage host has not made its file this long after the request ends in
   * {@code error}: longer than a host's longest copy (an image's conversion, 30 minutes), so only a
   * host that never answers reaches it. The host's late file is an orphan its agent removes.
   */
  public static final Duration CREATE_TIMEOUT = Duration.ofMinutes(40);
  /**
   * An in-use extend whose guest's compute host has not grown its disk this long after the bytes
   * grew ends in {@code error_extending} (a block resize takes milliseconds: only a host that is
   * not up reaches it).
   */
  public static final Duration GUEST_GROW_TIMEOUT = Duration.ofMinutes(10);
  /**
   * A retype's copy to a host of the new backend that has not ended this long after it was first
   * asked fails, and its quota moves back: longer than a host's longest copy (30 minutes), so only a
   * host that never answers reaches it. A copy that ends later is no volume's there, and its agent removes it.
   */
  public static final Duration RETYPE_COPY_TIMEOUT = Duration.ofMinutes(40);

  // ---------------------------------------------------------------- commands

  /** Messages a volume understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the volume ({@link Volume#requested}); answered once its quota is held. */
  public record Create(Volume volume, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** Replaces what is given of name, description and metadata. */
  public record Update(Optional<String> name, Optional<String> description, Optional<Map<String, String>> metadata,
      ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Cinder's os-extend: an available volume, or with {@code whileAttached} (microversion 3.42) one
   * in use, grows to {@code newSize} GB; answered once its quota is held. One in use by a guest of
   * this cloud grows in the running guest too; one a guest reaches over NBD is refused (QEMU's NBD
   * client cannot grow a disk).
   */
  public record Extend(int newSize, boolean whileAttached, ActorRef<StatusReply<Volume>> replyTo) implements Command {
    /** Cinder's before 3.42: available volumes only. */
    public Extend(int newSize, ActorRef<StatusReply<Volume>> replyTo) {
      this(newSize, false, replyTo);
    }
  }

  /** Begins the delete (answered at once, as Cinder's 202); refused unless {@link Volume#deletable}. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Reserves the volume for attachment {@code attachmentId} of server {@code serverId}
   * ({@code attaching}); answered with the volume (its storage host). Idempotent by attachment;
   * refused unless available, and not found for a server of another project.
   */
  public record Reserve(String attachmentId, String serverId, String projectId,
      ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * The server's host has the disk as {@code device}, opened as {@code transport}
   * ({@link VolumeAttachment#transportOf}): the volume is {@code in-use}.
   */
  public record CompleteAttach(String attachmentId, String device, String hostName, Optional<String> transport,
      ActorRef<StatusReply<Done>> replyTo) implements Command {
    public CompleteAttach(String attachmentId, String device, String hostName, ActorRef<StatusReply<Done>> replyTo) {
      this(attachmentId, device, hostName, Optional.empty(), replyTo);
    }
  }

  /** The attachment's server begins to let the disk go ({@code detaching}). */
  public record BeginDetach(String attachmentId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * The attachment is over (undone, detached, or its server deleted): the volume is available
   * again. Answered also when the volume holds no such attachment, so a server can always finish.
   */
  public record Release(String attachmentId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Snapshot {@code snapshotId} of project {@code projectId} depends on the volume from now on
   * (answered with the volume: its storage host). Idempotent by snapshot; refused unless available
   * (or in-use, with {@code force}), and not found for another project's snapshot.
   */
  public record AddSnapshot(String snapshotId, String projectId, boolean force, ActorRef<StatusReply<Volume>> replyTo)
      implements Command {}

  /** The snapshot is gone (or never was made): the volume no longer depends on it. Always answered. */
  public record RemoveSnapshot(String snapshotId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Cinder's os-reserve: an available volume is held ({@code attaching}) for an attach its caller
   * will declare; answered with the volume.
   */
  public record DeclareReservation(String attachmentId, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** Cinder's os-unreserve: a volume reserved through os-reserve is available again; else nothing changes. */
  public record WithdrawReservation(ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Cinder's os-attach: records that server {@code serverId} (or host {@code hostName}) uses the
   * volume at {@code device}, read-only or not; no host of this cloud does anything (whoever
   * declares it connects it). A read-only volume is declared read-only only.
   */
  public record DeclareAttachment(String attachmentId, String serverId, Optional<String> hostName, String device,
      boolean readOnlyMode, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Cinder's os-detach: ends a declared attachment (the one named, or the volume's only one). One
   * the compute API made is refused: only its server may let the disk go.
   */
  public record DeclareDetached(Optional<String> attachmentId, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Cinder's os-reset_status (admins): the volume's status as given (one it can rest in), and with
   * {@code detach} its attachment ended; the steps it was in stop.
   */
  public record ResetStatus(Optional<String> status, boolean detach, ActorRef<StatusReply<Volume>> replyTo)
      implements Command {}

  /** Cinder's os-set_bootable and os-update_readonly_flag: the flags given, the others as they are. */
  public record SetFlags(Optional<Boolean> bootable, Optional<Boolean> readonly, ActorRef<StatusReply<Volume>> replyTo)
      implements Command {}

  /** Cinder's os-force_delete (admins): a delete whatever the status, unless attached or with snapshots. */
  public record ForceDelete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Cinder's os-volume_upload_image: the volume's bytes into {@code image} (queued, of the volume's
   * project), as its disk format; refused unless available (or in-use, with {@code force}).
   * Answered once the upload is recorded ({@code uploading}); idempotent by image.
   */
  public record UploadToImage(Image image, boolean force, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Backup {@code backupId} of project {@code projectId} holds the available or in-use volume while
   * it reads it ({@code backing-up}, attached throughout) or, with {@code restoring}, writes it ({@code restoring-backup}; refused
   * when smaller than {@code minSize} GB). Answered with the volume (its storage host); idempotent
   * by backup. A volume still being created gets no answer yet: the backup's step asks again.
   */
  public record HoldForBackup(String backupId, String projectId, boolean restoring, int minSize,
      ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** The backup's hold is over: the volume is {@code status} ({@code available}, or {@code error_restoring}). Always answered. */
  public record FreeFromBackup(String backupId, String status, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Cinder's attachments API: attachment {@code attachmentId} of {@code serverId} (empty: none
   * named) is created, reserved, or with a connector {@code attaching}; refused unless the volume is
   * available (it is never attached twice). Answered with the volume. Idempotent by attachment.
   */
  public record CreateAttachment(String attachmentId, String serverId, Optional<VolumeAttachment.Connector> connector,
      ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** The attachment's consumer gives its connector: the attachment is {@code attaching}. */
  public record UpdateAttachment(String attachmentId, VolumeAttachment.Connector connector,
      ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** Cinder's os-complete: the consumer has the disk, the volume is {@code in-use}. */
  public record CompleteAttachment(String attachmentId, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /** The attachment is deleted: the volume is available again (one the compute API made is refused). */
  public record DeleteAttachment(String attachmentId, ActorRef<StatusReply<Volume>> replyTo) implements Command {}

  /**
   * Cinder's os-retype: the volume becomes of type {@code toType}, whose {@code volume_backend_name}
   * is {@code toBackend} (empty: any). A type of another backend moves the bytes there, when
   * {@code onDemand} allows it (Cinder's {@code migration_policy}). Answered once the project's quota
   * counts the volume under the new type ({@code retyping}), or with its 413.
   */
  public record Retype(String toType, Optional<String> toBackend, boolean onDemand, ActorRef<StatusReply<Volume>> replyTo)
      implements Command {}

  /** A step's answer. */
  record StepAnswered(StepDriver.Answer answer) implements Command {}

  /** Time to ask again the steps still unanswered. */
  record Tick() implements Command {}

  /** Nothing came for a while: stop unless a step is in flight. */
  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a volume's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record VolumeRequested(Volume volume, Instant at) implements Event {}

  /** The project's quota holds {@code gigabytes} for the volume (more for an extend, less after a failed one). */
  public record QuotaHeld(int gigabytes, Instant at) implements Event {}

  /** The quota refused the volume: it never was. */
  public record VolumeRefused(String reason, Instant at) implements Event {}

  public record StorageCreated(String host, Instant at) implements Event {}

  /** Its storage host could not create, resize or remove the file. */
  public record StorageFailed(String reason, Instant at) implements Event {}

  public record VolumeUpdated(String name, String description, Map<String, String> metadata, Instant at)
      implements Event {}

  public record ExtendRequested(int newSize, Instant at) implements Event {}

  /** The quota refused the extend: the volume is as it was. */
  public record ExtendRefused(String reason, Instant at) implements Event {}

  public record Extended(Instant at) implements Event {}

  /**
   * The storage host grew the bytes of a volume in use by a guest of this cloud: its size is the
   * new one, and the guest's disk grows next (still {@code extending}).
   */
  public record StorageGrown(Instant at) implements Event {}

  public record DeleteRequested(Instant at) implements Event {}

  public record VolumeReserved(String attachmentId, String serverId, Instant at) implements Event {}

  /** {@code transport}: how the host opens the disk (empty in events recorded before it was kept). */
  public record VolumeAttached(String device, String hostName, Optional<String> transport, Instant at) implements Event {
    public VolumeAttached {
      if (transport == null) transport = Optional.empty();
    }
  }

  public record DetachBegun(Instant at) implements Event {}

  /** Its attachment is over: available again. */
  public record VolumeReleased(Instant at) implements Event {}

  public record StorageRemoved(Instant at) implements Event {}

  public record SnapshotAdded(String snapshotId, Instant at) implements Event {}

  public record SnapshotRemoved(String snapshotId, Instant at) implements Event {}

  public record QuotaReleased(Instant at) implements Event {}

  /** Through Cinder's API: reserved (no {@code device}), or in use by {@code serverId} at {@code device}. */
  public record AttachmentDeclared(String attachmentId, String serverId, Optional<String> hostName,
      Optional<String> device, Instant at) implements Event {}

  /** Through Cinder's attachments API: the volume is {@code reserved} (no connector) or {@code attaching}. */
  public record AttachmentCreated(VolumeAttachment attachment, Instant at) implements Event {}

  /** The attachment's consumer gave its connector. */
  public record AttachmentConnected(VolumeAttachment.Connector connector, Instant at) implements Event {}

  /** The attachment's consumer has the disk: {@code in-use}. */
  public record AttachmentCompleted(Instant at) implements Event {}

  public record FlagsSet(boolean bootable, Optional<Boolean> readonly, Instant at) implements Event {}

  /** An admin set the status; {@code detached}: its attachment is over. */
  public record StatusReset(String status, boolean detached, Instant at) implements Event {}

  /** An upload into {@code image} began: the volume is {@code uploading}. */
  public record UploadRequested(Image image, Instant at) implements Event {}

  /** The upload's image exists (queued). */
  public record UploadImageCreated(Instant at) implements Event {}

  /** The copy failed: its image is discarded before the upload ends. */
  public record UploadFailed(String reason, Instant at) implements Event {}

  /** The upload is over (its image active, or discarded): the volume is as it was before. */
  public record UploadEnded(Instant at) implements Event {}

  /** An admin deletes it whatever its status was. */
  public record ForceDeleteRequested(Instant at) implements Event {}

  /** A backup holds it as {@code status} ({@code backing-up} or {@code restoring-backup}). */
  public record BackupHoldTaken(String backupId, String status, Instant at) implements Event {}

  /** The backup's hold is over: the volume is {@code status}. */
  public record BackupHoldEnded(String backupId, String status, Instant at) implements Event {}

  /** A retype began: the volume is {@code retyping}; {@code migrate}: its bytes move to a host of {@code toBackend}. */
  public record RetypeRequested(String toType, Optional<String> toBackend, boolean migrate, Instant at) implements Event {}

  /** The quota refused the new type (413): the volume is as it was. */
  public record RetypeRefused(String reason, Instant at) implements Event {}

  /** The project's quota counts the volume under its new type. */
  public record RetypeQuotaMoved(Instant at) implements Event {}

  /** Without a migration: the volume is of its new type, and as it was before otherwise. */
  public record Retyped(Instant at) implements Event {}

  /**
   * Storage host {@code host} of the new backend holds a whole copy of the bytes: the volume is of
   * its new type there (the old storage still to remove, unless it is the same host).
   */
  public record MigrationSwitched(String host, Instant at) implements Event {}

  /**
   * The copy failed: the quota moves back before the retype ends. The new host removed what it
   * began; a whole copy whose answer was lost is no volume's there, and its agent removes it.
   */
  public record RetypeFailed(String reason, Instant at) implements Event {}

  /** The retype is over: the volume is back in the status it had (with its new type, or its old one after a failure). */
  public record RetypeEnded(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A volume's phases; all but {@link NoVolume} hold the volume. */
  public sealed interface State extends CborSerializable {}

  public record NoVolume() implements State {}

  /** Phases with a volume. */
  public sealed interface Existing extends State {
    Volume volume();
  }

  /** Creating, extending, uploading or deleting: a step is under way. */
  public record Busy(Volume volume) implements Existing {}

  /** Available, or in an error status: at rest until asked. */
  public record Resting(Volume volume) implements Existing {}

  public record Gone(Volume volume) implements Existing {}

  // ---------------------------------------------------------------- behavior

  /**
   * {@code shard}: where to ask to be passivated once idle; without it a remembered volume would
   * stay in memory for good.
   */
  public static Behavior<Command> create(String volumeId, VolumeClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new VolumeEntity(volumeId, claims, clock, context,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new), shard);
    }));
  }

  private final String volumeId;
  private final VolumeClaims claims;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final StepDriver<Command> steps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting for a create's or an extend's quota (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Volume>>> waiting = new ArrayList<>();
  /** Clients waiting for a retype's quota (in memory, as {@link #waiting}). */
  private final List<ActorRef<StatusReply<Volume>>> retypeWaiting = new ArrayList<>();

  private VolumeEntity(String volumeId, VolumeClaims claims, Clock clock, ActorContext<Command> context,
      StepDriver<Command> steps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), volumeId), Entities.JOURNAL_BACKOFF);
    this.volumeId = volumeId;
    this.claims = claims;
    this.clock = clock;
    this.context = context;
    this.steps = steps;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return new NoVolume();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoVolume.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.volume().id().equals(volumeId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("volume id does not match its entity"));
          }
          waiting.add(c.replyTo());
          return persist(new VolumeRequested(c.volume(), now()));
        });
    existing(b);
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> createTimedOut(s)
            ? persist(new StorageFailed("No storage host made the volume within " + CREATE_TIMEOUT.toMinutes()
                + " minutes.", now()))
            : guestGrowTimedOut(s) ? persist(new StorageFailed("The compute host did not grow the guest's disk within "
                + GUEST_GROW_TIMEOUT.toMinutes() + " minutes; the volume's bytes are grown, and its guest sees them once"
                + " its server starts again.", now()))
            : retypeCopyTimedOut(s) ? persist(new RetypeFailed("No storage host of backend "
                + volumeOf(s).retype().flatMap(VolumeRetype::toBackend).orElse("") + " copied the volume within "
                + RETYPE_COPY_TIMEOUT.toMinutes() + " minutes.", now()))
            : Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!busy(s) && waiting.isEmpty()) shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          return Effect().noReply();
        })
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Volume " + volumeId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Extend.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(UploadToImage.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Retype.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Reserve.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(CompleteAttach.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddSnapshot.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclareReservation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(WithdrawReservation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclareAttachment.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclareDetached.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(CreateAttachment.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(UpdateAttachment.class, (s, c) -> Effect().reply(c.replyTo(), AttachmentsApi.notFound(c.attachmentId())))
        .onCommand(CompleteAttachment.class, (s, c) -> Effect().reply(c.replyTo(),
            AttachmentsApi.notFound(c.attachmentId())))
        .onCommand(DeleteAttachment.class, (s, c) -> Effect().reply(c.replyTo(), AttachmentsApi.notFound(c.attachmentId())))
        .onCommand(ResetStatus.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ForceDelete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(SetFlags.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveSnapshot.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(HoldForBackup.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(FreeFromBackup.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        // nothing here to let go: the server's detach or delete may finish
        .onCommand(BeginDetach.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    return b.build();
  }

  private void existing(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Busy.class)
        .onCommand(Create.class, (s, c) -> {
          // the same create again (a retried request) waits for the same answer
          if (s.volume().status().equals(Volume.CREATING) && s.volume().quotaHeld() == 0
              && s.volume().projectId().equals(c.volume().projectId())) {
            waiting.add(c.replyTo());
            return Effect().noReply();
          }
          return Effect().reply(c.replyTo(), Rejection.conflict("Volume " + volumeId + " already exists."));
        });
    b.forStateType(Resting.class)
        .onCommand(Reserve.class, this::reserve)
        .onCommand(CompleteAttach.class, (s, c) -> {
          Volume v = s.volume();
          if (v.heldBy(c.attachmentId()) && v.status().equals(Volume.ATTACHING)) {
            return Effect().persist(new VolumeAttached(c.device(), c.hostName(), c.transport(), now()))
                .thenReply(c.replyTo(), n -> StatusReply.ack());
          }
          return v.heldBy(c.attachmentId()) && v.status().equals(Volume.IN_USE)
              ? Effect().reply(c.replyTo(), StatusReply.ack())
              : Effect().reply(c.replyTo(), Rejection.conflict("Volume " + volumeId + " is not reserved for attachment "
                  + c.attachmentId() + "."));
        })
        .onCommand(BeginDetach.class, (s, c) -> s.volume().heldBy(c.attachmentId())
            && s.volume().status().equals(Volume.IN_USE)
            ? Effect().persist(new DetachBegun(now())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), keepsItsAttachment(s.volume(), c.attachmentId()) ? notWhileBusy(s.volume())
                : StatusReply.ack()))
        .onCommand(Release.class, (s, c) -> keepsItsAttachment(s.volume(), c.attachmentId())
            ? Effect().reply(c.replyTo(), notWhileBusy(s.volume()))
            : s.volume().heldBy(c.attachmentId())
            ? Effect().persist(new VolumeReleased(now())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()));
    CinderDeclarations declarations = new CinderDeclarations();
    b.forStateType(Resting.class)
        .onCommand(DeclareReservation.class, declarations::reserve)
        .onCommand(WithdrawReservation.class, declarations::unreserve)
        .onCommand(DeclareAttachment.class, declarations::attach)
        .onCommand(DeclareDetached.class, declarations::detach);
    b.forStateType(Busy.class)
        .onCommand(DeclareReservation.class, (s, c) -> Effect().reply(c.replyTo(), notReservable(s.volume())))
        .onCommand(WithdrawReservation.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.volume())))
        .onCommand(DeclareAttachment.class, (s, c) -> Effect().reply(c.replyTo(), notReservable(s.volume())))
        .onCommand(DeclareDetached.class, (s, c) -> Effect().reply(c.replyTo(), notDetachable()));
    AttachmentsApi attachments = new AttachmentsApi();
    for (Class<? extends Existing> live : List.of(Busy.class, Resting.class)) {
      b.forStateType(live)
          .onCommand(CreateAttachment.class, attachments::create)
          .onCommand(UpdateAttachment.class, attachments::update)
          .onCommand(CompleteAttachment.class, attachments::complete)
          .onCommand(DeleteAttachment.class, attachments::delete);
    }
    b.forStateType(Busy.class)
        .onCommand(Reserve.class, this::reserve)
        .onCommand(CompleteAttach.class, (s, c) -> Effect().reply(c.replyTo(), Rejection.conflict("Volume "
            + volumeId + " is not reserved for attachment " + c.attachmentId() + ".")))
        // the guest's disk is grown while extending: its server lets it go once that is over (it asks again)
        .onCommand(BeginDetach.class, (s, c) -> Effect().reply(c.replyTo(), keepsItsAttachment(s.volume(), c.attachmentId())
            ? notWhileBusy(s.volume()) : StatusReply.ack()))
        // a server may let go of a volume it is uploading with force: the copy goes on
        .onCommand(Release.class, (s, c) -> s.volume().heldBy(c.attachmentId())
            && s.volume().status().equals(Volume.UPLOADING)
            ? Effect().persist(new VolumeReleased(now())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), keepsItsAttachment(s.volume(), c.attachmentId()) ? notWhileBusy(s.volume())
                : StatusReply.ack()));
    for (Class<? extends Existing> live : List.of(Busy.class, Resting.class)) {
      b.forStateType(live)
          .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.volume())))
          .onCommand(Update.class, (s, c) -> {
            Volume v = s.volume();
            return Effect().persist(new VolumeUpdated(c.name().orElse(v.name()), c.description().orElse(v.description()),
                c.metadata().orElse(v.metadata()), now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
          })
          .onCommand(Extend.class, (s, c) -> extend(s.volume(), c))
          .onCommand(ResetStatus.class, (s, c) -> resetStatus(s.volume(), c))
          .onCommand(SetFlags.class, (s, c) -> {
            Volume v = s.volume();
            if (c.readonly().isPresent() && !v.status().equals(Volume.AVAILABLE)) {
              return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be"
                  + " available to update readonly flag, but current status is: " + v.status() + "."));
            }
            return Effect().persist(new FlagsSet(c.bootable().orElse(v.bootable()), c.readonly().or(v::readonly), now()))
                .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
          })
          .onCommand(ForceDelete.class, (s, c) -> forceDelete(s.volume(), c))
          .onCommand(AddSnapshot.class, (s, c) -> addSnapshot(s.volume(), c))
          .onCommand(UploadToImage.class, (s, c) -> upload(s.volume(), c))
          .onCommand(Retype.class, (s, c) -> retype(s.volume(), c))
          .onCommand(HoldForBackup.class, (s, c) -> holdForBackup(s.volume(), c))
          .onCommand(FreeFromBackup.class, (s, c) -> s.volume().snapshots().contains(c.backupId())
              ? Effect().persist(new BackupHoldEnded(c.backupId(), c.status(), now())).thenReply(c.replyTo(), n -> StatusReply.ack())
              : Effect().reply(c.replyTo(), StatusReply.ack()))
          .onCommand(RemoveSnapshot.class, (s, c) -> s.volume().snapshots().contains(c.snapshotId())
              ? Effect().persist(new SnapshotRemoved(c.snapshotId(), now())).thenReply(c.replyTo(), n -> StatusReply.ack())
              : Effect().reply(c.replyTo(), StatusReply.ack()))
          .onCommand(Delete.class, (s, c) -> s.volume().deletable()
              ? Effect().persist(new DeleteRequested(now())).thenRun(this::drive).thenReply(c.replyTo(), n -> StatusReply.ack())
              : Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume status must be available or error"
                  + " or error_restoring or error_extending or error_managing and must not be migrating, attached,"
                  + " belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after"
                  + " volume transfer.")));
    }
  }

  /** The volume is the single writer of who holds it: one attachment at a time, of its own project's servers. */
  private ReplyEffect<Event, State> reserve(Existing s, Reserve c) {
    Volume v = s.volume();
    if (!v.projectId().equals(c.projectId())) return Effect().reply(c.replyTo(), notFound());
    if (v.heldBy(c.attachmentId())) return Effect().reply(c.replyTo(), StatusReply.success(v));
    if (v.attachedReadOnlyOnly()) {
      // Nova would attach it read-only; this cloud's hosts attach read-write only, so it is not attached at all
      return Effect().reply(c.replyTo(), Rejection.conflict("Volume " + volumeId + " is read-only, and volumes are"
          + " attached read-write only: clear its read-only flag (os-update_readonly_flag) to attach it."));
    }
    if (!v.status().equals(Volume.AVAILABLE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId
          + " status must be available to reserve, but the status is " + v.status() + "."));
    }
    return Effect().persist(new VolumeReserved(c.attachmentId(), c.serverId(), now()))
        .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
  }

  /**
   * What Cinder's volume actions declare, with no host involved: reservations and attachments
   * made by whoever connects the disk themselves. The compute API's attachments are the server's.
   */
  private final class CinderDeclarations {
    ReplyEffect<Event, State> reserve(Resting s, DeclareReservation c) {
      Volume v = s.volume();
      if (!v.status().equals(Volume.AVAILABLE)) return Effect().reply(c.replyTo(), notReservable(v));
      return Effect().persist(new AttachmentDeclared(c.attachmentId(), "", Optional.empty(), Optional.empty(), now()))
          .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    ReplyEffect<Event, State> unreserve(Resting s, WithdrawReservation c) {
      Volume v = s.volume();
      boolean declaredReservation = v.status().equals(Volume.ATTACHING)
          && v.attachment().filter(a -> a.declared() && a.device().isEmpty()).isPresent();
      // as Cinder: a volume not reserved is left as it is
      return declaredReservation
          ? Effect().persist(new VolumeReleased(now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)))
          : Effect().reply(c.replyTo(), StatusReply.success(v));
    }

    ReplyEffect<Event, State> attach(Resting s, DeclareAttachment c) {
      Volume v = s.volume();
      boolean free = v.status().equals(Volume.AVAILABLE) || v.status().equals(Volume.ATTACHING)
          && v.attachment().filter(a -> a.declared() && a.device().isEmpty()).isPresent();
      if (!free) return Effect().reply(c.replyTo(), notReservable(v));
      if (v.attachedReadOnlyOnly() && !c.readOnlyMode()) {
        return Effect().reply(c.replyTo(), Rejection.invalid("Invalid attaching mode 'rw' for volume " + volumeId + "."));
      }
      return Effect().persist(new AttachmentDeclared(c.attachmentId(), c.serverId(), c.hostName(), Optional.of(c.device()),
          now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    ReplyEffect<Event, State> detach(Resting s, DeclareDetached c) {
      Volume v = s.volume();
      Optional<VolumeAttachment> held = v.attachment().filter(a -> a.attachedAt().isPresent());
      // Cinder detaches an available volume with nothing attached as a no-op (after an admin's force detach)
      if (v.attachment().isEmpty() && v.status().equals(Volume.AVAILABLE)) {
        return Effect().reply(c.replyTo(), StatusReply.success(v));
      }
      if (held.isEmpty() || !v.status().equals(Volume.IN_USE) && !v.status().equals(Volume.DETACHING)) {
        return Effect().reply(c.replyTo(), notDetachable());
      }
      VolumeAttachment a = held.get();
      if (c.attachmentId().isPresent() && !c.attachmentId().get().equals(a.id())) {
        return Effect().reply(c.replyTo(), Rejection.invalid("Error detaching volume - VolumeAttachmentNotFound: Volume"
            + " attachment could not be found with filter: attachment_id = " + c.attachmentId().get() + "."));
      }
      if (!a.declared()) {
        return Effect().reply(c.replyTo(), Rejection.conflict("Detach volume from instance " + a.serverId()
            + " using the Compute API"));
      }
      return Effect().persist(new VolumeReleased(now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }
  }

  /**
   * Cinder's attachments API, as a record only: whoever creates the attachment connects the disk
   * themselves (Cinder does not call Nova). A volume holds one attachment at a time, whichever API
   * made it, so it is never attached twice; one the compute API made only its server ends.
   */
  private final class AttachmentsApi {
    ReplyEffect<Event, State> create(Existing s, CreateAttachment c) {
      Volume v = s.volume();
      if (v.heldBy(c.attachmentId())) return Effect().reply(c.replyTo(), StatusReply.success(v));
      if (v.status().contains("error")) {
        return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume attachments can not be created if"
            + " the volume is in an error state. The Volume " + volumeId + " currently has a status of: " + v.status()
            + " "));
      }
      if (!v.status().equals(Volume.AVAILABLE)) {
        return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be"
            + " available or downloading to reserve, but the current status is " + v.status() + "."));
      }
      // as Cinder: a read-only volume's attachments are read-only; else the mode comes with the connector
      String mode = v.attachedReadOnlyOnly() ? "ro" : "null";
      Instant at = now();
      return Effect().persist(new AttachmentCreated(VolumeAttachment.created(c.attachmentId(), c.serverId(), mode,
          c.connector(), at), at)).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    ReplyEffect<Event, State> update(Existing s, UpdateAttachment c) {
      Optional<StatusReply<Volume>> refused = refused(s, c.attachmentId());
      if (refused.isPresent()) return Effect().reply(c.replyTo(), refused.get());
      if (s.volume().status().contains("error")) {
        return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume attachments can not be updated if"
            + " the volume is in an error state. The Volume " + volumeId + " currently has a status of: "
            + s.volume().status() + " "));
      }
      return Effect().persist(new AttachmentConnected(c.connector(), now()))
          .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    ReplyEffect<Event, State> complete(Existing s, CompleteAttachment c) {
      Optional<StatusReply<Volume>> refused = refused(s, c.attachmentId());
      if (refused.isPresent()) return Effect().reply(c.replyTo(), refused.get());
      return s.volume().status().equals(Volume.IN_USE) ? Effect().reply(c.replyTo(), StatusReply.success(s.volume()))
          : Effect().persist(new AttachmentCompleted(now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    ReplyEffect<Event, State> delete(Existing s, DeleteAttachment c) {
      Optional<StatusReply<Volume>> refused = refused(s, c.attachmentId());
      if (refused.isPresent()) return Effect().reply(c.replyTo(), refused.get());
      return Effect().persist(new VolumeReleased(now())).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
    }

    /** Why the attachment may not be changed through this API: not the volume's, the compute API's, or the volume busy. */
    private Optional<StatusReply<Volume>> refused(Existing s, String attachmentId) {
      Volume v = s.volume();
      if (!v.heldBy(attachmentId)) return Optional.of(notFound(attachmentId));
      VolumeAttachment a = v.attachment().get();
      if (!a.declared()) {
        return Optional.of(Rejection.conflict("Detach volume from instance " + a.serverId() + " using the Compute API"));
      }
      if (s instanceof Busy) {
        return Optional.of(Rejection.invalid("Invalid volume: Volume " + volumeId + " is " + v.status()
            + "; try again once it is over."));
      }
      return Optional.empty();
    }

    static <T> StatusReply<T> notFound(String attachmentId) {
      return Rejection.notFound("Volume attachment could not be found with filter: attachment_id = " + attachmentId + ".");
    }
  }

  private <T> StatusReply<T> notReservable(Volume v) {
    return Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be available to reserve, but the"
        + " status is " + v.status() + ".");
  }

  private static <T> StatusReply<T> notDetachable() {
    return Rejection.invalid("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status"
        + " must be 'attached' to detach.");
  }

  /**
   * The statuses an admin may set: those a volume rests in, with nothing left for a step to do
   * (Cinder's {@code maintenance} is one: nothing but a forced delete or another reset takes it out).
   */
  static final Set<String> RESETTABLE = Set.of(Volume.AVAILABLE, Volume.ERROR, Volume.ERROR_EXTENDING, Volume.IN_USE,
      Volume.MAINTENANCE);

  private ReplyEffect<Event, State> resetStatus(Volume v, ResetStatus c) {
    String status = c.status().orElse(v.status());
    if (!RESETTABLE.contains(status) && c.status().isPresent() || v.status().equals(Volume.DELETING)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Cannot reset-state to " + status + "."));
    }
    // a create's quota is the one thing not yet held that a reset cannot settle: let that step end first
    if (v.status().equals(Volume.CREATING) && v.quotaHeld() == 0) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId
          + " is still waiting for its quota; try again."));
    }
    boolean attached = v.attachment().filter(a -> a.attachedAt().isPresent()).isPresent() && !c.detach();
    if (status.equals(Volume.IN_USE) && !attached) {
      return Effect().reply(c.replyTo(), Rejection.invalid(
          "Cannot reset-state to in-use because volume does not have any attachments."));
    }
    return Effect().persist(new StatusReset(status, c.detach(), now())).thenRun(n -> {
      // a retype the reset interrupted before its quota answered is over for whoever asked it
      retypeWaiting.forEach(to -> to.tell(Rejection.invalid("Invalid volume: Volume " + volumeId
          + "'s status was reset during its retype.")));
      retypeWaiting.clear();
      drive(n);
    }).thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
  }

  private ReplyEffect<Event, State> forceDelete(Volume v, ForceDelete c) {
    if (v.status().equals(Volume.DELETING)) return Effect().reply(c.replyTo(), StatusReply.ack());
    if (v.attachment().isPresent() || !v.snapshots().isEmpty()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume must not be attached or reserved,"
          + " nor have snapshots, to be deleted."));
    }
    if (v.status().equals(Volume.CREATING) && v.quotaHeld() == 0) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId
          + " is still waiting for its quota; try again."));
    }
    return Effect().persist(new ForceDeleteRequested(now())).thenRun(this::drive)
        .thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  /** Cinder snapshots an available volume, or with {@code force} one in use. */
  private ReplyEffect<Event, State> addSnapshot(Volume v, AddSnapshot c) {
    if (!v.projectId().equals(c.projectId())) return Effect().reply(c.replyTo(), notFound());
    if (v.snapshots().contains(c.snapshotId())) return Effect().reply(c.replyTo(), StatusReply.success(v));
    boolean usable = v.status().equals(Volume.AVAILABLE) || c.force() && v.status().equals(Volume.IN_USE);
    if (!usable) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be "
          + (c.force() ? "available, in-use" : "available") + ", but current status is: " + v.status() + "."));
    }
    return Effect().persist(new SnapshotAdded(c.snapshotId(), now()))
        .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
  }

  /**
   * Cinder backs up available volumes, and in-use ones (with {@code force}, which its API checks),
   * and restores into available ones only; a backup's hold keeps deletes, attaches and detaches away.
   */
  private ReplyEffect<Event, State> holdForBackup(Volume v, HoldForBackup c) {
    if (!v.projectId().equals(c.projectId())) return Effect().reply(c.replyTo(), notFound());
    if (v.snapshots().contains(c.backupId())) return Effect().reply(c.replyTo(), StatusReply.success(v));
    if (v.status().equals(Volume.CREATING)) return Effect().noReply();
    // an attached volume is backed up where it is, attached throughout (the API asks for force first)
    boolean usable = v.status().equals(Volume.AVAILABLE) || !c.restoring() && v.status().equals(Volume.IN_USE);
    if (!usable) {
      return Effect().reply(c.replyTo(), Rejection.invalid(c.restoring()
          ? "Invalid volume: Volume to be restored to must be available"
          : "Invalid volume: Volume to be backed up must be available or in-use, but the current status is \""
              + v.status() + "\"."));
    }
    if (c.restoring() && v.size() < c.minSize()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: volume size " + v.size()
          + " is too small to restore backup of size " + c.minSize() + "."));
    }
    String status = c.restoring() ? Volume.RESTORING_BACKUP : Volume.BACKING_UP;
    return Effect().persist(new BackupHoldTaken(c.backupId(), status, now()))
        .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
  }

  /** Cinder uploads an available volume, or with {@code force} one in use. */
  private ReplyEffect<Event, State> upload(Volume v, UploadToImage c) {
    if (v.upload().filter(u -> u.imageId().equals(c.image().id())).isPresent()) {
      return Effect().reply(c.replyTo(), StatusReply.success(v));
    }
    boolean usable = v.status().equals(Volume.AVAILABLE) || c.force() && v.status().equals(Volume.IN_USE);
    if (!usable) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be "
          + (c.force() ? "available or in-use" : "available") + "."));
    }
    return Effect().persist(new UploadRequested(c.image(), now())).thenRun(this::drive)
        .thenReply(c.replyTo(), n -> StatusReply.success(volumeOf(n)));
  }

  /**
   * Cinder's retype checks: an available or in-use volume, to another type; a move to another
   * backend only with {@code on-demand}, of an available volume (an attached one would need the
   * compute service's swap volume, not built) without snapshots (as Cinder's migration).
   */
  private ReplyEffect<Event, State> retype(Volume v, Retype c) {
    if (v.status().equals(Volume.RETYPING) && v.retype().filter(r -> r.toType().equals(c.toType())).isPresent()) {
      retypeWaiting.add(c.replyTo());
      return Effect().noReply();
    }
    if (retypeToUndo(v)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + "'s last retype,"
          + " interrupted by a reset of its status, is still being undone; try again."));
    }
    if (!v.status().equals(Volume.AVAILABLE) && !v.status().equals(Volume.IN_USE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId
          + " status must be available or in-use, but current status is: " + v.status() + "."));
    }
    if (v.volumeType().equals(c.toType())) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid input received: New volume_type same as original: "
          + c.toType() + "."));
    }
    boolean migrate = c.toBackend().isPresent() && !c.toBackend().equals(v.backend());
    if (migrate && !c.onDemand()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Retype requires migration but is not"
          + " allowed (migration_policy is never): volume type " + c.toType() + " is of backend "
          + c.toBackend().get() + "."));
    }
    if (migrate && !v.status().equals(Volume.AVAILABLE)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " is in-use, and"
          + " retyping it to another backend would move its bytes under its server (Nova's swap volume is not built"
          + " in this cloud): detach it first."));
    }
    if (migrate && !v.snapshots().isEmpty()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume must not have snapshots."));
    }
    retypeWaiting.add(c.replyTo());
    return persist(new RetypeRequested(c.toType(), c.toBackend(), migrate, now()));
  }

  private ReplyEffect<Event, State> extend(Volume v, Extend c) {
    boolean inUse = v.status().equals(Volume.IN_USE);
    if (!v.status().equals(Volume.AVAILABLE) && !(inUse && c.whileAttached())) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume: Volume " + volumeId + " status must be "
          + (c.whileAttached() ? "available or in-use" : "available") + " to extend, but current status is: "
          + v.status() + "."));
    }
    if (c.newSize() <= v.size()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid input received: New size for extend must be greater"
          + " than current size. (current: " + v.size() + ", extended: " + c.newSize() + ")."));
    }
    Optional<String> why = inUse ? notGrowableInGuest(v) : Optional.empty();
    if (why.isPresent()) return Effect().reply(c.replyTo(), Rejection.invalid(why.get()));
    waiting.add(c.replyTo());
    return persist(new ExtendRequested(c.newSize(), now()));
  }

  /**
   * Why the guest that has the volume could not see it grow, refused before anything changes: QEMU's
   * NBD client cannot grow a disk ("Cannot grow NBD nodes"; ARCHITECTURE.md, "Volumes"), and an
   * attachment recorded before its transport was kept says not how its host opens it, unless that
   * host is the storage host itself (its file).
   */
  private Optional<String> notGrowableInGuest(Volume v) {
    VolumeAttachment a = v.attachment().orElseThrow();
    if (a.declared()) return Optional.empty(); // its consumer, not this cloud, opens the disk
    String host = a.hostName().orElse("");
    String transport = a.transport().orElse(host.equals(v.host().orElse(null)) ? VolumeAttachment.FILE : "");
    if (transport.equals(VolumeAttachment.NBD)) {
      return Optional.of("Invalid volume: Volume " + volumeId + " is attached to server " + a.serverId()
          + " over NBD (served by its storage host " + v.host().orElse("") + " to compute host " + host + "), and QEMU's"
          + " NBD client cannot grow a disk while its guest runs (Cannot grow NBD nodes). Detach the volume to extend it.");
    }
    if (transport.isEmpty()) {
      return Optional.of("Invalid volume: Volume " + volumeId + " was attached to server " + a.serverId()
          + " before its attachments recorded how their host opens them; detach and attach it again to extend it"
          + " while in use.");
    }
    return Optional.empty();
  }

  /**
   * Whether attachment {@code attachmentId} holds the volume through work that needs it attached:
   * an extend (its guest's disk grows), a retype, a backup of it in use. Its server lets it go once
   * that is over (its step asks again).
   */
  private static boolean keepsItsAttachment(Volume v, String attachmentId) {
    return v.heldBy(attachmentId) && (v.status().equals(Volume.EXTENDING) || v.status().equals(Volume.RETYPING)
        || v.status().equals(Volume.BACKING_UP));
  }

  private <T> StatusReply<T> notWhileBusy(Volume v) {
    return Rejection.invalid("Invalid volume: Volume " + volumeId + " is " + v.status()
        + "; it can be detached once that is over.");
  }

  /** Whether an extend grows the disk of a guest of this cloud too, once the bytes are grown. */
  private static boolean growsInGuest(Volume v) {
    return v.attachment().filter(a -> !a.declared() && a.attachedAt().isPresent() && a.hostName().isPresent()
        && a.device().isPresent()).isPresent();
  }

  // ---------------------------------------------------------------- steps

  private static boolean busy(State state) {
    return state instanceof Busy
        || state instanceof Existing e && (quotaToSettle(e.volume()) || e.volume().quotaToReturn()
        || retypeToUndo(e.volume()));
  }

  /** A retype an admin's reset interrupted, whose quota is still to move back to the old type. */
  private static boolean retypeToUndo(Volume v) {
    return !v.status().equals(Volume.DELETED) && v.retype().filter(VolumeRetype::undoing).isPresent();
  }

  /** A volume at rest whose quota holds other than its size (after a failed extend) gives the rest back. */
  private static boolean quotaToSettle(Volume v) {
    return !v.status().equals(Volume.DELETED) && v.quotaHeld() > 0 && v.quotaHeld() != v.quotaWanted()
        && !v.status().equals(Volume.DELETING) && !v.quotaToReturn();
  }

  /** Asks whatever step the volume is in; the retry timer runs exactly while one is in flight. */
  private void drive(State state) {
    if (state instanceof Existing e) {
      Volume v = e.volume();
      String project = v.projectId();
      switch (v.status()) {
        case Volume.CREATING -> {
          if (v.quotaHeld() == 0) {
            steps.ask("quota:" + v.size(), () -> claims.reserve(project, volumeId, v.volumeType(), v.size()));
          } else {
            steps.ask("create", () -> v.snapshotId().isPresent()
                ? claims.createStorageFrom(v.host().orElseThrow(), volumeId, v.snapshotId().get(), v.size())
                : v.sourceVolid().isPresent()
                ? claims.cloneStorage(v.host().orElseThrow(), volumeId, v.sourceVolid().get(), v.size())
                : v.image().isPresent() ? claims.createStorageFromImage(volumeId, v.image().get(), v.backend(), v.size())
                : claims.createStorage(volumeId, v.backend(), v.size()));
          }
        }
        case Volume.EXTENDING -> {
          if (v.quotaHeld() < v.targetSize()) {
            steps.ask("quota:" + v.targetSize(), () -> claims.reserve(project, volumeId, v.volumeType(), v.targetSize()));
          } else if (v.size() < v.targetSize()) {
            steps.ask("resize", () -> claims.resizeStorage(v.host().orElseThrow(), volumeId, v.targetSize()));
          } else {
            VolumeAttachment a = v.attachment().orElseThrow();
            steps.ask("grow-disk", () -> claims.growAttachedDisk(a.hostName().orElseThrow(), a.serverId(), volumeId,
                a.device().orElseThrow(), v.targetSize()));
          }
        }
        case Volume.UPLOADING -> v.upload().ifPresent(u -> driveUpload(v, u));
        case Volume.RETYPING -> v.retype().ifPresent(r -> driveRetype(v, r));
        case Volume.DELETING -> {
          if (v.stored()) {
            steps.ask("remove", () -> claims.removeStorage(v.host().orElseThrow(), volumeId));
          } else if (v.quotaHeld() > 0) {
            steps.ask("release", () -> claims.release(project, volumeId));
          }
        }
        default -> {
          if (retypeToUndo(v)) {
            steps.ask("retype:quota-back", () -> claims.countAgainAs(project, volumeId, v.retype().get().fromType()));
          }
          if (v.quotaToReturn()) steps.ask("release", () -> claims.release(project, volumeId));
          else if (quotaToSettle(v)) steps.ask("quota:" + v.size(), () -> claims.reserve(project, volumeId, v.volumeType(), v.size()));
        }
      }
    }
    steps.keepTicking(busy(state));
  }

  /** Its image made, then the host's copy into it; a failed copy's image is discarded before the upload ends. */
  private void driveUpload(Volume v, VolumeUpload u) {
    if (u.failure().isPresent()) {
      steps.ask("discard", () -> claims.discardImage(u.imageId()));
    } else if (!u.imageCreated()) {
      steps.ask("image", () -> claims.createImage(u.image()));
    } else {
      steps.ask("upload", () -> claims.uploadToImage(v.host().orElseThrow(), volumeId, u.imageId(), u.image().diskFormat()));
    }
  }

  /**
   * The quota moved to the new type, then with a migration: a host of the new backend makes the
   * volume's storage as a raw copy of its bytes, the volume switches to it, the old storage is
   * removed. A failed copy moves the quota back.
   */
  private void driveRetype(Volume v, VolumeRetype r) {
    String project = v.projectId();
    if (r.failure().isPresent()) {
      steps.ask("retype:quota-back", () -> claims.countAgainAs(project, volumeId, r.fromType()));
    } else if (!r.quotaMoved()) {
      steps.ask("retype:quota", () -> claims.reserve(project, volumeId, r.toType(), v.size()));
    } else if (!r.switched()) {
      steps.ask("retype:copy", () -> claims.migrateStorage(r.fromHost().orElseThrow(), volumeId, r.toBackend(), v.size()));
    } else {
      steps.ask("retype:drop", () -> claims.removeStorage(r.fromHost().orElseThrow(), volumeId));
    }
  }

  private ReplyEffect<Event, State> retypeAnswered(Volume v, VolumeRetype r, StepDriver.Answer a) {
    Instant at = now();
    switch (a.step()) {
      case "retype:quota" -> {
        if (r.quotaMoved() || r.failure().isPresent()) break;
        if (!a.accepted()) {
          Rejection why = a.refusal().get();
          return Effect().persist(new RetypeRefused(why.message(), at)).thenRun(next -> {
            retypeWaiting.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
            retypeWaiting.clear();
            drive(next);
          }).thenNoReply();
        }
        Event moved = r.migrate() ? new RetypeQuotaMoved(at) : new Retyped(at);
        return Effect().persist(moved).thenRun(next -> {
          retypeWaiting.forEach(to -> to.tell(StatusReply.success(volumeOf(next))));
          retypeWaiting.clear();
          drive(next);
        }).thenNoReply();
      }
      case "retype:copy" -> {
        if (r.switched() || r.failure().isPresent()) break;
        if (!a.accepted()) return persist(new RetypeFailed(a.refusal().get().message(), at));
        String host = a.valueAs(String.class);
        // the host that holds the bytes serves the new backend too: nothing moved, nothing to remove
        return host.equals(r.fromHost().orElse(null))
            ? persistAll(List.of(new MigrationSwitched(host, at), new RetypeEnded(at)))
            : persist(new MigrationSwitched(host, at));
      }
      case "retype:drop" -> {
        // the old storage stays only if its host refuses for good; its agent's reconciliation removes it then
        if (r.switched() && r.failure().isEmpty()) return persist(new RetypeEnded(at));
      }
      case "retype:quota-back" -> {
        if (r.failure().isPresent() && a.accepted()) return persist(new RetypeEnded(at));
      }
      default -> {
      }
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> persistAll(List<Event> events) {
    return Effect().persist(events).thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    Volume v = e.volume();
    String step = a.step();
    if (step.startsWith("retype:")) {
      return (v.status().equals(Volume.RETYPING) || retypeToUndo(v)) && v.retype().isPresent()
          ? retypeAnswered(v, v.retype().get(), a)
          : Effect().none().thenRun(this::drive).thenNoReply();
    }
    if (step.startsWith("quota:")) {
      int gigabytes = Integer.parseInt(step.substring("quota:".length()));
      if (a.accepted()) {
        return gigabytes == v.quotaHeld() ? Effect().none().thenRun(this::drive).thenNoReply()
            : persist(new QuotaHeld(gigabytes, now()));
      }
      if (v.status().equals(Volume.CREATING) && v.quotaHeld() == 0) {
        return refuse(new VolumeRefused(a.refusal().get().message(), now()), a.refusal().get());
      }
      if (v.status().equals(Volume.EXTENDING) && gigabytes == v.targetSize()) {
        return refuse(new ExtendRefused(a.refusal().get().message(), now()), a.refusal().get());
      }
    }
    if (step.equals("create") && v.status().equals(Volume.CREATING)) {
      return persist(a.accepted() ? new StorageCreated(a.valueAs(String.class), now()) : failed(a));
    }
    if (step.equals("resize") && v.status().equals(Volume.EXTENDING) && v.size() < v.targetSize()) {
      if (!a.accepted()) return persist(failed(a));
      return persist(growsInGuest(v) ? new StorageGrown(now()) : new Extended(now()));
    }
    if (step.equals("grow-disk") && v.status().equals(Volume.EXTENDING) && v.size() == v.targetSize()) {
      return persist(a.accepted() ? new Extended(now()) : failed(a));
    }
    if (step.equals("remove") && v.status().equals(Volume.DELETING) && v.stored()) {
      return persist(a.accepted() ? new StorageRemoved(now()) : failed(a));
    }
    if (step.equals("release") && a.accepted() && v.quotaHeld() > 0) return persist(new QuotaReleased(now()));
    Optional<VolumeUpload> upload = v.upload().filter(u -> v.status().equals(Volume.UPLOADING));
    if (upload.isPresent()) {
      VolumeUpload u = upload.get();
      if (step.equals("image") && !u.imageCreated() && u.failure().isEmpty()) {
        return persist(a.accepted() ? new UploadImageCreated(now()) : new UploadFailed(a.refusal().get().message(), now()));
      }
      if (step.equals("upload") && u.imageCreated() && u.failure().isEmpty()) {
        return persist(a.accepted() ? new UploadEnded(now()) : new UploadFailed(a.refusal().get().message(), now()));
      }
      if (step.equals("discard") && u.failure().isPresent() && a.accepted()) return persist(new UploadEnded(now()));
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  /** An extend whose bytes are grown but whose guest's compute host never answered in time (it is not up). */
  private boolean guestGrowTimedOut(State s) {
    if (!(s instanceof Existing e)) return false;
    Volume v = e.volume();
    return v.status().equals(Volume.EXTENDING) && v.targetSize() > 0 && v.size() == v.targetSize()
        && !now().isBefore(v.updatedAt().plus(GUEST_GROW_TIMEOUT));
  }

  /** A retype whose copy to the new backend's host has not ended in time (the host is not up, or lost the work). */
  private boolean retypeCopyTimedOut(State s) {
    if (!(s instanceof Existing e)) return false;
    Volume v = e.volume();
    return v.status().equals(Volume.RETYPING) && v.retype().filter(r -> r.migrate() && r.quotaMoved() && !r.switched()
        && r.failure().isEmpty() && r.copyBegan().filter(at -> !now().isBefore(at.plus(RETYPE_COPY_TIMEOUT))).isPresent())
        .isPresent();
  }

  /** A create whose quota is held but whose file no host made in time (a quota not yet held is the quota's to answer). */
  private boolean createTimedOut(State s) {
    if (!(s instanceof Existing e)) return false;
    Volume v = e.volume();
    return v.status().equals(Volume.CREATING) && v.quotaHeld() > 0
        && !now().isBefore(v.createdAt().plus(CREATE_TIMEOUT));
  }

  private StorageFailed failed(StepDriver.Answer a) {
    return new StorageFailed(a.refusal().get().message(), now());
  }

  /** The quota said no: the waiting client hears why, and the volume is as before (or never was). */
  private ReplyEffect<Event, State> refuse(Event event, Rejection why) {
    return Effect().persist(event).thenRun(next -> {
      waiting.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waiting.clear();
      drive(next);
    }).thenNoReply();
  }

  /** Persists {@code event}, answers waiting clients once the quota holds what they asked, and drives on. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Existing x && x.volume().quotaHeld() >= x.volume().quotaWanted() && !waiting.isEmpty()) {
        waiting.forEach(to -> to.tell(StatusReply.success(x.volume())));
        waiting.clear();
      }
      drive(next);
    }).thenNoReply();
  }

  private static Volume volumeOf(State s) {
    return ((Existing) s).volume();
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.notFound("Volume " + volumeId + " could not be found.");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return VolumeEntity::next;
  }

  /** The phase an event leads to; shared with the read side, which replays the same events. */
  public static State next(State before, Event event) {
    if (event instanceof VolumeRequested e) return phaseOf(e.volume());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.volume().after(event));
  }

  private static State phaseOf(Volume v) {
    return switch (v.status()) {
      case Volume.CREATING, Volume.EXTENDING, Volume.DELETING, Volume.UPLOADING, Volume.RETYPING -> new Busy(v);
      case Volume.DELETED -> new Gone(v);
      default -> new Resting(v);
    };
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
