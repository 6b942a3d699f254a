package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import nimbus.storage.BackupHostCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups of volumes in a real {@code dir} pool of the system libvirtd (needs root and libvirtd):
 * a full backup stores the volume's chunks (zeros as nothing), an incremental one after one chunk
 * changed writes that chunk only, each restores byte for byte into a new volume, a chunk changed on
 * disk is refused on restore, and a removed backup takes only the chunks no other needs.
 */
class BackupChunksTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private static final int CHUNK = BackupHostCommand.CHUNK_BYTES;
  private final String pool = "nimbus-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final Random random = new Random(12);
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
  void anIncrementalBackupWritesTheChangedChunkOnlyAndBothRestoreByteForByte() throws Exception {
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(dir.resolve("volumes")));
    BackupChunks store = new BackupChunks(dir.resolve("backups"));
    String volume = UUID.randomUUID().toString();
    backend.create(volume, GIB);
    Path file = Path.of(backend.path(volume));
    writeRandom(file, 0, CHUNK);
    writeRandom(file, 10L * CHUNK + 5, 100);
    writeRandom(file, GIB - CHUNK, CHUNK);
    String fullSum = sha256(file);

    BackupHostCommand.Manifest full = store.store("full", file);
    assertEquals(GIB / CHUNK, full.chunks().size());
    assertEquals(3, full.chunks().stream().filter(c -> !c.isEmpty()).count(), "chunks of zeros are stored as nothing");
    assertEquals(3L * CHUNK, full.bytesWritten());
    assertEquals(full, store.store("full", file), "a store asked again answers as before");

    writeRandom(file, 10L * CHUNK + 7, 3);
    String incrementalSum = sha256(file);
    BackupHostCommand.Manifest incremental = store.store("incremental", file);
    assertEquals(CHUNK, incremental.bytesWritten(), "only the changed chunk is written");
    assertEquals(4, store.chunks().size());

    String fromFull = UUID.randomUUID().toString();
    String fromIncremental = UUID.randomUUID().toString();
    backend.create(fromFull, GIB);
    backend.create(fromIncremental, GIB);
    store.restore(full.chunks(), Path.of(backend.path(fromFull)));
    store.restore(incremental.chunks(), Path.of(backend.path(fromIncremental)));
    assertEquals(fullSum, sha256(Path.of(backend.path(fromFull))));
    assertEquals(incrementalSum, sha256(Path.of(backend.path(fromIncremental))));

    // a restore over a volume that holds other bytes writes zeros where the backup has them
    writeRandom(Path.of(backend.path(fromFull)), 20L * CHUNK, 10);
    store.restore(incremental.chunks(), Path.of(backend.path(fromFull)));
    assertEquals(incrementalSum, sha256(Path.of(backend.path(fromFull))));

    store.remove("full");
    store.remove("full");
    assertEquals(Set.of("incremental"), store.backups());
    assertEquals(3, store.chunks().size(), "the chunk only the full backup named is gone, the shared ones stay");
    store.restore(incremental.chunks(), Path.of(backend.path(fromIncremental)));
    assertEquals(incrementalSum, sha256(Path.of(backend.path(fromIncremental))));
  }

  @Test
  void aChunkChangedOnDiskIsRefusedOnRestoreAndNamesNeverLeaveTheStore() throws Exception {
    BackupChunks store = new BackupChunks(dir.resolve("backups"), 4096);
    Path volume = dir.resolve("volume");
    Files.write(volume, new byte[3 * 4096]);
    writeRandom(volume, 4096, 4096);
    BackupHostCommand.Manifest m = store.store("b", volume);
    String hash = m.chunks().get(1);
    Path chunk = dir.resolve("backups/sha512").resolve(hash);
    assertTrue(Files.exists(chunk));
    byte[] bytes = Files.readAllBytes(chunk);
    bytes[17] ^= 1;
    Files.write(chunk, bytes);
    Path target = dir.resolve("target");
    Files.write(target, new byte[3 * 4096]);
    StorageException corrupt = assertThrows(StorageException.class, () -> store.restore(m.chunks(), target));
    assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());

    Files.writeString(dir.resolve("secret"), "not a chunk");
    assertThrows(StorageException.class, () -> store.restore(List.of("", "../secret"), target));
    assertThrows(StorageException.class, () -> store.store("../../escape", volume));
    assertThrows(StorageException.class, () -> store.remove("../secret"));
    assertTrue(Files.exists(dir.resolve("secret")));
    assertFalse(Files.exists(dir.resolve("escape")));
  }

  @Test
  void anImportedRecordsBackupNamesOnlyChunksTheStoreHoldsAndOutlivesTheBackupItCameFrom() throws Exception {
    BackupChunks store = new BackupChunks(dir.resolve("backups"), 4096);
    Path volume = dir.resolve("volume");
    Files.write(volume, new byte[3 * 4096]);
    writeRandom(volume, 0, 4096);
    writeRandom(volume, 2 * 4096, 4096);
    BackupHostCommand.Manifest m = store.store("original", volume);
    store.adopt("imported", m.chunks());
    store.adopt("imported", m.chunks()); // asked again: the same
    assertThrows(StorageException.class, () -> store.adopt("imported", List.of("", "", "")),
        "an id adopted already with other chunks");

    // a record's names never reach outside the store: paths, names of no chunk, a link planted in the store
    Files.writeString(dir.resolve("secret"), "not a chunk");
    String outside = "0".repeat(128);
    Files.createSymbolicLink(dir.resolve("backups/sha512").resolve(outside), dir.resolve("secret"));
    for (List<String> hostile : List.of(List.of("../../secret"), List.of("/etc/passwd"), List.of("ab".repeat(64)),
        List.of(outside), List.of(m.chunks().get(0).toUpperCase(java.util.Locale.ROOT)))) {
      assertThrows(StorageException.class, () -> store.adopt("evil", hostile), hostile.toString());
    }
    assertThrows(StorageException.class, () -> store.adopt("../evil", m.chunks()));
    assertEquals(Set.of("original", "imported"), store.backups());

    store.remove("original");
    Path target = dir.resolve("target");
    Files.write(target, new byte[3 * 4096]);
    store.restore(m.chunks(), target);
    assertEquals(sha256(volume), sha256(target), "the chunks the imported backup names stay");
    store.remove("imported");
    assertEquals(Set.of(outside), store.chunks(), "the last backup's remove takes its chunks (the planted link is none)");
    assertTrue(Files.exists(dir.resolve("secret")));
  }

  private void writeRandom(Path file, long at, int length) throws Exception {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      f.write(bytes);
    }
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 20];
      for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
