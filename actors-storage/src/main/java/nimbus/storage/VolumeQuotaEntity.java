package nimbus.storage;

import java.util.HashMap;
import java.util.Map;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One project's block storage quota (Cinder's {@code volumes}, {@code snapshots} and
 * {@code gigabytes}, and per volume type {@code volumes_TYPE}, {@code snapshots_TYPE} and
 * {@code gigabytes_TYPE}, unlimited unless set; a snapshot counts under its volume's type): its limits and the gigabytes each of its volumes and snapshots holds. A single writer per project, so concurrent creates
 * never together pass a limit; holding and giving back are idempotent by the volume's id.
 */
public final class VolumeQuotaEntity extends EventSourcedBehaviorWithEnforcedReplies<
    VolumeQuotaEntity.Command, VolumeQuotaEntity.Event, VolumeQuotaEntity.Quota> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VolumeQuota");
  public static final String VOLUMES = "volumes";
  public static final String GIGABYTES = "gigabytes";
  public static final String SNAPSHOTS = "snapshots";
  public static final String BACKUPS = "backups";
  public static final String BACKUP_GIGABYTES = "backup_gigabytes";
  /** Cinder's defaults (quota_volumes, quota_gigabytes, quota_snapshots, quota_backups, quota_backup_gigabytes). */
  public static final Map<String, Integer> DEFAULTS = Map.of(VOLUMES, 10, GIGABYTES, 1000, SNAPSHOTS, 10, BACKUPS, 10,
      BACKUP_GIGABYTES, 1000);

  /** Messages a project's volume quota understands. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Holds {@code gigabytes} for the volume of type {@code volumeType} (its name; null: counted under
   * no type) in place of what it held (a new volume also counts as one), unless a limit, also its
   * type's, would be passed (413, as Cinder).
   */
  public record Reserve(String volumeId, int gigabytes, String volumeType, ActorRef<StatusReply<Done>> replyTo)
      implements Command {

    public Reserve(String volumeId, int gigabytes, ActorRef<StatusReply<Done>> replyTo) {
      this(volumeId, gigabytes, null, replyTo);
    }
  }

  /**
   * Counts what the volume holds under type {@code volumeType} again, whatever the limits (a failed
   * retype's quota moved back); answered once done, also when it holds nothing.
   */
  public record CountAgainAs(String volumeId, String volumeType, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Gives back what the volume holds, answered once done. */
  public record Release(String volumeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Holds a snapshot of a volume of type {@code volumeType} (null: counted under no type) and its
   * {@code gigabytes}, unless a limit, also its type's, would be passed (413, as Cinder); idempotent.
   */
  public record ReserveSnapshot(String snapshotId, int gigabytes, String volumeType, ActorRef<StatusReply<Done>> replyTo)
      implements Command {

    public ReserveSnapshot(String snapshotId, int gigabytes, ActorRef<StatusReply<Done>> replyTo) {
      this(snapshotId, gigabytes, null, replyTo);
    }
  }

  /** Gives back what the snapshot holds, answered once done. */
  public record ReleaseSnapshot(String snapshotId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Holds a backup and its {@code gigabytes} (backups, backup_gigabytes), unless a limit would be passed (413); idempotent. */
  public record ReserveBackup(String backupId, int gigabytes, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Gives back what the backup holds, answered once done. */
  public record ReleaseBackup(String backupId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Sets limits (-1: unlimited); kinds not named keep theirs. */
  public record SetLimits(Map<String, Integer> limits, ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Facts about a project's volume quota. */
  public sealed interface Event extends CborSerializable {}

  /** {@code volumeType} is null in events written before volume types. */
  public record Reserved(String volumeId, int gigabytes, String volumeType) implements Event {}

  public record Released(String volumeId) implements Event {}

  public record LimitsSet(Map<String, Integer> limits) implements Event {}

  /** {@code volumeType} is null in events written before per-type snapshot quotas. */
  public record SnapshotReserved(String snapshotId, int gigabytes, String volumeType) implements Event {}

  public record SnapshotReleased(String snapshotId) implements Event {}

  public record BackupReserved(String backupId, int gigabytes) implements Event {}

  public record BackupReleased(String backupId) implements Event {}

  /**
   * The limits an admin set over the defaults, the gigabytes held per volume and per snapshot, and
   * each held volume's and snapshot's type, and the gigabytes held per backup (counted apart, as
   * Cinder's backup_gigabytes).
   */
  public record Quota(Map<String, Integer> limits, Map<String, Integer> defaults, Map<String, Integer> held,
      Map<String, Integer> snapshots, Map<String, String> types, Map<String, String> snapshotTypes,
      Map<String, Integer> backups) implements CborSerializable {

    public Quota {
      if (snapshots == null) snapshots = Map.of();
      if (types == null) types = Map.of();
      if (backups == null) backups = Map.of();
      if (snapshotTypes == null) snapshotTypes = Map.of();
    }

    /** A kind's limit; a per-type kind ({@code volumes_TYPE}) unset is unlimited, as Cinder's. */
    public int limit(String kind) {
      return limits.getOrDefault(kind, defaults.getOrDefault(kind, -1));
    }

    /**
     * What is held of type {@code type}: {@code volumes} or {@code snapshots} (how many), or the
     * {@code gigabytes} of both.
     */
    public int usedOfType(String kind, String type) {
      var volumesOfType = held.entrySet().stream().filter(e -> type.equals(types.get(e.getKey())));
      var snapshotsOfType = snapshots.entrySet().stream().filter(e -> type.equals(snapshotTypes.get(e.getKey())));
      if (kind.equals(VOLUMES)) return (int) volumesOfType.count();
      if (kind.equals(SNAPSHOTS)) return (int) snapshotsOfType.count();
      return volumesOfType.mapToInt(Map.Entry::getValue).sum() + snapshotsOfType.mapToInt(Map.Entry::getValue).sum();
    }

    Quota with(Map<String, Integer> newLimits, Map<String, Integer> newHeld, Map<String, Integer> newSnapshots,
        Map<String, String> newTypes) {
      return new Quota(Map.copyOf(newLimits), defaults, Map.copyOf(newHeld), Map.copyOf(newSnapshots),
          Map.copyOf(newTypes), snapshotTypes, backups);
    }

    Quota withBackups(Map<String, Integer> newBackups) {
      return new Quota(limits, defaults, held, snapshots, types, snapshotTypes, Map.copyOf(newBackups));
    }

    Quota withSnapshotTypes(Map<String, String> newSnapshotTypes) {
      return new Quota(limits, defaults, held, snapshots, types, Map.copyOf(newSnapshotTypes), backups);
    }

    /** What is in use of {@code kind}: volumes held, snapshots held, or the gigabytes of both. */
    public int used(String kind) {
      if (kind.equals(VOLUMES)) return held.size();
      if (kind.equals(SNAPSHOTS)) return snapshots.size();
      if (kind.equals(BACKUPS)) return backups.size();
      if (kind.equals(BACKUP_GIGABYTES)) return backups.values().stream().mapToInt(Integer::intValue).sum();
      return held.values().stream().mapToInt(Integer::intValue).sum()
          + snapshots.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Every kind with its limit. */
    public Map<String, Integer> effective() {
      Map<String, Integer> all = new HashMap<>(defaults);
      all.putAll(limits);
      return Map.copyOf(all);
    }
  }

  public static Behavior<Command> create(String projectId, Map<String, Integer> defaults) {
    return create(projectId, defaults, change -> {});
  }

  /** The project's quota; a change of its limits, once persisted, is told to {@code changed} (the events API's {@code quota}). */
  public static Behavior<Command> create(String projectId, Map<String, Integer> defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    return new VolumeQuotaEntity(projectId, defaults, changed);
  }

  private final String projectId;
  private final Map<String, Integer> defaults;
  private final java.util.function.Consumer<nimbus.cluster.ResourceChange> changed;

  private VolumeQuotaEntity(String projectId, Map<String, Integer> defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.projectId = projectId;
    this.defaults = Map.copyOf(defaults);
    this.changed = changed;
  }

  @Override
  public Quota emptyState() {
    return new Quota(Map.of(), defaults, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Quota> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Reserve.class, this::reserve)
        .onCommand(Release.class, (q, c) -> q.held().containsKey(c.volumeId())
            ? Effect().persist(new Released(c.volumeId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(ReserveSnapshot.class, this::reserveSnapshot)
        .onCommand(ReleaseSnapshot.class, (q, c) -> q.snapshots().containsKey(c.snapshotId())
            ? Effect().persist(new SnapshotReleased(c.snapshotId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(CountAgainAs.class, (q, c) -> q.held().containsKey(c.volumeId())
            && !c.volumeType().equals(q.types().get(c.volumeId()))
            ? Effect().persist(new Reserved(c.volumeId(), q.held().get(c.volumeId()), c.volumeType()))
                .thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(ReserveBackup.class, this::reserveBackup)
        .onCommand(ReleaseBackup.class, (q, c) -> q.backups().containsKey(c.backupId())
            ? Effect().persist(new BackupReleased(c.backupId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(SetLimits.class, (q, c) -> Effect().persist(new LimitsSet(Map.copyOf(c.limits())))
            .thenRun(n -> changed.accept(nimbus.cluster.ResourceChange.owned("quota", projectId, projectId, false)))
            .thenReply(c.replyTo(), StatusReply::success))
        .onCommand(Get.class, (q, c) -> Effect().reply(c.replyTo(), StatusReply.success(q)))
        .build();
  }

  private ReplyEffect<Event, Quota> reserve(Quota q, Reserve c) {
    Integer before = q.held().get(c.volumeId());
    // a retype moves the volume to another type's count in this same step (Cinder's retype quota)
    boolean retyped = before != null && c.volumeType() != null && !c.volumeType().equals(q.types().get(c.volumeId()));
    if (before != null && before == c.gigabytes() && !retyped) return Effect().reply(c.replyTo(), StatusReply.ack());
    int volumes = q.limit(VOLUMES);
    if (before == null && volumes >= 0 && q.used(VOLUMES) + 1 > volumes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeLimitExceeded: Maximum number of volumes allowed (" + volumes + ") exceeded for quota 'volumes'."));
    }
    int gigabytes = q.limit(GIGABYTES);
    int consumed = q.used(GIGABYTES) - (before == null ? 0 : before);
    // giving some back always passes: a failed extend's quota must come down
    boolean growing = before == null || c.gigabytes() > before;
    if (growing && gigabytes >= 0 && consumed + c.gigabytes() > gigabytes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
              + c.gigabytes() + "G, quota is " + gigabytes + "G and " + consumed + "G has been consumed."));
    }
    if (c.volumeType() != null) {
      String type = c.volumeType();
      int ofType = q.limit(VOLUMES + "_" + type);
      if ((before == null || retyped) && ofType >= 0 && q.usedOfType(VOLUMES, type) + 1 > ofType) {
        return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY, "VolumeLimitExceeded: Maximum number"
            + " of volumes allowed (" + ofType + ") exceeded for quota '" + VOLUMES + "_" + type + "'."));
      }
      int gigabytesOfType = q.limit(GIGABYTES + "_" + type);
      int consumedOfType = q.usedOfType(GIGABYTES, type) - (before == null || retyped ? 0 : before);
      if ((growing || retyped) && gigabytesOfType >= 0 && consumedOfType + c.gigabytes() > gigabytesOfType) {
        return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed " + GIGABYTES + "_" + type
                + " quota. Requested " + c.gigabytes() + "G, quota is " + gigabytesOfType + "G and " + consumedOfType
                + "G has been consumed."));
      }
    }
    String type = c.volumeType() != null ? c.volumeType() : q.types().get(c.volumeId());
    return Effect().persist(new Reserved(c.volumeId(), c.gigabytes(), type)).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private ReplyEffect<Event, Quota> reserveSnapshot(Quota q, ReserveSnapshot c) {
    if (q.snapshots().containsKey(c.snapshotId())) return Effect().reply(c.replyTo(), StatusReply.ack());
    int snapshots = q.limit(SNAPSHOTS);
    if (snapshots >= 0 && q.used(SNAPSHOTS) + 1 > snapshots) return Effect().reply(c.replyTo(), tooManySnapshots(snapshots));
    int gigabytes = q.limit(GIGABYTES);
    int consumed = q.used(GIGABYTES);
    if (gigabytes >= 0 && consumed + c.gigabytes() > gigabytes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
              + c.gigabytes() + "G, quota is " + gigabytes + "G and " + consumed + "G has been consumed."));
    }
    if (c.volumeType() != null) {
      // as Cinder: a snapshot counts under its volume's type, one snapshot and its gigabytes
      String type = c.volumeType();
      int ofType = q.limit(SNAPSHOTS + "_" + type);
      if (ofType >= 0 && q.usedOfType(SNAPSHOTS, type) + 1 > ofType) {
        return Effect().reply(c.replyTo(), tooManySnapshots(ofType));
      }
      int gigabytesOfType = q.limit(GIGABYTES + "_" + type);
      int consumedOfType = q.usedOfType(GIGABYTES, type);
      if (gigabytesOfType >= 0 && consumedOfType + c.gigabytes() > gigabytesOfType) {
        return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed " + GIGABYTES + "_" + type
                + " quota. Requested " + c.gigabytes() + "G, quota is " + gigabytesOfType + "G and " + consumedOfType
                + "G has been consumed."));
      }
    }
    return Effect().persist(new SnapshotReserved(c.snapshotId(), c.gigabytes(), c.volumeType()))
        .thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private ReplyEffect<Event, Quota> reserveBackup(Quota q, ReserveBackup c) {
    if (q.backups().containsKey(c.backupId())) return Effect().reply(c.replyTo(), StatusReply.ack());
    int backups = q.limit(BACKUPS);
    if (backups >= 0 && q.used(BACKUPS) + 1 > backups) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "BackupLimitExceeded: Maximum number of backups allowed (" + backups + ") exceeded"));
    }
    int gigabytes = q.limit(BACKUP_GIGABYTES);
    int consumed = q.used(BACKUP_GIGABYTES);
    if (gigabytes >= 0 && consumed + c.gigabytes() > gigabytes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested "
              + c.gigabytes() + "G, quota is " + gigabytes + "G and " + consumed + "G has been consumed."));
    }
    return Effect().persist(new BackupReserved(c.backupId(), c.gigabytes())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private static <T> StatusReply<T> tooManySnapshots(int allowed) {
    return Rejection.of(Rejection.Kind.TOO_MANY, "SnapshotLimitExceeded: Maximum number of snapshots allowed (" + allowed
        + ") exceeded");
  }

  @Override
  public EventHandler<Quota, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Reserved.class, (q, e) -> {
          Map<String, Integer> held = new HashMap<>(q.held());
          held.put(e.volumeId(), e.gigabytes());
          Map<String, String> types = new HashMap<>(q.types());
          if (e.volumeType() != null) types.put(e.volumeId(), e.volumeType());
          return q.with(q.limits(), held, q.snapshots(), types);
        })
        .onEvent(Released.class, (q, e) -> {
          Map<String, Integer> held = new HashMap<>(q.held());
          held.remove(e.volumeId());
          Map<String, String> types = new HashMap<>(q.types());
          types.remove(e.volumeId());
          return q.with(q.limits(), held, q.snapshots(), types);
        })
        .onEvent(LimitsSet.class, (q, e) -> {
          Map<String, Integer> limits = new HashMap<>(q.limits());
          limits.putAll(e.limits());
          return q.with(limits, q.held(), q.snapshots(), q.types());
        })
        .onEvent(SnapshotReserved.class, (q, e) -> {
          Map<String, Integer> snapshots = new HashMap<>(q.snapshots());
          snapshots.put(e.snapshotId(), e.gigabytes());
          Map<String, String> types = new HashMap<>(q.snapshotTypes());
          if (e.volumeType() != null) types.put(e.snapshotId(), e.volumeType());
          return q.with(q.limits(), q.held(), snapshots, q.types()).withSnapshotTypes(types);
        })
        .onEvent(BackupReserved.class, (q, e) -> {
          Map<String, Integer> backups = new HashMap<>(q.backups());
          backups.put(e.backupId(), e.gigabytes());
          return q.withBackups(backups);
        })
        .onEvent(BackupReleased.class, (q, e) -> {
          Map<String, Integer> backups = new HashMap<>(q.backups());
          backups.remove(e.backupId());
          return q.withBackups(backups);
        })
        .onEvent(SnapshotReleased.class, (q, e) -> {
          Map<String, Integer> snapshots = new HashMap<>(q.snapshots());
          snapshots.remove(e.snapshotId());
          Map<String, String> types = new HashMap<>(q.snapshotTypes());
          types.remove(e.snapshotId());
          return q.with(q.limits(), q.held(), snapshots, q.types()).withSnapshotTypes(types);
        })
        .build();
  }
}
