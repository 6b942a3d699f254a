package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume being attached to or detached from a server (Nova's os-volume_attachments), and the
 * step it is at. {@code storageHost} is known once the volume is reserved, {@code path} once the
 * storage host has exported it.
 */
public record VolumeChange(boolean attach, String volumeId, String attachmentId, String device,
    Optional<String> storageHost, Optional<String> path, Step step) implements CborSerializable {

  /**
   * Attach: (a server's new boot volume: creating it →) reserving (the volume) → exporting (its storage host) → plugging (the server's host)
   * → completing (the volume in-use). Detach: detaching (the volume) → unplugging → releasing.
   * A failed attach unplugs what was plugged, then releases the volume.
   */
  public enum Step { CREATING, RESERVING, EXPORTING, PLUGGING, COMPLETING, DETACHING, UNPLUGGING, RELEASING }

  static VolumeChange attaching(String volumeId, String attachmentId, String device) {
    return new VolumeChange(true, volumeId, attachmentId, device, Optional.empty(), Optional.empty(), Step.RESERVING);
  }

  static VolumeChange detaching(ServerVolume v) {
    return new VolumeChange(false, v.volumeId(), v.attachmentId(), v.device(), Optional.empty(), Optional.empty(),
        Step.DETACHING);
  }

  VolumeChange at(Step next) {
    return new VolumeChange(attach, volumeId, attachmentId, device, storageHost, path, next);
  }

  VolumeChange reservedOn(String host) {
    return new VolumeChange(attach, volumeId, attachmentId, device, Optional.of(host), path, Step.EXPORTING);
  }

  VolumeChange exportedAs(String exported) {
    return new VolumeChange(attach, volumeId, attachmentId, device, storageHost, Optional.of(exported), Step.PLUGGING);
  }

  ServerVolume attached() {
    return new ServerVolume(volumeId, attachmentId, device, path);
  }
}
