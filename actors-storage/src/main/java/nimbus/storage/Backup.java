package nimbus.storage;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;

/**
 * A volume backup as Cinder's backups API shows it, with what its steps need ({@code holds}), its
 * manifest ({@code chunks}: the SHA-512 of each fixed-size chunk of the volume, in order, empty
 * for a chunk of zeros), the bytes its create actually wrote ({@code bytesWritten}: chunks the
 * store held already cost nothing), the incremental backups that depend on it
 * ({@code dependents}), the storage host that holds its chunks ({@code host}) and a restore while
 * one runs ({@code restore}), and the snapshot of the volume it backs up instead of the volume
 * ({@code snapshotId}, Cinder's backup of a snapshot).
 *
 * <p>{@code status} is Cinder's: {@code creating}, {@code available}, {@code deleting},
 * {@code restoring}, {@code error}; {@code deleted} once gone (never shown).
 */
public record Backup(String id, String projectId, String userId, String volumeId, String name, String description,
    int size, boolean incremental, Optional<String> parentId, String status, Instant createdAt, Instant updatedAt,
    Holds holds, List<String> chunks, long bytesWritten, Set<String> dependents, Optional<String> host,
    Optional<String> fault, Optional<BackupRestore> restore, String container, Map<String, String> volumeMetadata,
    Optional<String> snapshotId)
    implements CborSerializable {

  public static final String CREATING = "creating";
  public static final String AVAILABLE = "available";
  public static final String DELETING = "deleting";
  public static final String RESTORING = "restoring";
  public static final String ERROR = "error";
  public static final String DELETED = "deleted";

  /**
   * What the backup holds of others: its project's quota, its parent (which counts it as a
   * dependent), its volume (held {@code backing-up} while its chunks are read), and its chunks on
   * its storage host ({@code stored}: the host may hold them, so a delete removes them).
   */
  public record Holds(boolean quota, boolean parent, boolean volume, boolean stored) implements CborSerializable {
    static final Holds NONE = new Holds(false, false, false, false);

    Holds quota(boolean q) {
      return new Holds(q, parent, volume, stored);
    }

    Holds parent(boolean p) {
      return new Holds(quota, p, volume, stored);
    }

    Holds volume(boolean v) {
      return new Holds(quota, parent, v, stored);
    }

    Holds stored(boolean s) {
      return new Holds(quota, parent, volume, s);
    }

    boolean any() {
      return quota || parent || volume || stored;
    }
  }

  public Backup {
    chunks = List.copyOf(chunks);
    dependents = Set.copyOf(dependents);
    if (container == null) container = "";
    volumeMetadata = volumeMetadata == null ? Map.of() : Map.copyOf(volumeMetadata);
    if (snapshotId == null) snapshotId = Optional.empty(); // absent in backups of earlier versions
  }

  /** A backup of a volume of {@code size} GB asked for, before anything is held; incremental when it has a parent. */
  public static Backup requested(String id, String projectId, String userId, String volumeId, String name,
      String description, int size, Optional<String> parentId, Instant at) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, parentId.isPresent(), parentId, CREATING,
        at, at, Holds.NONE, List.of(), 0, Set.of(), Optional.empty(), Optional.empty(), Optional.empty(), "", Map.of(),
        Optional.empty());
  }

  /**
   * A backup imported from another cloud's record ({@code export_record}): its chunks are on
   * storage host {@code host} already, and its create only makes that host's store name them for
   * it. Always a full backup (its manifest names every chunk), of the importing project.
   */
  public static Backup imported(String id, String projectId, String userId, String volumeId, String name,
      String description, int size, String container, List<String> chunks, String host,
      Map<String, String> volumeMetadata, Instant at) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, false, Optional.empty(), CREATING, at,
        at, Holds.NONE, chunks, 0, Set.of(), Optional.of(host), Optional.empty(), Optional.empty(), container,
        volumeMetadata, Optional.empty());
  }

  /** Whether its create imports a record: chunks named before any were stored (a volume's backup has them once stored). */
  public boolean importing() {
    return status.equals(CREATING) && !chunks.isEmpty() && !holds.stored();
  }

  /** The requested backup, of snapshot {@code snapshot} of its volume instead of the volume. */
  public Backup ofSnapshot(String snapshot) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, status,
        createdAt, updatedAt, holds, chunks, bytesWritten, dependents, host, fault, restore, container, volumeMetadata,
        Optional.of(snapshot));
  }

  /** The requested backup, whose bytes storage host {@code name} holds (a snapshot's, known before any step). */
  public Backup onHost(String name) {
    return new Backup(id, projectId, userId, volumeId, this.name, description, size, incremental, parentId, status,
        createdAt, updatedAt, holds, chunks, bytesWritten, dependents, Optional.of(name), fault, restore, container,
        volumeMetadata, snapshotId);
  }

  /** The backup kept in the container named {@code name} (Cinder's, shown as given). */
  public Backup inContainer(String name) {
    return new Backup(id, projectId, userId, volumeId, this.name, description, size, incremental, parentId, status,
        createdAt, updatedAt, holds, chunks, bytesWritten, dependents, host, fault, restore, name, volumeMetadata, snapshotId);
  }

  /** Whether a delete may begin: at rest or failed, and no incremental backup depends on it. */
  public boolean deletable() {
    return dependents.isEmpty() && (status.equals(AVAILABLE) || status.equals(ERROR));
  }

  /** The chunks that hold data (those of zeros are stored as nothing). */
  public long objectCount() {
    return chunks.stream().filter(c -> !c.isEmpty()).count();
  }

  /** The backup after one of its events. */
  public Backup after(BackupEntity.Event event) {
    Instant at = event.at();
    if (event instanceof BackupEntity.QuotaHeld) return with(status, holds.quota(true), at);
    if (event instanceof BackupEntity.ParentLinked) return with(status, holds.parent(true), at);
    if (event instanceof BackupEntity.VolumeHeld e) {
      // the volume's metadata as it was backed up: a restore into a new volume gives it back
      return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, status,
          createdAt, at, holds.volume(true), chunks, bytesWritten, dependents, Optional.of(e.host()), fault, restore,
          container, e.volumeMetadata() == null ? Map.of() : e.volumeMetadata(), snapshotId);
    }
    if (event instanceof BackupEntity.BackupUpdated e) {
      return new Backup(id, projectId, userId, volumeId, e.name(), e.description(), size, incremental, parentId, status,
          createdAt, at, holds, chunks, bytesWritten, dependents, host, fault, restore, container, volumeMetadata, snapshotId);
    }
    if (event instanceof BackupEntity.BackupRefused e) {
      return settled(with(DELETING, holds, at).failing(e.reason()));
    }
    if (event instanceof BackupEntity.ChunksStored e) {
      // a snapshot's backup and an import hold no volume: stored, they are available
      return settled(new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, status,
          createdAt, at, holds.stored(true), e.chunks(), e.bytesWritten(), dependents, host, fault, restore, container,
          volumeMetadata, snapshotId));
    }
    if (event instanceof BackupEntity.StorageFailed e) {
      // a host that failed a create removed what it began; a failed remove left the chunks
      return status.equals(CREATING) ? with(ERROR, holds.stored(false), at).failing(e.reason())
          : with(ERROR, holds, at).failing(e.reason());
    }
    if (event instanceof BackupEntity.VolumeFreed) return settled(with(status, holds.volume(false), at));
    if (event instanceof BackupEntity.DeleteRequested) {
      // forced while its chunks were being stored: the host may have them, so the delete removes them
      return settled(with(DELETING, holds.stored(holds.stored() || holds.volume()), at));
    }
    if (event instanceof BackupEntity.ChunksRemoved) return settled(with(status, holds.stored(false), at));
    if (event instanceof BackupEntity.ParentUnlinked) return settled(with(status, holds.parent(false), at));
    if (event instanceof BackupEntity.QuotaReleased) return settled(with(status, holds.quota(false), at));
    if (event instanceof BackupEntity.DependentAdded e) return withDependent(e.backupId(), true, at);
    if (event instanceof BackupEntity.DependentRemoved e) return withDependent(e.backupId(), false, at);
    if (event instanceof BackupEntity.RestoreRequested e) return restoring(RESTORING, Optional.of(e.restore()), at);
    if (event instanceof BackupEntity.RestoreVolumeCreated) return restoring(status, restore.map(BackupRestore::created), at);
    if (event instanceof BackupEntity.RestoreVolumeHeld) return restoring(status, restore.map(BackupRestore::held), at);
    if (event instanceof BackupEntity.RestoreWritten e) {
      return restoring(status, restore.map(r -> r.written(e.failure())), at);
    }
    if (event instanceof BackupEntity.RestoreEnded e) {
      Backup over = restoring(AVAILABLE, Optional.empty(), at);
      return e.failure().isPresent() ? over.failing(e.failure().get()) : over;
    }
    if (event instanceof BackupEntity.StatusReset e) return with(e.status(), holds, at);
    throw new IllegalArgumentException("not a change of a backup: " + event);
  }

  /**
   * A create with its chunks stored and its volume free again is available; a deleting backup
   * that holds nothing any more is gone.
   */
  private static Backup settled(Backup b) {
    if (b.status.equals(CREATING) && b.holds.stored() && !b.holds.volume()) return b.with(AVAILABLE, b.holds, b.updatedAt);
    if (b.status.equals(DELETING) && !b.holds.any()) return b.with(DELETED, b.holds, b.updatedAt);
    return b;
  }

  private Backup failing(String reason) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, status, createdAt,
        updatedAt, holds, chunks, bytesWritten, dependents, host, Optional.of(reason), restore, container, volumeMetadata, snapshotId);
  }

  private Backup with(String s, Holds h, Instant at) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, s, createdAt, at,
        h, chunks, bytesWritten, dependents, host, fault, restore, container, volumeMetadata, snapshotId);
  }

  private Backup restoring(String s, Optional<BackupRestore> r, Instant at) {
    return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, s, createdAt, at,
        holds, chunks, bytesWritten, dependents, host, fault, r, container, volumeMetadata, snapshotId);
  }

  private Backup withDependent(String backup, boolean add, Instant at) {
    Set<String> d = new HashSet<>(dependents);
    if (add) d.add(backup);
    else d.remove(backup);
    return new Backup(id, projectId, userId, volumeId, name, description, size, incremental, parentId, status, createdAt,
        at, holds, chunks, bytesWritten, d, host, fault, restore, container, volumeMetadata, snapshotId);
  }
}
