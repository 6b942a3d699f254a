package nimbus.storage;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a backup's steps ask of others: its project's quota, its parent backup, its volume (and
 * the volume a restore writes), and the storage host that holds its chunks. Every call is
 * idempotent by the backup's id.
 */
public interface BackupClaims {

  /** The project's quota holds one backup and {@code gigabytes} of backup for it. */
  CompletionStage<StatusReply<Done>> reserveBackup(String projectId, String backupId, int gigabytes);

  /** The project's quota no longer holds anything for the backup. */
  CompletionStage<StatusReply<Done>> releaseBackup(String projectId, String backupId);

  /** The available backup {@code parentId} of project {@code projectId} counts {@code backupId} as its dependent. */
  CompletionStage<StatusReply<Done>> linkParent(String parentId, String backupId, String projectId);

  /** The parent no longer counts the backup (answered also when it never did). */
  CompletionStage<StatusReply<Done>> unlinkParent(String parentId, String backupId);

  /** As {@link VolumeEntity.HoldForBackup}: answered with the volume (its storage host). */
  CompletionStage<StatusReply<Volume>> holdVolume(String volumeId, String backupId, String projectId, boolean restoring,
      int minSize);

  /** As {@link VolumeEntity.FreeFromBackup}. */
  CompletionStage<StatusReply<Done>> freeVolume(String volumeId, String backupId, String status);

  /** Creates the volume a restore writes ({@link Volume#requested}); answered once its quota holds it. */
  CompletionStage<StatusReply<Done>> createVolume(Volume volume);

  /**
   * The storage host {@code host} stores the chunks of the volume (or of its snapshot
   * {@code snapshotId}); answered with the backup's manifest.
   */
  CompletionStage<StatusReply<BackupHostCommand.Manifest>> storeChunks(String host, String backupId, String volumeId,
      Optional<String> snapshotId);

  /**
   * The storage host {@code host} makes the imported backup name {@code chunks}, which it must
   * hold; refused when it does not, or when no such host is up (an imported record names it).
   */
  CompletionStage<StatusReply<Done>> adoptChunks(String host, String backupId, List<String> chunks);

  /** The storage host {@code host} writes the chunks into the volume, verifying each. */
  CompletionStage<StatusReply<Done>> restoreChunks(String host, String backupId, String volumeId, List<String> chunks);

  /** The storage host {@code host} forgets the backup, removing the chunks no other backup needs. */
  CompletionStage<StatusReply<Done>> removeChunks(String host, String backupId);
}
