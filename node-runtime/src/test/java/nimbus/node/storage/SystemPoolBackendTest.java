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

  @Test
  void aSnapshotIsACopyOfTheVolumesBytesAndAVolumeFromItCopiesThemAgain() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    String source = UUID.randomUUID().toString();
    String snapshot = UUID.randomUUID().toString();
    String copy = UUID.randomUUID().toString();
    backend.create(source, GIB);
    byte[] marker = "written before the snapshot".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (var f = new java.io.RandomAccessFile(backend.path(source), "rw")) {
      f.seek(GIB / 2);
      f.write(marker);
    }
    backend.snapshot(source, snapshot);
    backend.snapshot(source, snapshot);
    Path snapshotFile = volumes.resolve(LibvirtPoolBackend.SNAPSHOT_PREFIX + snapshot);
    assertEquals(GIB, Files.size(snapshotFile));
    assertFalse(backend.volumes().containsKey(snapshot), "a snapshot is no volume");
    try (var f = new java.io.RandomAccessFile(backend.path(source), "rw")) {
      f.seek(GIB / 2);
      f.write(new byte[marker.length]);
    }
    backend.createFrom(copy, snapshot, 2 * GIB);
    backend.createFrom(copy, snapshot, 2 * GIB);
    assertEquals(2 * GIB, Files.size(Path.of(backend.path(copy))), "grown to the size asked");
    byte[] read = new byte[marker.length];
    try (var f = new java.io.RandomAccessFile(backend.path(copy), "r")) {
      f.seek(GIB / 2);
      f.readFully(read);
    }
    assertEquals(new String(marker, java.nio.charset.StandardCharsets.UTF_8),
        new String(read, java.nio.charset.StandardCharsets.UTF_8), "the bytes as they were at the snapshot");
    String clone = UUID.randomUUID().toString();
    backend.cloneVolume(clone, copy, 2 * GIB);
    try (var f = new java.io.RandomAccessFile(backend.path(clone), "r")) {
      f.seek(GIB / 2);
      f.readFully(read);
    }
    assertEquals(new String(marker, java.nio.charset.StandardCharsets.UTF_8),
        new String(read, java.nio.charset.StandardCharsets.UTF_8), "a volume from a volume has its bytes");
    backend.remove(clone);
    backend.removeSnapshot(snapshot);
    backend.removeSnapshot(snapshot);
    assertFalse(Files.exists(snapshotFile));
    backend.remove(source);
    backend.remove(copy);
  }
}
