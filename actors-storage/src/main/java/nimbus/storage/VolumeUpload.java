package nimbus.storage;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume's copy into the image service (Cinder's {@code os-volume_upload_image}): {@code image}
 * is the image as the volume's step creates it ({@code queued}, its owner the volume's project, its
 * disk format the one asked for), {@code priorStatus} the status the volume goes back to once the
 * copy is over ({@code available}, or {@code in-use} for a forced upload), {@code imageCreated}
 * whether the image exists, {@code failure} why the copy failed (the image is then discarded).
 */
public record VolumeUpload(Image image, String priorStatus, boolean imageCreated, Optional<String> failure)
    implements CborSerializable {

  public String imageId() {
    return image.id();
  }

  VolumeUpload created() {
    return new VolumeUpload(image, priorStatus, true, failure);
  }

  VolumeUpload failed(String reason) {
    return new VolumeUpload(image, priorStatus, imageCreated, Optional.of(reason));
  }

  /** The volume's attachment ended during the copy: it goes back to {@code status} instead. */
  VolumeUpload returningTo(String status) {
    return new VolumeUpload(image, status, imageCreated, failure);
  }
}
