package nimbus.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume snapshot as the volume API shows it, with what its steps need: whether its project's
 * quota holds it ({@code quotaHeld}), whether its volume counts it as a dependent ({@code linked}),
 * whether its storage host may hold its file ({@code stored}), and that host ({@code host}, the
 * volume's), and its volume's type ({@code volumeType}, what its per-type quota counts it under;
 * null in snapshots asked before per-type snapshot quotas, counted under no type).
 *
 * <p>{@code status} is Cinder's: {@code creating}, {@code available}, {@code deleting},
 * {@code error}, {@code error_deleting}; {@code deleted} once gone (never shown).
 */
public record Snapshot(String id, String projectId, String userId, String volumeId, String name, String description,
    int size, String status, Map<String, String> metadata, boolean force, Instant createdAt, Instant updatedAt,
    boolean quotaHeld, boolean linked, boolean stored, Optional<String> host, Optional<String> fault, String volumeType)
    implements CborSerializable {

  public static final String CREATING = "creating";
  public static final String AVAILABLE = "available";
  public static final String DELETING = "deleting";
  public static final String ERROR = "error";
  public static final String ERROR_DELETING = "error_deleting";
  public static final String DELETED = "deleted";

  public Snapshot {
    metadata = Map.copyOf(metadata);
  }

  /** A snapshot of a volume of {@code size} GB asked for, before anything is held. */
  public static Snapshot requested(String id, String projectId, String userId, String volumeId, String name,
      String description, int size, Map<String, String> metadata, boolean force, Instant at) {
    return new Snapshot(id, projectId, userId, volumeId, name, description, size, CREATING, metadata, force, at, at,
        false, false, false, Optional.empty(), Optional.empty(), null);
  }

  /** The requested snapshot, of a volume of type {@code type} (its name). */
  public Snapshot ofType(String type) {
    return new Snapshot(id, projectId, userId, volumeId, name, description, size, status, metadata, force, createdAt,
        updatedAt, quotaHeld, linked, stored, host, fault, type);
  }

  /** Whether a delete may begin: at rest, or after a failure. */
  public boolean deletable() {
    return status.equals(AVAILABLE) || status.equals(ERROR) || status.equals(ERROR_DELETING);
  }

  /** The snapshot after one of its events. */
  public Snapshot after(SnapshotEntity.Event event) {
    Instant at = event.at();
    if (event instanceof SnapshotEntity.SnapshotUpdated e) {
      return new Snapshot(id, projectId, userId, volumeId, e.name(), e.description(), size, status, e.metadata(), force,
          createdAt, at, quotaHeld, linked, stored, host, fault, volumeType);
    }
    if (event instanceof SnapshotEntity.QuotaHeld) return with(status, true, linked, stored, host, fault, at);
    if (event instanceof SnapshotEntity.VolumeLinked e) {
      return with(status, quotaHeld, true, stored, Optional.of(e.host()), fault, at);
    }
    if (event instanceof SnapshotEntity.SnapshotRefused e) {
      return settled(with(DELETING, quotaHeld, linked, false, host, Optional.of(e.reason()), at));
    }
    if (event instanceof SnapshotEntity.StorageCreated) return with(AVAILABLE, quotaHeld, linked, true, host, fault, at);
    if (event instanceof SnapshotEntity.StorageFailed e) {
      // a host that failed a copy left no file (it removes what it began); a failed remove left one
      return status.equals(CREATING) ? with(ERROR, quotaHeld, linked, false, host, Optional.of(e.reason()), at)
          : with(ERROR_DELETING, quotaHeld, linked, stored, host, Optional.of(e.reason()), at);
    }
    if (event instanceof SnapshotEntity.DeleteRequested) return settled(with(DELETING, quotaHeld, linked, stored, host, fault, at));
    if (event instanceof SnapshotEntity.StorageRemoved) return settled(with(status, quotaHeld, linked, false, host, fault, at));
    if (event instanceof SnapshotEntity.VolumeUnlinked) return settled(with(status, quotaHeld, false, stored, host, fault, at));
    if (event instanceof SnapshotEntity.QuotaReleased) return settled(with(status, false, linked, stored, host, fault, at));
    throw new IllegalArgumentException("not a change of a snapshot: " + event);
  }

  /** A deleting snapshot with no file, no volume depending and no quota left is gone. */
  private static Snapshot settled(Snapshot s) {
    return s.status.equals(DELETING) && !s.stored && !s.linked && !s.quotaHeld
        ? s.with(DELETED, false, false, false, s.host, s.fault, s.updatedAt) : s;
  }

  private Snapshot with(String s, boolean held, boolean l, boolean st, Optional<String> h, Optional<String> f, Instant at) {
    return new Snapshot(id, projectId, userId, volumeId, name, description, size, s, metadata, force, createdAt, at,
        held, l, st, h, f, volumeType);
  }
}
