package nimbus.storage;

import java.util.Map;
import nimbus.cluster.CborSerializable;

/**
 * The image a volume was made from, as it was when the volume was asked: what Cinder shows as the
 * volume's {@code volume_image_metadata}, and where a storage host finds the bytes ({@code file}:
 * a path on the hosts, or {@code store:} and the SHA-512 of the image store's file). The bytes are
 * a tenant's: the host inspects them as {@code diskFormat} before it converts them.
 * {@code properties} are the image's own properties (kernel_id, ramdisk_id, os_distro, ...), which
 * Cinder keeps in the volume's glance metadata: a server booted from the volume boots with them, and
 * an image uploaded from the volume gets them. They are the image owner's values: whatever names
 * an image in them is resolved as the caller's when used, never trusted.
 */
public record VolumeImage(String imageId, String name, String containerFormat, String diskFormat, int minDisk,
    int minRam, long size, String checksum, String file, Map<String, String> properties) implements CborSerializable {

  public VolumeImage {
    properties = properties == null ? Map.of() : Map.copyOf(properties); // recorded before volumes kept them
  }

  /** An image of no properties of its own. */
  public VolumeImage(String imageId, String name, String containerFormat, String diskFormat, int minDisk, int minRam,
      long size, String checksum, String file) {
    this(imageId, name, containerFormat, diskFormat, minDisk, minRam, size, checksum, file, Map.of());
  }

  /** Its property {@code key}, if set. */
  public java.util.Optional<String> property(String key) {
    return java.util.Optional.ofNullable(properties.get(key));
  }
}
