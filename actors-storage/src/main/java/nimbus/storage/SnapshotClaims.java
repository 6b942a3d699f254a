package nimbus.storage;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a snapshot's steps ask of others: its project's quota, its volume (which must not be
 * deleted while the snapshot exists), and the storage host that holds the volume's file. Every
 * call is idempotent by the snapshot's id.
 */
public interface SnapshotClaims {

  /**
   * The project's quota holds one snapshot and {@code gigabytes} for it, counted also under its
   * volume's type {@code volumeType} (null: under none).
   */
  CompletionStage<StatusReply<Done>> reserveSnapshot(String projectId, String snapshotId, String volumeType, int gigabytes);

  /** The project's quota no longer holds anything for the snapshot. */
  CompletionStage<StatusReply<Done>> releaseSnapshot(String projectId, String snapshotId);

  /** The volume counts the snapshot as its dependent; answered with the volume (its host). */
  CompletionStage<StatusReply<Volume>> link(String volumeId, String snapshotId, String projectId, boolean force);

  /** The volume no longer counts the snapshot. */
  CompletionStage<StatusReply<Done>> unlink(String volumeId, String snapshotId);

  /** The storage host {@code host} copies the volume's file into the snapshot's. */
  CompletionStage<StatusReply<Done>> createSnapshotStorage(String host, String volumeId, String snapshotId);

  /** The snapshot's file on {@code host} is removed (answered also when there is none). */
  CompletionStage<StatusReply<Done>> removeSnapshotStorage(String host, String snapshotId);
}
