package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code dir} pool of the system libvirtd ({@code qemu:///system}; needs root and a running
 * libvirtd): the backend starts the pool in its directory, and a volume's raw file is made, grown
 * and removed on disk.
 */
class SystemPoolBackendTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private final String pool = "nimbus-test-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir
  Path dir;
  private LibvirtPoolBackend backend;

  @AfterEach
  void removePool() throws Exception {
    if (backend != null) backend.close();
    for (String command : new String[] {"pool-destroy", "pool-undefine"}) {
      new ProcessBuilder("virsh", "-c", "qemu:///system", command, pool).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
  }

  @Test
  void aVolumeFileIsMadeGrownAndRemovedInARealDirPool() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    assertTrue(backend.volumes().isEmpty());
    assertFalse(Files.exists(volumes), "listing starts no pool before a volume is made");
    String id = UUID.randomUUID().toString();
    Path file = volumes.resolve(LibvirtPoolBackend.PREFIX + id);
    backend.create(id, GIB);
    assertTrue(Files.isRegularFile(file));
    assertEquals(GIB, Files.size(file));
    backend.resize(id, 2 * GIB);
    backend.resize(id, GIB);
    assertEquals(2 * GIB, Files.size(file), "grown, and never shrunk by a late resize");
    assertEquals(2 * GIB, backend.volumes().get(id));
    backend.close();
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    assertTrue(backend.volumes().containsKey(id), "the pool is started again from its directory, with its volume");
    backend.remove(id);
    assertFalse(Files.exists(file));
  }
}
