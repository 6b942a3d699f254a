package nimbus.compute;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.CborSerializable;
import nimbus.storage.Volume;

/**
 * The volume a server boots from (Nova's block device mapping of boot index 0 to a volume): an
 * existing volume {@code volumeId}, or, when {@code create} is given, that new volume (made from
 * an image, in the server's project and its volume quota), which the server's build creates first.
 * With {@code deleteOnTermination} the volume goes with the server; without, it survives it.
 */
public record BootVolume(String volumeId, boolean deleteOnTermination, Optional<Volume> create)
    implements CborSerializable {

  /** The device the boot volume is in the domain: the first virtio disk. */
  public static final String DEVICE = "/dev/vda";

  public BootVolume {
    if (create == null) create = Optional.empty();
  }

  public static BootVolume existing(String volumeId, boolean deleteOnTermination) {
    return new BootVolume(volumeId, deleteOnTermination, Optional.empty());
  }

  /** A new volume, {@code volume} as asked (its id, project, size and image), made by the server's build. */
  public static BootVolume created(Volume volume, boolean deleteOnTermination) {
    return new BootVolume(volume.id(), deleteOnTermination, Optional.of(volume));
  }

  /**
   * The id of server {@code serverId}'s attachment of its boot volume: derived from the server,
   * so the build's steps, asked again after a crash, name the same attachment.
   */
  public static String attachmentId(String serverId) {
    return UUID.nameUUIDFromBytes(("boot-volume:" + serverId).getBytes(StandardCharsets.UTF_8)).toString();
  }
}
