package nimbus.node.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import nimbus.config.SettingsException;

/** Which storage pool types this machine can run: checked when a storage host starts, before anything else. */
public final class StoragePools {
  /** The device-mapper's control node: LVM's logical volumes exist only where the kernel has it. */
  public static final Path MAPPER_CONTROL = Path.of("/dev/mapper/control");

  private StoragePools() {}

  /** Refuses a pool type this host cannot run, saying what is missing; {@code mapperControl} is {@link #MAPPER_CONTROL}. */
  public static void requireSupported(String type, Path mapperControl) {
    if (!type.equals("logical")) return;
    if (!Files.exists(mapperControl)) {
      throw new SettingsException("nimbus.host.storage-pool-type", "the logical (LVM) pool type needs the kernel's"
          + " device-mapper, and this machine has none: " + mapperControl + " is missing",
          "use dir, or load the dm_mod module (modprobe dm_mod) on a kernel that has it");
    }
    // never a half-working backend: its volumes would be accepted and then fail on the host
    throw new SettingsException("nimbus.host.storage-pool-type", "the logical (LVM) pool type is not built yet",
        "use dir");
  }
}
