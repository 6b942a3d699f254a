package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import nimbus.storage.StorageHostCommand;
import nimbus.storage.Volume;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A storage host's agent on libvirt's test driver: found through the receptionist by its host's
 * name, it makes and removes volumes' files, and its reconciliation removes the files of volumes
 * that are gone or another host's, and nothing else.
 */
class StorageAgentTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private final ActorTestKit kit = ActorTestKit.create();
  private final LibvirtPoolBackend backend = new LibvirtPoolBackend("test:///default", "default-pool", Optional.empty());
  /** What the entities say of each volume; absent: no such volume. */
  private final Map<String, Volume> entities = new ConcurrentHashMap<>();
  /** The snapshots that exist; any other is gone. */
  private final java.util.Set<String> liveSnapshots = ConcurrentHashMap.newKeySet();
  private final java.util.Set<String> imagesWithData = ConcurrentHashMap.newKeySet();
  private final java.util.List<String> uploaded = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Uploads wait for it (a long copy); open unless a test closes it. */
  private volatile java.util.concurrent.CountDownLatch uploadsGo = new java.util.concurrent.CountDownLatch(0);
  private final String host = "storage-" + UUID.randomUUID().toString().substring(0, 8);
  private ActorRef<StorageAgent.Message> spawned;

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
    backend.close();
  }

  private ActorRef<StorageHostCommand> start(Duration reconcileEvery) {
    return start(reconcileEvery, backend, Optional.empty());
  }

  private ActorRef<StorageHostCommand> start(Duration reconcileEvery, StorageBackend backend, Optional<NbdExports> exports) {
    spawned = kit.spawn(StorageAgent.create(host, "nimbus-pool", backend, id -> CompletableFuture.completedFuture(Optional.ofNullable(entities.get(id))),
        id -> CompletableFuture.completedFuture(!liveSnapshots.contains(id)),
        java.nio.file.Path::of, new StorageAgent.ImageSink() {
          @Override
          public boolean hasData(String imageId) {
            return imagesWithData.contains(imageId);
          }

          @Override
          public void upload(String imageId, java.nio.file.Path file) {
            try {
              uploadsGo.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            uploaded.add(imageId);
          }
        },
        exports, reconcileEvery, Executors.newCachedThreadPool()));
    ActorRef<StorageAgent.Message> agent = spawned;
    TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
    return listing.awaitAssert(Duration.ofSeconds(5), () -> {
      kit.system().receptionist().tell(Receptionist.find(StorageHostCommand.of(host), listing.ref()));
      var agents = listing.receiveMessage().getServiceInstances(StorageHostCommand.of(host)).stream()
          .filter(a -> a.path().parent().equals(agent.path())).toList();
      assertEquals(1, agents.size());
      return agents.iterator().next();
    });
  }

  private Volume volume(String id, Optional<String> on) {
    return new Volume(id, "p", "u", "v", "", 1, Volume.AVAILABLE, Map.of(), "nova", "__DEFAULT__", Instant.now(),
        Instant.now(), 1, 0, true, on, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), java.util.Set.of(),
        Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  @Test
  void aVolumesFileIsMadeAnsweredWithTheHostAndRemoved() {
    ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1));
    String id = UUID.randomUUID().toString();
    TestProbe<StatusReply<String>> created = kit.createTestProbe();
    agent.tell(new StorageHostCommand.CreateVolume(id, 2, created.ref()));
    assertEquals(host, created.receiveMessage(Duration.ofSeconds(10)).getValue());
    assertEquals(2 * GIB, backend.volumes().get(id));
    TestProbe<StatusReply<Done>> removed = kit.createTestProbe();
    agent.tell(new StorageHostCommand.RemoveVolume(id, removed.ref()));
    assertTrue(removed.receiveMessage(Duration.ofSeconds(10)).isSuccess());
    assertFalse(backend.volumes().containsKey(id));
  }

  @Test
  void aVolumeIsExportedAsItsFileToItsOwnHostAndRefusedToAnotherWhereThereAreNoFilesToServe() {
    ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1));
    String id = UUID.randomUUID().toString();
    TestProbe<StatusReply<String>> created = kit.createTestProbe();
    agent.tell(new StorageHostCommand.CreateVolume(id, 1, created.ref()));
    created.receiveMessage(Duration.ofSeconds(10));
    TestProbe<StatusReply<String>> exported = kit.createTestProbe();
    agent.tell(new StorageHostCommand.ExportVolume(id, host, exported.ref()));
    assertTrue(exported.receiveMessage(Duration.ofSeconds(10)).getValue().endsWith("nimbus-volume-" + id));
    agent.tell(new StorageHostCommand.ExportVolume(id, "elsewhere", exported.ref()));
    StatusReply<String> refused = exported.receiveMessage(Duration.ofSeconds(10));
    assertEquals(nimbus.cluster.Rejection.Kind.CONFLICT, nimbus.cluster.Rejection.from(refused.getError()).kind());
    assertTrue(refused.getError().getMessage().contains("no files to serve"), refused.getError().getMessage());
    agent.tell(new StorageHostCommand.ExportVolume(UUID.randomUUID().toString(), host, exported.ref()));
    assertTrue(exported.receiveMessage(Duration.ofSeconds(10)).isError(), "no file, no export");
    backend.remove(id);
  }

  @Test
  void aFailureIsTheStepsAnswer() {
    ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1));
    TestProbe<StatusReply<Done>> resized = kit.createTestProbe();
    agent.tell(new StorageHostCommand.ResizeVolume(UUID.randomUUID().toString(), 3, resized.ref()));
    StatusReply<Done> answer = resized.receiveMessage(Duration.ofSeconds(10));
    assertTrue(answer.isError());
    assertTrue(answer.getError().getMessage().contains("no storage for volume"), answer.getError().getMessage());
  }

  @Test
  void theReconciliationRemovesTheFilesOfGoneAndOtherHostsVolumesOnly() {
    String gone = UUID.randomUUID().toString();
    String mine = UUID.randomUUID().toString();
    String elsewhere = UUID.randomUUID().toString();
    String creating = UUID.randomUUID().toString();
    for (String id : new String[] {gone, mine, elsewhere, creating}) backend.create(id, GIB);
    entities.put(mine, volume(mine, Optional.of(host)));
    entities.put(elsewhere, volume(elsewhere, Optional.of("other-host")));
    entities.put(creating, volume(creating, Optional.empty()));
    start(Duration.ofMillis(200));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      Map<String, Long> left = backend.volumes();
      assertFalse(left.containsKey(gone), "a gone volume's file is an orphan");
      assertFalse(left.containsKey(elsewhere), "another host's volume is not here");
      return null;
    });
    Map<String, Long> left = backend.volumes();
    assertTrue(left.containsKey(mine) && left.containsKey(creating));
    backend.remove(mine);
    backend.remove(creating);
  }

  /**
   * A real {@code dir} pool ({@code qemu:///system}) after a crash: at its start the agent removes
   * its partial copies, upload temporaries and gone snapshots' files, and keeps live snapshots'
   * and every file it did not make.
   */
  @Test
  void atStartTheAgentRemovesItsLeftoversAndGoneSnapshotsFilesAndNothingForeign(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    String pool = "nimbus-test-" + UUID.randomUUID().toString().substring(0, 8);
    java.nio.file.Path volumes = dir.resolve("volumes");
    LibvirtPoolBackend real = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(volumes));
    try {
      String mine = UUID.randomUUID().toString();
      real.create(mine, GIB);
      entities.put(mine, volume(mine, Optional.of(host)));
      String live = UUID.randomUUID().toString();
      String deleted = UUID.randomUUID().toString();
      real.snapshot(mine, live);
      real.snapshot(mine, deleted);
      liveSnapshots.add(live);
      java.util.List<java.nio.file.Path> leftovers = java.util.List.of(
          volumes.resolve(LibvirtPoolBackend.PARTIAL_PREFIX + UUID.randomUUID()),
          volumes.resolve(LibvirtPoolBackend.UPLOAD_PREFIX + mine));
      for (java.nio.file.Path f : leftovers) java.nio.file.Files.write(f, new byte[4096]);
      java.util.List<java.nio.file.Path> foreign = java.util.List.of(volumes.resolve("operator-notes.img"),
          volumes.resolve("nimbus-volume"), volumes.resolve("nimbus-partial"));
      for (java.nio.file.Path f : foreign) java.nio.file.Files.writeString(f, "not Nimbus's");
      java.nio.file.Path snapshotFile = volumes.resolve(LibvirtPoolBackend.SNAPSHOT_PREFIX + deleted);
      // an hour between reconciliations: only the one at start can remove them in time
      start(Duration.ofHours(1), real, Optional.empty());
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
        for (java.nio.file.Path f : leftovers) assertFalse(java.nio.file.Files.exists(f), f + " is a leftover");
        assertFalse(java.nio.file.Files.exists(snapshotFile), "a gone snapshot's file is an orphan");
        return null;
      });
      assertEquals(java.util.Set.of(live), real.snapshots(), "a live snapshot's file stays");
      assertEquals(java.util.Set.of(mine), real.volumes().keySet());
      for (java.nio.file.Path f : foreign) assertTrue(java.nio.file.Files.exists(f), f + " is not the agent's");
      org.junit.jupiter.api.Assertions.assertThrows(StorageException.class, () -> real.removeLeftover("operator-notes.img"));
      org.junit.jupiter.api.Assertions.assertThrows(StorageException.class,
          () -> real.removeLeftover(LibvirtPoolBackend.PARTIAL_PREFIX + "../../etc"));
    } finally {
      real.close();
      for (String command : new String[] {"pool-destroy", "pool-undefine"}) {
        new ProcessBuilder("virsh", "-c", "qemu:///system", command, pool).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      }
    }
  }

  @Test
  void anUploadAskedAgainAfterItsImageHasItsDataIsAnsweredAndAnotherFormatIsRefused() {
    ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1));
    String id = UUID.randomUUID().toString();
    TestProbe<StatusReply<String>> created = kit.createTestProbe();
    agent.tell(new StorageHostCommand.CreateVolume(id, 1, created.ref()));
    created.receiveMessage(Duration.ofSeconds(10));
    imagesWithData.add("img-done");
    TestProbe<StatusReply<Done>> answer = kit.createTestProbe();
    agent.tell(new StorageHostCommand.UploadToImage(id, "img-done", "raw", answer.ref()));
    assertTrue(answer.receiveMessage(Duration.ofSeconds(10)).isSuccess());
    assertTrue(uploaded.isEmpty(), "nothing uploaded again: " + uploaded);
    agent.tell(new StorageHostCommand.UploadToImage(id, "img-new", "qcow2", answer.ref()));
    assertTrue(answer.receiveMessage(Duration.ofSeconds(10)).isSuccess());
    assertEquals(java.util.List.of("img-new"), uploaded);
    agent.tell(new StorageHostCommand.UploadToImage(id, "img-vmdk", "vmdk", answer.ref()));
    StatusReply<Done> refused = answer.receiveMessage(Duration.ofSeconds(10));
    assertTrue(refused.isError());
    assertTrue(refused.getError().getMessage().contains("raw or qcow2"), refused.getError().getMessage());
  }

  /**
   * A step's ask ends before a long copy does, and the step asks again: the copy is not started
   * over, and the later asker hears its outcome (before, it went unanswered and the copy ran again
   * for every ask, forever when each took longer than an ask).
   */
  @Test
  void theSameCommandAskedAgainWhileItsWorkRunsIsAnsweredWithItsOutcomeAndNotRunTwice() {
    ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1));
    String id = UUID.randomUUID().toString();
    TestProbe<StatusReply<String>> created = kit.createTestProbe();
    agent.tell(new StorageHostCommand.CreateVolume(id, 1, created.ref()));
    created.receiveMessage(Duration.ofSeconds(10));
    uploadsGo = new java.util.concurrent.CountDownLatch(1);
    TestProbe<StatusReply<Done>> first = kit.createTestProbe();
    TestProbe<StatusReply<Done>> again = kit.createTestProbe();
    agent.tell(new StorageHostCommand.UploadToImage(id, "img-long", "raw", first.ref()));
    agent.tell(new StorageHostCommand.UploadToImage(id, "img-long", "raw", again.ref()));
    TestProbe<StatusReply<String>> other = kit.createTestProbe();
    agent.tell(new StorageHostCommand.ExportVolume(id, host, other.ref()));
    again.expectNoMessage(Duration.ofMillis(200));
    uploadsGo.countDown();
    assertTrue(first.receiveMessage(Duration.ofSeconds(10)).isSuccess());
    assertTrue(again.receiveMessage(Duration.ofSeconds(10)).isSuccess());
    assertEquals(java.util.List.of("img-long"), uploaded, "uploaded once");
    other.expectNoMessage(Duration.ofMillis(200)); // another command for the busy volume: its step asks again
  }

  private Volume attached(String id, String toHost) {
    Volume v = volume(id, Optional.of(host));
    return new Volume(id, v.projectId(), v.userId(), v.name(), v.description(), v.size(), Volume.IN_USE, v.metadata(),
        v.availabilityZone(), v.volumeType(), v.createdAt(), v.updatedAt(), v.quotaHeld(), v.targetSize(), v.stored(),
        v.host(), v.fault(), Optional.of(new nimbus.storage.VolumeAttachment("att-" + id, "server", Optional.of("/dev/vdb"),
            Optional.of(toHost), Optional.of(Instant.now()), false, "attached", "rw", Optional.empty(),
            Optional.empty(), Optional.empty())), v.snapshotId(), v.sourceVolid(), v.snapshots(),
        v.image(), v.bootable(), v.readonly(), v.upload(), v.backend(), v.retype());
  }

  /**
   * In a real {@code dir} pool of the system libvirtd, with real {@code qemu-storage-daemon}s on
   * loopback: a volume asked for by another host is exported over NBD (QEMU's client reads and
   * writes it); told an attachment is over, the agent stops the export of a volume no attachment
   * needs and keeps the others; a new agent (the old one gone, and a daemon with it) starts again
   * the daemon of a volume still attached elsewhere on its URI and stops an export nothing needs;
   * a removed volume's export goes with it.
   */
  @Test
  void aVolumeIsExportedOverNbdToAnotherHostAndOnlyTheExportsAttachmentsNeedAreKept(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    String pool = "nimbus-test-" + UUID.randomUUID().toString().substring(0, 8);
    NbdExports nbd = new NbdExports(dir.resolve("exports"), "127.0.0.1", NbdExportsTest.PORTS,
        new nimbus.node.agent.ProcessRunner(), () -> {});
    LibvirtPoolBackend files = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(dir.resolve("volumes")));
    try {
      ActorRef<StorageHostCommand> agent = start(Duration.ofHours(1), files, Optional.of(nbd));
      String kept = UUID.randomUUID().toString();
      String detached = UUID.randomUUID().toString();
      java.util.Map<String, nimbus.storage.NbdExport> export = new java.util.HashMap<>();
      for (String id : new String[] {kept, detached}) {
        entities.put(id, attached(id, "host-b"));
        TestProbe<StatusReply<String>> created = kit.createTestProbe();
        agent.tell(new StorageHostCommand.CreateVolume(id, 1, created.ref()));
        assertTrue(created.receiveMessage(Duration.ofSeconds(10)).isSuccess());
        TestProbe<StatusReply<String>> exported = kit.createTestProbe();
        agent.tell(new StorageHostCommand.ExportVolume(id, "host-b", exported.ref()));
        StatusReply<String> answer = exported.receiveMessage(Duration.ofSeconds(30));
        assertTrue(answer.isSuccess(), () -> answer.getError().getMessage());
        export.put(id, nimbus.storage.NbdExport.parse(answer.getValue()));
      }
      NbdExportsTest.io(export.get(kept), "write -P 0x4b 0 512");
      // attached to a server of its own host next: the export (and its lock on the file) goes first
      TestProbe<StatusReply<String>> local = kit.createTestProbe();
      agent.tell(new StorageHostCommand.ExportVolume(detached, host, local.ref()));
      assertTrue(local.receiveMessage(Duration.ofSeconds(10)).getValue().endsWith("nimbus-volume-" + detached),
          "its own host gets the file");
      assertEquals(java.util.Set.of(kept), nbd.volumes());
      assertFalse(NbdExportsTest.reachable(export.get(detached)));
      agent.tell(new StorageHostCommand.ExportVolume(detached, "host-b", local.ref()));
      export.put(detached, nimbus.storage.NbdExport.parse(local.receiveMessage(Duration.ofSeconds(30)).getValue()));

      // the compute host says an attachment is over: the agent reads the volumes again first
      entities.put(detached, volume(detached, Optional.of(host)));
      agent.tell(new StorageHostCommand.CheckExport(kept));
      agent.tell(new StorageHostCommand.CheckExport(detached));
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
        assertEquals(java.util.Set.of(kept), nbd.volumes(), "the detached volume's export is stopped, not the other");
        return null;
      });
      assertFalse(NbdExportsTest.reachable(export.get(detached)));
      // an export no volume needs (its volume gone while the agent was down): the next agent stops it
      String stale = UUID.randomUUID().toString();
      nbd.export(stale, dir.resolve("volumes/nimbus-volume-" + detached));

      // the storage host's agent goes, and the daemon with it; a new agent serves the export again at its start
      kit.stop(spawned);
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
        assertTrue(new ProcessBuilder("virsh", "-c", "qemu:///system", "pool-info", pool)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() != 0);
        return null;
      });
      long pid = Long.parseLong(java.nio.file.Files.readString(dir.resolve("exports/" + kept + ".pid")).strip());
      ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
      daemon.destroyForcibly();
      daemon.onExit().get();
      files = new LibvirtPoolBackend("qemu:///system", pool, Optional.of(dir.resolve("volumes")));
      agent = start(Duration.ofHours(1), files, Optional.of(nbd));
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
        assertTrue(nbd.running(kept));
        assertEquals(java.util.Set.of(kept), nbd.volumes(), "the stale export is stopped");
        return null;
      });
      assertTrue(NbdExportsTest.io(export.get(kept), "read -P 0x4b 0 512").contains("read 512/512"),
          "the same URI serves the same bytes");

      TestProbe<StatusReply<Done>> removed = kit.createTestProbe();
      agent.tell(new StorageHostCommand.RemoveVolume(kept, removed.ref()));
      assertTrue(removed.receiveMessage(Duration.ofSeconds(30)).isSuccess());
      assertEquals(java.util.Set.of(), nbd.volumes());
      assertFalse(NbdExportsTest.reachable(export.get(kept)));
      files.remove(detached);
    } finally {
      nbd.volumes().forEach(nbd::unexport);
      kit.stop(spawned);
      files.close();
      new ProcessBuilder("virsh", "-c", "qemu:///system", "pool-destroy", pool).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
  }
}
