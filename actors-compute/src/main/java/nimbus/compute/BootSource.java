package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a host boots a server from, resolved from its image when the server is created: a root
 * disk image, or a kernel and ramdisk for direct kernel boot, or both. Each file is a path on
 * the host (images registered from configuration) or {@code store:<sha512>}, a file of the
 * image store that the host fetches and caches on first use. {@code commandLine} is the image's
 * {@code os_command_line}: as in Nova, it replaces the kernel command line of a direct kernel
 * boot (so it names the console itself, {@code console=ttyS0}). A server booted from a
 * {@code volume} has no image ({@code imageId} empty, as Nova shows it) and no root disk of its own.
 */
public record BootSource(String imageId, Optional<String> disk, Optional<String> diskFormat,
    Optional<String> kernel, Optional<String> ramdisk, Optional<String> commandLine, Optional<BootVolume> volume)
    implements CborSerializable {

  public static final String STORE_PREFIX = "store:";

  public BootSource {
    commandLine = commandLine == null ? Optional.empty() : commandLine; // recorded before it existed
    if (volume == null) volume = Optional.empty();
  }

  public BootSource(String imageId, Optional<String> disk, Optional<String> diskFormat, Optional<String> kernel,
      Optional<String> ramdisk, Optional<String> commandLine) {
    this(imageId, disk, diskFormat, kernel, ramdisk, commandLine, Optional.empty());
  }

  public BootSource(String imageId, Optional<String> disk, Optional<String> diskFormat, Optional<String> kernel,
      Optional<String> ramdisk) {
    this(imageId, disk, diskFormat, kernel, ramdisk, Optional.empty());
  }

  /** The same boot with another root disk file (empty: none), a qcow2 file. */
  public BootSource withDisk(Optional<String> file) {
    return new BootSource(imageId, file, file.map(f -> "qcow2"), kernel, ramdisk, commandLine, volume);
  }

  /** A boot from volume {@code volume}: no image, no root disk, no kernel. */
  public static BootSource fromVolume(BootVolume volume) {
    return new BootSource("", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of(volume));
  }

  public static BootSource none(String imageId) {
    return new BootSource(imageId, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty());
  }
}
