package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
  }

  /** The volume's files and half-made files in the pool's directory. */
  private static java.util.List<String> ours(Path volumes) throws Exception {
    try (var files = Files.list(volumes)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("nimbus-")).toList();
    }
  }

  @Test
  void aVolumeFromAQcow2ImageHoldsTheRawImagesBytesAndIsMadeOnce() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    byte[] content = new byte[3 * 1024 * 1024 + 512];
    new java.util.Random(7).nextBytes(content);
    Path raw = dir.resolve("image.raw");
    Files.write(raw, content);
    Path qcow2 = dir.resolve("image.qcow2");
    run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
    String id = UUID.randomUUID().toString();
    backend.createFromImage(id, qcow2, "qcow2", GIB);
    Path file = volumes.resolve(LibvirtPoolBackend.PREFIX + id);
    assertEquals(GIB, Files.size(file), "grown to the volume's size");
    byte[] head = new byte[content.length];
    try (var f = new java.io.RandomAccessFile(file.toFile(), "r")) {
      f.readFully(head);
    }
    assertTrue(java.util.Arrays.equals(content, head), "the volume holds the image's bytes, converted to raw");
    assertEquals(GIB, backend.volumes().get(id));
    Files.write(file, "written by the guest".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.WRITE);
    backend.createFromImage(id, qcow2, "qcow2", GIB);
    try (var f = new java.io.RandomAccessFile(file.toFile(), "r")) {
      byte[] again = new byte[20];
      f.readFully(again);
      assertEquals("written by the guest", new String(again, java.nio.charset.StandardCharsets.UTF_8),
          "a replayed step leaves the volume as it is");
    }
    assertEquals(java.util.List.of(LibvirtPoolBackend.PREFIX + id), ours(volumes), "no half-made file left");
    backend.remove(id);
  }

  @Test
  void aQcow2WhoseBackingFileNamesAHostFileIsRefusedAndLeavesNothing() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    Path secret = dir.resolve("host-secret");
    Files.writeString(secret, "root:the host's secret");
    Path hostile = dir.resolve("hostile.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret.toString(), hostile.toString(), "1M");
    String id = UUID.randomUUID().toString();
    StorageException refused = assertThrows(StorageException.class,
        () -> backend.createFromImage(id, hostile, "qcow2", GIB));
    assertTrue(refused.getMessage().startsWith("Image refused"), refused.getMessage());
    // declared raw, the same bytes are refused too: qemu-img never opens them as anything
    StorageException asRaw = assertThrows(StorageException.class, () -> backend.createFromImage(id, hostile, "raw", GIB));
    assertTrue(asRaw.getMessage().contains("not the declared disk format raw"), asRaw.getMessage());
    assertFalse(backend.volumes().containsKey(id));
    assertTrue(!Files.exists(volumes) || ours(volumes).isEmpty(), "nothing left in the pool");
  }

  @Test
  void anImageLargerThanTheVolumeIsRefusedAndLeavesNothing() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    Path big = dir.resolve("big.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", big.toString(), "2G");
    String id = UUID.randomUUID().toString();
    StorageException refused = assertThrows(StorageException.class, () -> backend.createFromImage(id, big, "qcow2", GIB));
    assertEquals("Image virtual size is 2GB and doesn't fit in a volume of size 1GB.", refused.getMessage());
    assertFalse(backend.volumes().containsKey(id));
    assertTrue(!Files.exists(volumes) || ours(volumes).isEmpty(), "nothing left in the pool");
  }

  @Test
  void aVolumeIsExportedAsQcow2WhoseBytesAsRawAreTheVolumesAndOnlyAsRawOrQcow2() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    String id = UUID.randomUUID().toString();
    backend.create(id, GIB);
    byte[] marker = "uploaded into an image".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (var f = new java.io.RandomAccessFile(backend.path(id), "rw")) {
      f.seek(GIB / 3);
      f.write(marker);
    }
    Path qcow2 = backend.exportImage(id, "qcow2");
    assertEquals(java.util.Set.of(id), backend.volumes().keySet(), "an upload's file is no volume");
    byte[] head = new byte[4];
    try (var in = Files.newInputStream(qcow2)) {
      assertEquals(4, in.read(head));
    }
    assertEquals("QFI\u00fb", new String(head, java.nio.charset.StandardCharsets.ISO_8859_1), "a qcow2 file");
    Path raw = dir.resolve("back.raw");
    Process p = new ProcessBuilder("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.toString(), raw.toString())
        .redirectErrorStream(true).start();
    assertEquals(0, p.waitFor());
    assertEquals(-1L, Files.mismatch(raw, Path.of(backend.path(id))), "the image's bytes as raw are the volume's");
    Path asRaw = backend.exportImage(id, "raw");
    assertEquals(-1L, Files.mismatch(asRaw, Path.of(backend.path(id))));
    assertThrows(StorageException.class, () -> backend.exportImage(id, "vmdk"));
  }

  /** The round trip: an image's bytes into a volume, the volume out as qcow2, whose content is the image's. */
  @Test
  void aVolumeMadeFromAnImageIsExportedWithTheImagesContent() throws Exception {
    Path volumes = dir.resolve("volumes");
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    Path original = dir.resolve("content.raw");
    byte[] content = new byte[2 * 1024 * 1024];
    new java.util.Random(12).nextBytes(content);
    Files.write(original, content);
    String id = UUID.randomUUID().toString();
    backend.createFromImage(id, original, "raw", GIB);
    Path exported = backend.exportImage(id, "qcow2");
    // qemu-img compares what a guest reads: past the image's 2 MiB, the volume's GiB must be zeros
    Process compare = new ProcessBuilder("qemu-img", "compare", "-f", "raw", "-F", "qcow2", original.toString(),
        exported.toString()).redirectErrorStream(true).start();
    String said = new String(compare.getInputStream().readAllBytes());
    assertEquals(0, compare.waitFor(), said);
    content[1000] ^= 1;
    Files.write(original, content);
    Process differs = new ProcessBuilder("qemu-img", "compare", "-f", "raw", "-F", "qcow2", original.toString(),
        exported.toString()).redirectErrorStream(true).start();
    differs.getInputStream().readAllBytes();
    assertEquals(1, differs.waitFor(), "the comparison can fail");
  }

  /**
   * The attack: a guest writes, into its volume, a qcow2 header whose backing file (or external
   * data file) names a host file. libvirt probes the pool's files and takes it for qcow2; every
   * path that reads the volume's bytes (snapshot, volume from snapshot, volume from volume, grow,
   * upload as qcow2 and raw) must copy the bytes as they are and never the host file's.
   */
  @Test
  void aVolumeWhoseBytesAreAQcow2NamingAHostFileIsCopiedGrownAndExportedAsItsOwnBytes() throws Exception {
    Path secret = dir.resolve("host-secret");
    Files.writeString(secret, "SECRET-OF-THE-HOST-" + UUID.randomUUID());
    Path backingHeader = dir.resolve("backing.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret.toString(), backingHeader.toString(), "64M");
    Path dataSecret = dir.resolve("data-secret");
    Path dataHeader = dir.resolve("data.qcow2");
    // qemu-img makes the data file empty: the secret is written into it afterwards
    run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + dataSecret + ",data_file_raw=on",
        dataHeader.toString(), "64M");
    Files.writeString(dataSecret, Files.readString(secret));
    for (Path header : java.util.List.of(backingHeader, dataHeader)) {
      hostileVolumeLeaksNothing(header, Files.readString(secret));
    }
  }

  private void hostileVolumeLeaksNothing(Path header, String secret) throws Exception {
    Path volumes = dir.resolve("volumes");
    java.util.List<java.util.List<String>> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    nimbus.node.agent.ProcessRunner processes = new nimbus.node.agent.ProcessRunner();
    nimbus.node.agent.CommandRunner recording = (command, timeout) -> {
      ran.add(command);
      return processes.run(command, timeout);
    };
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes), recording);
    String id = UUID.randomUUID().toString();
    backend.create(id, GIB);
    Path volume = Path.of(backend.path(id));
    try (var f = new java.io.RandomAccessFile(volume.toFile(), "rw")) {
      f.write(Files.readAllBytes(header));
    }
    // as after the node's restart: libvirt starts the pool again and probes its files afresh
    backend.close();
    backend = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes), recording);
    byte[] head = Files.readAllBytes(header);
    assertEquals(GIB, backend.volumes().get(id), "its size is the file's, not the header's");
    String snapshot = UUID.randomUUID().toString();
    backend.snapshot(id, snapshot);
    String fromSnapshot = UUID.randomUUID().toString();
    backend.createFrom(fromSnapshot, snapshot, 2 * GIB);
    String fromVolume = UUID.randomUUID().toString();
    backend.cloneVolume(fromVolume, id, GIB);
    backend.resize(id, 2 * GIB);
    Path exported = backend.exportImage(id, "qcow2");
    // the upload's file is one per volume: kept aside before the raw upload makes it again
    Path qcow2 = dir.resolve("export.qcow2");
    Files.move(exported, qcow2);
    Path qcow2AsRaw = dir.resolve("export.raw");
    run("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", qcow2.toString(), qcow2AsRaw.toString());
    Path raw = backend.exportImage(id, "raw");
    java.util.List<Path> outputs = java.util.List.of(volume, volumes.resolve(LibvirtPoolBackend.SNAPSHOT_PREFIX + snapshot),
        Path.of(backend.path(fromSnapshot)), Path.of(backend.path(fromVolume)), qcow2, qcow2AsRaw, raw);
    for (Path out : outputs) {
      assertFalse(contains(out, secret), out + " holds the host's secret");
      if (out.equals(qcow2)) continue; // a qcow2 of its own: compared through its conversion
      byte[] start = new byte[head.length];
      try (var f = new java.io.RandomAccessFile(out.toFile(), "r")) {
        f.readFully(start);
      }
      assertTrue(java.util.Arrays.equals(head, start), out + " holds the volume's bytes as they were");
    }
    assertEquals(2 * GIB, Files.size(volume), "grown as raw bytes");
    // qemu-img compares allocated blocks only: a byte-wise comparison of 2 GiB files takes seconds
    run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", volume.toString(), raw.toString());
    run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", volume.toString(), qcow2AsRaw.toString());
    for (java.util.List<String> command : ran) {
      int f = command.indexOf("-f");
      assertTrue(f > 0 && command.get(f + 1).equals("raw"), "never probed nor read as qcow2: " + command);
    }
    assertFalse(ran.isEmpty(), "qemu-img ran");
    for (String v : new String[] {id, fromSnapshot, fromVolume}) backend.remove(v);
    backend.removeSnapshot(snapshot);
    for (Path f : new Path[] {qcow2, qcow2AsRaw, raw}) Files.delete(f);
    backend.close();
  }

  /** Whether the file holds {@code text} anywhere (GNU grep skips a sparse file's holes). */
  private static boolean contains(Path file, String text) throws Exception {
    Process grep = new ProcessBuilder("grep", "-qF", text, file.toString()).redirectErrorStream(true).start();
    int rc = grep.waitFor();
    assertTrue(rc == 0 || rc == 1, "grep failed on " + file);
    return rc == 0;
  }
}
