package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import nimbus.config.SettingsException;
import nimbus.node.Node;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A logical (LVM) pool is refused at a storage host's start, saying what the machine lacks; dir runs anywhere. */
class StoragePoolsTest {
  @TempDir
  Path dir;

  @Test
  void aNodeWithALogicalPoolIsRefusedAtStartWhereTheKernelHasNoDeviceMapper() {
    // this machine's kernel has no device-mapper: the refusal is the real one, not a simulated absence
    assertFalse(Files.exists(StoragePools.MAPPER_CONTROL), "the test needs a machine without device-mapper");
    var settings = TestConfig.allInOne(dir, Map.of("nimbus.host.storage-pool-type", "logical"));
    SettingsException e = assertThrows(SettingsException.class, () -> Node.start(settings, ConfigFactory.empty()));
    assertEquals("nimbus.host.storage-pool-type: the logical (LVM) pool type needs the kernel's device-mapper, and this"
        + " machine has none: /dev/mapper/control is missing; use dir, or load the dm_mod module (modprobe dm_mod) on a"
        + " kernel that has it", e.getMessage());
    assertFalse(Files.exists(dir.resolve("volumes")), "nothing was made");
  }

  @Test
  void withDeviceMapperTheLogicalPoolIsStillRefusedAsNotBuiltAndDirIsAccepted() throws Exception {
    Path control = Files.createFile(dir.resolve("control"));
    SettingsException e = assertThrows(SettingsException.class, () -> StoragePools.requireSupported("logical", control));
    assertTrue(e.getMessage().contains("not built yet"), e.getMessage());
    StoragePools.requireSupported("dir", dir.resolve("absent"));
  }

  @Test
  void anUnknownPoolTypeIsRefusedWithTheChoices() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> TestConfig.allInOne(dir, Map.of("nimbus.host.storage-pool-type", "zfs")));
    assertTrue(e.getMessage().startsWith("nimbus.host.storage-pool-type: unknown pool type 'zfs'"), e.getMessage());
  }
}
