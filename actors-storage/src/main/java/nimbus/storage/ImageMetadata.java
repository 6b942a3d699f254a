package nimbus.storage;

import java.util.List;
import java.util.Map;
import nimbus.cluster.CborSerializable;

/** What an image's owner may change with a JSON patch (Glance's mutable attributes). */
public record ImageMetadata(String name, String diskFormat, String containerFormat, String visibility,
    boolean deletionProtected, int minDisk, int minRam, Map<String, String> properties, List<String> tags)
    implements CborSerializable {

  public static final java.util.Set<String> DISK_FORMATS =
      java.util.Set.of("qcow2", "raw", "aki", "ari", "ami", "vmdk", "vdi", "iso", "vhd", "vhdx");
  public static final java.util.Set<String> CONTAINER_FORMATS =
      java.util.Set.of("bare", "ovf", "aki", "ari", "ami", "ova", "docker", "compressed");
  public static final java.util.Set<String> VISIBILITIES =
      java.util.Set.of("public", "private", "shared", "community");

  public ImageMetadata {
    properties = Map.copyOf(properties);
    tags = List.copyOf(tags);
  }

  /** The same metadata with other tags. */
  public ImageMetadata withTags(List<String> newTags) {
    return new ImageMetadata(name, diskFormat, containerFormat, visibility, deletionProtected, minDisk, minRam,
        properties, newTags);
  }
}
