package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.node.agent.ProcessRunner;
import nimbus.storage.BackupHostCommand;
import nimbus.storage.RbdSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RBD backend against a real one-node Ceph cluster ({@link CephTestCluster}, shared by the
 * class's tests): images made, grown, snapshotted, copied, written from an image file and read
 * back into one, byte for byte.
 */
class RbdBackendTest {
  private static final long MIB = 1024L * 1024;
  private static CephTestCluster cluster;
  private static RbdBackend backend;
  @TempDir
  Path tmp;

  @BeforeAll
  static void startCluster(@TempDir Path dir) throws Exception {
    cluster = CephTestCluster.start(dir);
    backend = cluster.backend();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void aVolumeImageIsMadeGrownNeverShrunkAndRemoved() throws Exception {
    String id = UUID.randomUUID().toString();
    backend.create(id, 64 * MIB);
    backend.create(id, 32 * MIB);
    assertEquals(64 * MIB, backend.volumes().get(id), "a create asked again changes nothing");
    backend.resize(id, 128 * MIB);
    backend.resize(id, 64 * MIB);
    assertEquals(128 * MIB, backend.volumes().get(id), "grown, and never shrunk by a late resize");
    RbdSource source = RbdSource.parse(backend.path(id));
    assertEquals(new RbdSource("nimbus", cluster.monitors(), "volumes", LibvirtPoolBackend.PREFIX + id), source);
    backend.remove(id);
    backend.remove(id);
    assertFalse(backend.volumes().containsKey(id));
    assertThrows(StorageException.class, () -> backend.path(id));
  }

  @Test
  void anImagesBytesBecomeTheVolumesAndItsSnapshotAndCopiesKeepThem() throws Exception {
    Path qcow2 = marked("snapshot-marker");
    String id = UUID.randomUUID().toString();
    backend.createFromImage(id, qcow2, "qcow2", 16 * MIB);
    assertEquals(16 * MIB, backend.volumes().get(id), "converted, then grown to the volume's size");
    assertMarker(id, "snapshot-marker");

    String snapshot = UUID.randomUUID().toString();
    backend.snapshot(id, snapshot);
    backend.snapshot(id, snapshot);
    assertTrue(backend.snapshots().contains(snapshot));
    String fromSnapshot = UUID.randomUUID().toString();
    backend.createFrom(fromSnapshot, snapshot, 32 * MIB);
    assertEquals(32 * MIB, backend.volumes().get(fromSnapshot));
    assertMarker(fromSnapshot, "snapshot-marker");
    String copy = UUID.randomUUID().toString();
    backend.cloneVolume(copy, id, 16 * MIB);
    assertMarker(copy, "snapshot-marker");

    // each image stands alone: the source and its snapshot go, the copies stay whole
    backend.removeSnapshot(snapshot);
    backend.removeSnapshot(snapshot);
    assertFalse(backend.snapshots().contains(snapshot));
    backend.remove(id);
    assertMarker(fromSnapshot, "snapshot-marker");
    assertMarker(copy, "snapshot-marker");
    backend.remove(fromSnapshot);
    backend.remove(copy);
    assertTrue(backend.leftovers().isEmpty(), "no partial image is left: " + backend.leftovers());
  }

  @Test
  void anImageLargerThanTheVolumeOrNotOfItsFormatIsRefusedAndLeavesNothing() throws Exception {
    Path qcow2 = marked("x");
    String id = UUID.randomUUID().toString();
    StorageException tooLarge = assertThrows(StorageException.class, () -> backend.createFromImage(id, qcow2, "qcow2", 4 * MIB));
    assertTrue(tooLarge.getMessage().contains("doesn't fit"), tooLarge.getMessage());
    // a qcow2 passed off as raw would be written as its own bytes at best: refused before qemu-img reads it
    assertThrows(StorageException.class, () -> backend.createFromImage(id, qcow2, "vmdk", 16 * MIB));
    assertFalse(backend.volumes().containsKey(id));
    assertTrue(backend.leftovers().isEmpty());
  }

  @Test
  void aPartialImageIsALeftoverAndNothingElseOfThePoolIs() throws Exception {
    String id = UUID.randomUUID().toString();
    ProcessRunner run = new ProcessRunner();
    RbdCommands rbd = cluster.commands();
    run.run(rbd.create(LibvirtPoolBackend.PARTIAL_PREFIX + id, MIB), Duration.ofMinutes(1));
    run.run(rbd.create("someone-elses", MIB), Duration.ofMinutes(1));
    assertEquals(java.util.Map.of(LibvirtPoolBackend.PARTIAL_PREFIX + id, id), backend.leftovers());
    assertFalse(backend.volumes().containsKey("someone-elses"));
    assertThrows(StorageException.class, () -> backend.removeLeftover("someone-elses"));
    backend.removeLeftover(LibvirtPoolBackend.PARTIAL_PREFIX + id);
    assertTrue(backend.leftovers().isEmpty());
    // a half-written copy is written again from the start
    run.run(rbd.create(LibvirtPoolBackend.PARTIAL_PREFIX + id, MIB), Duration.ofMinutes(1));
    backend.createFromImage(id, marked("again"), "qcow2", 16 * MIB);
    assertMarker(id, "again");
    assertTrue(backend.leftovers().isEmpty());
    backend.remove(id);
    String names = run.run(rbd.list(), Duration.ofMinutes(1));
    assertTrue(names.contains("someone-elses"), "what is not Nimbus's is never touched: " + names);
    run.run(rbd.remove("someone-elses"), Duration.ofMinutes(1));
  }

  @Test
  void anIdThatCouldNameAnotherImageOrPoolIsRefused() {
    for (String id : List.of("../x", "volumes/x", "x@snap", "x:conf=/etc/passwd", "")) {
      assertThrows(IllegalArgumentException.class, () -> backend.create(id, MIB), id);
      assertThrows(IllegalArgumentException.class, () -> backend.path(id), id);
    }
  }

  @Test
  void qemuOpensTheVolumeThroughLibvirtsSecretOfTheClientsKeyAndNothingWithoutIt() throws Exception {
    String id = UUID.randomUUID().toString();
    backend.create(id, 16 * MIB);
    String domain = "nimbus-rbd-probe-" + id.substring(0, 8);
    Path xml = tmp.resolve("domain.xml");
    Files.writeString(xml, "<domain type='qemu'><name>" + domain + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\n"
        + nimbus.node.hypervisor.DomainXml.volumeDisk(backend.path(id), "/dev/vdb", id) + "</devices></domain>");
    java.util.UUID secret = nimbus.node.hypervisor.DomainXml.cephSecretUuid("nimbus");
    ProcessRunner run = new ProcessRunner();
    try (var hypervisor = new nimbus.node.hypervisor.LibvirtHypervisor("qemu:///system")) {
      byte[] key = CephKeyring.key(Files.readString(cluster.dir.resolve("nimbus.keyring")), "nimbus");
      hypervisor.defineCephSecret(secret, "nimbus", key);
      hypervisor.defineCephSecret(secret, "nimbus", key);
      run.run(List.of("virsh", "-c", "qemu:///system", "create", "--paused", xml.toString()), Duration.ofMinutes(1));
      try {
        // QEMU opened the image itself (librbd, as client nimbus with the secret's key): it knows its size
        String info = run.run(List.of("virsh", "-c", "qemu:///system", "domblkinfo", domain, "vdb"), Duration.ofMinutes(1));
        assertTrue(info.matches("(?s).*Capacity:\\s+" + 16 * MIB + "\\b.*"), info);
      } finally {
        run.run(List.of("virsh", "-c", "qemu:///system", "destroy", domain), Duration.ofMinutes(1));
      }
      // the secret's value is private: libvirt never gives it back
      IllegalStateException hidden = assertThrows(IllegalStateException.class, () -> run.run(
          List.of("virsh", "-c", "qemu:///system", "secret-get-value", secret.toString()), Duration.ofMinutes(1)));
      assertFalse(hidden.getMessage().contains(cluster.key()));
      // without the secret (a host whose agent never defined it) the disk opens nothing
      run.run(List.of("virsh", "-c", "qemu:///system", "secret-undefine", secret.toString()), Duration.ofMinutes(1));
      IllegalStateException noSecret = assertThrows(IllegalStateException.class, () -> run.run(
          List.of("virsh", "-c", "qemu:///system", "create", "--paused", xml.toString()), Duration.ofMinutes(1)));
      assertTrue(noSecret.getMessage().contains(secret.toString()), noSecret.getMessage());
    } finally {
      new ProcessBuilder("virsh", "-c", "qemu:///system", "secret-undefine", secret.toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start().waitFor();
      backend.remove(id);
    }
  }

  @Test
  void theStorageAgentServesAnyHostTheImageItselfAndReconcilesThePool() throws Exception {
    var kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create();
    String host = "storage-" + UUID.randomUUID().toString().substring(0, 8);
    java.util.Map<String, nimbus.storage.Volume> entities = new java.util.concurrent.ConcurrentHashMap<>();
    String orphan = UUID.randomUUID().toString();
    String halfMade = UUID.randomUUID().toString();
    backend.create(orphan, MIB);
    new ProcessRunner().run(cluster.commands().create(LibvirtPoolBackend.PARTIAL_PREFIX + halfMade, MIB), Duration.ofMinutes(1));
    try {
      var spawned = kit.spawn(StorageAgent.create(host, "ceph", backend,
          id -> java.util.concurrent.CompletableFuture.completedFuture(Optional.ofNullable(entities.get(id))),
          id -> java.util.concurrent.CompletableFuture.completedFuture(true), Path::of, null, Optional.empty(),
          Duration.ofHours(1), java.util.concurrent.Executors.newCachedThreadPool()));
      var listing = kit.<org.apache.pekko.actor.typed.receptionist.Receptionist.Listing>createTestProbe();
      var agent = listing.awaitAssert(Duration.ofSeconds(10), () -> {
        kit.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.find(
            nimbus.storage.StorageHostCommand.backend("ceph"), listing.ref()));
        return listing.receiveMessage().getServiceInstances(nimbus.storage.StorageHostCommand.backend("ceph")).stream()
            .filter(a -> a.path().parent().equals(spawned.path())).findFirst().orElseThrow();
      });
      // at start: a volume no entity knows and a half-made copy are its own leftovers, removed
      listing.awaitAssert(Duration.ofSeconds(30), () -> {
        assertFalse(backend.volumes().containsKey(orphan));
        assertTrue(backend.leftovers().isEmpty());
        return null;
      });

      String id = UUID.randomUUID().toString();
      var created = kit.<org.apache.pekko.pattern.StatusReply<String>>createTestProbe();
      agent.tell(new nimbus.storage.StorageHostCommand.CreateVolume(id, 1, created.ref()));
      assertEquals(host, created.receiveMessage(Duration.ofSeconds(30)).getValue());
      assertEquals(1L << 30, backend.volumes().get(id));
      var exported = kit.<org.apache.pekko.pattern.StatusReply<String>>createTestProbe();
      for (String to : List.of(host, "another-host")) {
        agent.tell(new nimbus.storage.StorageHostCommand.ExportVolume(id, to, exported.ref()));
        RbdSource source = RbdSource.parse(exported.receiveMessage(Duration.ofSeconds(30)).getValue());
        assertEquals(LibvirtPoolBackend.PREFIX + id, source.image(), "every host, the storage host's own too, opens the image");
        assertEquals(cluster.monitors(), source.monitors());
      }
      var removed = kit.<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>>createTestProbe();
      agent.tell(new nimbus.storage.StorageHostCommand.RemoveVolume(id, removed.ref()));
      assertTrue(removed.receiveMessage(Duration.ofSeconds(30)).isSuccess());
      assertFalse(backend.volumes().containsKey(id));
    } finally {
      kit.shutdownTestKit();
      backend.remove(orphan);
      backend.removeLeftover(LibvirtPoolBackend.PARTIAL_PREFIX + halfMade);
    }
  }

  @Test
  void aVolumesBytesAreBackedUpIncrementallyAndRestoredRawIntoImagesAndFiles() throws Exception {
    int chunk = (int) MIB;
    BackupChunks store = new BackupChunks(tmp.resolve("backups"), chunk);
    java.util.Random random = new java.util.Random(7);
    // 16 chunks: a qcow2 header naming a host file (bytes, never a format), data, and zeros in chunk 2
    byte[] first = new byte[(int) (16 * MIB)];
    random.nextBytes(first);
    byte[] header = qcow2NamingAHostFile();
    System.arraycopy(header, 0, first, 0, header.length);
    java.util.Arrays.fill(first, header.length, chunk, (byte) 0);
    java.util.Arrays.fill(first, 2 * chunk, 3 * chunk, (byte) 0);
    String id = UUID.randomUUID().toString();
    backend.create(id, 16 * MIB);
    writeImage(id, first);

    BackupHostCommand.Manifest full = store.store("full-" + id, () -> backend.openRaw(id, Optional.empty()));
    assertEquals(16, full.chunks().size());
    assertEquals("", full.chunks().get(2), "a chunk of zeros is stored as nothing");
    assertEquals(15 * MIB, full.bytesWritten());

    // chunk 5 changes, chunk 7 becomes zeros, chunk 2 gets data: only the changed chunks are written
    byte[] second = first.clone();
    byte[] changed = new byte[chunk];
    random.nextBytes(changed);
    System.arraycopy(changed, 0, second, 5 * chunk, chunk);
    java.util.Arrays.fill(second, 7 * chunk, 8 * chunk, (byte) 0);
    random.nextBytes(changed);
    System.arraycopy(changed, 0, second, 2 * chunk, chunk);
    String snapshot = UUID.randomUUID().toString();
    backend.snapshot(id, snapshot);
    writeImage(id, second);
    BackupHostCommand.Manifest incremental = store.store("incr-" + id, () -> backend.openRaw(id, Optional.empty()));
    assertEquals(2 * MIB, incremental.bytesWritten(), "the incremental backup wrote the two changed chunks only");
    assertEquals("", incremental.chunks().get(7));
    BackupHostCommand.Manifest ofSnapshot = store.store("snap-" + id, () -> backend.openRaw(id, Optional.of(snapshot)));
    assertEquals(full.chunks(), ofSnapshot.chunks(), "a backup of the snapshot reads the snapshot's bytes");
    assertEquals(0, ofSnapshot.bytesWritten());

    // each restores into a new image byte for byte, and the full one over the changed volume too
    // (its zeros written where the volume held data, through a partial RADOS object)
    String restoredFull = UUID.randomUUID().toString();
    String restoredIncremental = UUID.randomUUID().toString();
    backend.create(restoredFull, 16 * MIB);
    backend.create(restoredIncremental, 32 * MIB);
    try (RawWriter out = backend.rawWriter(restoredFull)) {
      store.restore(full.chunks(), out);
    }
    try (RawWriter out = backend.rawWriter(restoredIncremental)) {
      store.restore(incremental.chunks(), out);
    }
    try (RawWriter out = backend.rawWriter(id)) {
      store.restore(full.chunks(), out);
    }
    assertArrayEquals(first, bytesOf(restoredFull, 16 * MIB));
    assertArrayEquals(java.util.Arrays.copyOf(second, (int) (32 * MIB)), bytesOf(restoredIncremental, 32 * MIB),
        "restored from its start; the rest of a larger volume stays zeros");
    assertArrayEquals(first, bytesOf(id, 16 * MIB));

    // across backends: the image's backup into a file, a file's backup into an image
    Path file = tmp.resolve("file-volume");
    Files.write(file, new byte[(int) (16 * MIB)]);
    store.restore(incremental.chunks(), file);
    assertArrayEquals(second, Files.readAllBytes(file));
    Files.write(file, first);
    BackupHostCommand.Manifest ofFile = store.store("file-" + id, file);
    assertEquals(full.chunks(), ofFile.chunks(), "the same bytes are the same chunks, whichever backend held them");
    String fromFile = UUID.randomUUID().toString();
    backend.create(fromFile, 16 * MIB);
    try (RawWriter out = backend.rawWriter(fromFile)) {
      store.restore(ofFile.chunks(), out);
    }
    assertArrayEquals(first, bytesOf(fromFile, 16 * MIB));
    // a restore for another host writes the volume's own image only, whatever else its command names
    try (RawWriter out = backend.rawWriterOf(fromFile, backend.path(fromFile))) {
      store.restore(incremental.chunks(), out);
    }
    assertArrayEquals(second, bytesOf(fromFile, 16 * MIB));
    assertThrows(StorageException.class, () -> backend.rawWriterOf(fromFile, backend.path(id)));

    // a volume smaller than the backup, or no image at all, is refused and nothing is stored
    String small = UUID.randomUUID().toString();
    backend.create(small, 8 * MIB);
    try (RawWriter out = backend.rawWriter(small)) {
      StorageException tooSmall = assertThrows(StorageException.class, () -> store.restore(full.chunks(), out));
      assertTrue(tooSmall.getMessage().contains("smaller"), tooSmall.getMessage());
    }
    String missing = UUID.randomUUID().toString();
    assertThrows(StorageException.class, () -> store.store("missing-" + missing, () -> backend.openRaw(missing, Optional.empty())));
    assertThrows(StorageException.class, () -> backend.rawWriter(missing));
    assertFalse(store.backups().contains("missing-" + missing));

    backend.removeSnapshot(snapshot);
    for (String v : List.of(id, restoredFull, restoredIncremental, fromFile, small)) backend.remove(v);
  }

  /** The head of a qcow2 whose backing file is a host file: as a volume's first bytes, it must stay bytes. */
  private byte[] qcow2NamingAHostFile() throws Exception {
    Path image = tmp.resolve("hostile-" + UUID.randomUUID() + ".qcow2");
    new ProcessRunner().run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw",
        image.toString(), "1M"), Duration.ofMinutes(1));
    byte[] bytes = Files.readAllBytes(image);
    return java.util.Arrays.copyOf(bytes, Math.min(bytes.length, 64 * 1024));
  }

  /** Writes {@code bytes} over the volume's image with qemu-img, told raw (not the code under test). */
  private void writeImage(String id, byte[] bytes) throws Exception {
    Path raw = tmp.resolve("write-" + UUID.randomUUID());
    Files.write(raw, bytes);
    new ProcessRunner().run(List.of("qemu-img", "convert", "-q", "-n", "-f", "raw", "-O", "raw", raw.toString(),
        cluster.commands().qemu(LibvirtPoolBackend.PREFIX + id)), Duration.ofMinutes(1));
    Files.delete(raw);
  }

  /** The volume's bytes, read through an upload's raw export (qemu-img, told raw). */
  private byte[] bytesOf(String id, long size) throws Exception {
    Path exported = backend.exportImage(id, "raw");
    try {
      assertEquals(size, Files.size(exported));
      return Files.readAllBytes(exported);
    } finally {
      Files.deleteIfExists(exported);
    }
  }

  /** A qcow2 of 8 MiB whose first bytes are {@code marker}. */
  private Path marked(String marker) throws Exception {
    Path raw = tmp.resolve("raw-" + UUID.randomUUID());
    Files.write(raw, java.util.Arrays.copyOf(marker.getBytes(StandardCharsets.US_ASCII), (int) (8 * MIB)));
    Path qcow2 = tmp.resolve("image-" + UUID.randomUUID() + ".qcow2");
    new ProcessRunner().run(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString()),
        Duration.ofMinutes(1));
    return qcow2;
  }

  /** Reads the volume back as raw through an upload's export, and finds the marker first. */
  private void assertMarker(String id, String marker) throws Exception {
    Path exported = backend.exportImage(id, "raw");
    try {
      byte[] head = new byte[marker.length()];
      try (var in = Files.newInputStream(exported)) {
        assertEquals(head.length, in.readNBytes(head, 0, head.length));
      }
      assertArrayEquals(marker.getBytes(StandardCharsets.US_ASCII), head, "volume " + id + " holds the image's bytes");
      assertEquals(backend.volumes().get(id), Files.size(exported));
    } finally {
      Files.deleteIfExists(exported);
    }
  }
}
