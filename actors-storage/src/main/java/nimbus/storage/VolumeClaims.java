package nimbus.storage;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a volume's steps ask of others: its project's quota, and the storage host that holds its
 * file. Every call is idempotent by the volume's id, so a step asked again after a timeout or a
 * crash changes nothing twice.
 */
public interface VolumeClaims {

  /**
   * The project's quota holds {@code gigabytes} (and one volume) for the volume of type
   * {@code volumeType} (its name), in place of what it held.
   */
  CompletionStage<StatusReply<Done>> reserve(String projectId, String volumeId, String volumeType, int gigabytes);

  /**
   * The project's quota counts what it holds for the volume under type {@code volumeType} again,
   * never refused (a failed retype's quota moved back: the limits may have filled meanwhile).
   */
  CompletionStage<StatusReply<Done>> countAgainAs(String projectId, String volumeId, String volumeType);

  /** The project's quota no longer holds anything for the volume. */
  CompletionStage<StatusReply<Done>> release(String projectId, String volumeId);

  /**
   * A storage host of backend {@code backend} (any when empty) makes the volume's file of
   * {@code gigabytes}; answered with the host's name, or refused when no host up serves that backend.
   */
  CompletionStage<StatusReply<String>> createStorage(String volumeId, Optional<String> backend, int gigabytes);

  /**
   * The storage host {@code host} makes the volume's file of {@code gigabytes} as a copy of snapshot
   * {@code snapshotId}'s; answered with the host's name.
   */
  CompletionStage<StatusReply<String>> createStorageFrom(String host, String volumeId, String snapshotId, int gigabytes);

  /**
   * The storage host {@code host} makes the volume's file of {@code gigabytes} as a copy of volume
   * {@code sourceId}'s; answered with the host's name.
   */
  CompletionStage<StatusReply<String>> cloneStorage(String host, String volumeId, String sourceId, int gigabytes);

  /** As {@link #createStorage}, the file made from the image's bytes. */
  CompletionStage<StatusReply<String>> createStorageFromImage(String volumeId, VolumeImage image, Optional<String> backend,
      int gigabytes);

  /** The volume's file on {@code host} grows to {@code gigabytes}. */
  CompletionStage<StatusReply<Done>> resizeStorage(String host, String volumeId, int gigabytes);

  /**
   * A storage host of backend {@code backend} makes the volume's storage of {@code gigabytes} as a
   * raw copy of its bytes on storage host {@code fromHost} (a volume retyped to another backend);
   * answered with the new host's name (which is {@code fromHost} when that host serves the backend).
   */
  CompletionStage<StatusReply<String>> migrateStorage(String fromHost, String volumeId, Optional<String> backend,
      int gigabytes);

  /**
   * The compute host {@code computeHost} grows disk {@code device} of server {@code serverId}'s
   * running guest to the volume's {@code gigabytes} (its bytes grown already).
   */
  CompletionStage<StatusReply<Done>> growAttachedDisk(String computeHost, String serverId, String volumeId, String device,
      int gigabytes);

  /** The volume's file on {@code host} is removed (answered also when there is none). */
  CompletionStage<StatusReply<Done>> removeStorage(String host, String volumeId);

  /** Image {@code image} is created as it is given (queued); answered also when it exists already. */
  CompletionStage<StatusReply<Done>> createImage(Image image);

  /**
   * The storage host {@code host} converts the volume's file to {@code diskFormat} and uploads it as
   * the data of image {@code imageId}; answered once the image is active (also when it was already).
   */
  CompletionStage<StatusReply<Done>> uploadToImage(String host, String volumeId, String imageId, String diskFormat);

  /** Image {@code imageId} is deleted unless it has its data (answered also when there is nothing to do). */
  CompletionStage<StatusReply<Done>> discardImage(String imageId);
}
