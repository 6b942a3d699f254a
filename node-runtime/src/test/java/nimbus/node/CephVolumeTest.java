package nimbus.node;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.agent.ServerOperations;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.hypervisor.DomainXml;
import nimbus.node.hypervisor.LibvirtHypervisor;
import nimbus.node.storage.CephTestCluster;
import nimbus.node.storage.RbdBackend;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes in a real one-node Ceph cluster ({@link CephTestCluster}, one for the class, closed
 * after its node): an all-in-one node whose storage host serves the backend {@code ceph} with
 * {@code storage-backend = rbd} makes a volume type's volumes, snapshots and copies as RBD images
 * through Cinder's API; and a real TCG guest ({@code NIMBUS_TEST_GUEST}) gets an RBD volume
 * hot-plugged as the host agent plugs it ({@link ServerOperations#attachVolume} with the storage
 * host's answer: the client's key defined as a libvirt secret from the host's keyring), reads the
 * bytes the volume was made with and writes its own, which the cluster then holds; an RBD volume is
 * backed up, incrementally, and each backup restores its bytes into a new RBD volume.
 */
class CephVolumeTest {
  private static final CephTestCluster CLUSTER = startCluster();
  private static Api admin;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.host.storage-backend", "rbd",
      "nimbus.host.volume-backend-name", "ceph",
      "nimbus.host.ceph.conf", CLUSTER.dir.resolve("ceph.conf").toString(),
      "nimbus.host.ceph.keyring", CLUSTER.dir.resolve("nimbus.keyring").toString()), (n, a) -> admin = a);
  @TempDir
  Path dir;

  private static CephTestCluster startCluster() {
    try {
      CephTestCluster cluster = CephTestCluster.start(Path.of(System.getProperty("java.io.tmpdir")));
      return cluster;
    } catch (Exception e) {
      throw new IllegalStateException("the Ceph test cluster did not start", e);
    }
  }

  @AfterAll
  static void stopClusterAfterTheNode() {
    NODE.closeAfter(CLUSTER);
  }

  @Test
  void aVolumeTypesVolumesSnapshotsAndCopiesAreImagesInTheCephPool() throws Exception {
    RbdBackend backend = CLUSTER.backend();
    String project = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String type = "ceph-" + UUID.randomUUID().toString().substring(0, 6);
    Api.Reply typed = admin.post("/volume/v3/" + project + "/types",
        "{\"volume_type\": {\"name\": \"" + type + "\", \"extra_specs\": {\"volume_backend_name\": \"ceph\"}}}");
    assertEquals(200, typed.status(), typed.raw());
    String volume = create(project, "{\"volume\": {\"size\": 1, \"volume_type\": \"" + type + "\"}}");
    awaitStatus(project, "volumes/" + volume, "volume", "available");
    assertEquals(1L << 30, backend.volumes().get(volume), "the volume is an image of its size in the pool");
    Api.Reply extended = admin.post("/volume/v3/" + project + "/volumes/" + volume + "/action", "{\"os-extend\": {\"new_size\": 2}}");
    assertEquals(202, extended.status(), extended.raw());
    awaitStatus(project, "volumes/" + volume, "volume", "available");
    Eventually.until(Duration.ofSeconds(30), () -> Long.valueOf(2L << 30).equals(backend.volumes().get(volume)));

    Api.Reply snapped = admin.post("/volume/v3/" + project + "/snapshots",
        "{\"snapshot\": {\"volume_id\": \"" + volume + "\", \"name\": \"s\"}}");
    assertEquals(202, snapped.status(), snapped.raw());
    String snapshot = snapped.body().path("snapshot").path("id").asText();
    awaitStatus(project, "snapshots/" + snapshot, "snapshot", "available");
    assertTrue(backend.snapshots().contains(snapshot), "an RBD snapshot of the volume's image");
    String fromSnapshot = create(project, "{\"volume\": {\"snapshot_id\": \"" + snapshot + "\"}}");
    awaitStatus(project, "volumes/" + fromSnapshot, "volume", "available");
    assertEquals(2L << 30, backend.volumes().get(fromSnapshot));

    for (String gone : List.of("volumes/" + fromSnapshot, "snapshots/" + snapshot, "volumes/" + volume)) {
      assertEquals(202, admin.delete("/volume/v3/" + project + "/" + gone).status(), gone);
      Eventually.until(Duration.ofSeconds(30), () -> admin.get("/volume/v3/" + project + "/" + gone).status() == 404);
    }
    Eventually.until(Duration.ofSeconds(30), () -> !backend.volumes().containsKey(volume)
        && !backend.volumes().containsKey(fromSnapshot) && !backend.snapshots().contains(snapshot));
  }

  @Test
  void anRbdVolumeIsBackedUpIncrementallyAndEachBackupRestoresItsBytesIntoANewVolume() throws Exception {
    RbdBackend backend = CLUSTER.backend();
    String project = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String volume = create(project, "{\"volume\": {\"size\": 1}}");
    awaitStatus(project, "volumes/" + volume, "volume", "available");
    // a qcow2 header naming a host file, then data in the next chunks: backed up and restored as bytes
    int chunk = nimbus.storage.BackupHostCommand.CHUNK_BYTES;
    byte[] first = new byte[3 * chunk];
    new java.util.Random(3).nextBytes(first);
    Path hostile = dir.resolve("hostile.qcow2");
    new ProcessRunner().run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw",
        hostile.toString(), "1M"), Duration.ofMinutes(1));
    byte[] header = Files.readAllBytes(hostile);
    java.util.Arrays.fill(first, 0, chunk, (byte) 0);
    System.arraycopy(header, 0, first, 0, Math.min(header.length, chunk));
    writeVolume(volume, first);
    String full = backup(project, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"name\": \"full\"}}");

    byte[] second = first.clone();
    byte[] changed = new byte[4096];
    new java.util.Random(4).nextBytes(changed);
    System.arraycopy(changed, 0, second, 2 * chunk + 8192, changed.length);
    writeVolume(volume, second);
    String incremental = backup(project, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"incremental\": true}}");
    assertTrue(admin.get("/volume/v3/" + project + "/backups/" + incremental).body().path("backup")
        .path("is_incremental").asBoolean());

    for (var expected : Map.of(full, first, incremental, second).entrySet()) {
      Api.Reply restored = admin.post("/volume/v3/" + project + "/backups/" + expected.getKey() + "/restore", "{\"restore\": {}}");
      assertEquals(202, restored.status(), restored.raw());
      String into = restored.body().path("restore").path("volume_id").asText();
      // the backup is restoring until its volume is written and freed
      awaitStatus(project, "backups/" + expected.getKey(), "backup", "available");
      awaitStatus(project, "volumes/" + into, "volume", "available");
      assertEquals(1L << 30, backend.volumes().get(into), "restored into an image of the pool");
      Path bytes = backend.exportImage(into, "raw");
      try (var in = Files.newInputStream(bytes)) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.getValue(), in.readNBytes(expected.getValue().length),
            "backup " + expected.getKey() + "'s bytes, the qcow2 header among them, as they were");
        byte[] rest = in.readAllBytes();
        assertEquals((1L << 30) - expected.getValue().length, rest.length);
        assertTrue(java.util.stream.IntStream.range(0, rest.length).allMatch(i -> rest[i] == 0), "zeros after");
      } finally {
        Files.deleteIfExists(bytes);
      }
      assertEquals(202, admin.delete("/volume/v3/" + project + "/volumes/" + into).status());
    }
    for (String gone : List.of("backups/" + incremental, "backups/" + full, "volumes/" + volume)) {
      awaitGone(project, gone);
    }
  }

  /** Writes {@code bytes} at the volume's start with qemu-img, told raw. */
  private void writeVolume(String volume, byte[] bytes) throws Exception {
    Path raw = dir.resolve("write-" + UUID.randomUUID());
    Files.write(raw, bytes);
    new ProcessRunner().run(List.of("qemu-img", "convert", "-q", "-n", "-f", "raw", "-O", "raw", raw.toString(),
        CLUSTER.commands().qemu(nimbus.node.storage.LibvirtPoolBackend.PREFIX + volume)), Duration.ofMinutes(1));
  }

  private static String backup(String project, String body) {
    Api.Reply r = admin.post("/volume/v3/" + project + "/backups", body);
    assertEquals(202, r.status(), r.raw());
    String id = r.body().path("backup").path("id").asText();
    awaitStatus(project, "backups/" + id, "backup", "available");
    return id;
  }

  /** Deletes the resource and waits until it is gone. */
  private static void awaitGone(String project, String path) {
    assertEquals(202, admin.delete("/volume/v3/" + project + "/" + path).status(), path);
    Eventually.until(Duration.ofSeconds(60), () -> admin.get("/volume/v3/" + project + "/" + path).status() == 404);
  }

  private static String create(String project, String body) {
    Api.Reply r = admin.post("/volume/v3/" + project + "/volumes", body);
    assertEquals(202, r.status(), r.raw());
    return r.body().path("volume").path("id").asText();
  }

  private static void awaitStatus(String project, String path, String kind, String status) {
    Eventually.until(Duration.ofSeconds(60), () -> {
      com.fasterxml.jackson.databind.JsonNode v = admin.get("/volume/v3/" + project + "/" + path).body().path(kind);
      if (v.path("status").asText().startsWith("error")) throw new AssertionError(path + " failed: " + v);
      return v.path("status").asText().equals(status);
    });
  }

  @Test
  void aGuestReadsAndWritesAnRbdVolumeHotPluggedThroughTheSecret() throws Exception {
    Path guest = TestGuest.dir();
    CephTestCluster cluster = CLUSTER;
    try (LibvirtHypervisor hypervisor = new LibvirtHypervisor("qemu:///system")) {
      RbdBackend backend = cluster.backend();
      // the node's volume (its storage host removes images no volume of its own has)
      String project = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
      String volume = create(project, "{\"volume\": {\"size\": 1}}");
      awaitStatus(project, "volumes/" + volume, "volume", "available");
      Path raw = dir.resolve("marker.raw");
      Files.write(raw, java.util.Arrays.copyOf("NIMBUS-FROM-HOST".getBytes(US_ASCII), 1 << 20));
      new ProcessRunner().run(List.of("qemu-img", "convert", "-q", "-n", "-f", "raw", "-O", "raw", raw.toString(),
          cluster.commands().qemu(nimbus.node.storage.LibvirtPoolBackend.PREFIX + volume)), Duration.ofMinutes(1));

      String server = UUID.randomUUID().toString();
      String name = "nimbus-" + server;
      Path console = dir.resolve("console.log");
      hypervisor.define(name, DomainXml.of(new DomainSpec(name, server, "qemu", 1, 256, Optional.of(guest.resolve("vmlinuz")),
          Optional.of(guest.resolve("initrd.img")), "console=ttyS0", Optional.empty(), console, List.of())));
      try {
        hypervisor.start(name);
        Eventually.until(Duration.ofSeconds(90), () -> Files.exists(console) && Files.readString(console).contains("GUEST-READY"));
        // only the agent's path is used: the rest of a host's operations stays out of it
        ServerOperations operations = new ServerOperations(hypervisor, null, new ProcessRunner(), null, null, null,
            Optional.of(cluster.dir.resolve("nimbus.keyring")));
        operations.attachVolume(server, volume, backend.path(volume), "/dev/vdb");
        assertTrue(hypervisor.definition(name).orElseThrow().contains("protocol='rbd'"));
        String serial = volume.substring(0, 20);
        TestGuest.typeInto(hypervisor.definition(name).orElseThrow(),
            "while ! grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done;"
                + " d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4); echo READ-$(head -c 16 /dev/$d);"
                + " echo NIMBUS-FROM-GUEST > /dev/$d; sync; echo WROTE-$((6*7))",
            Duration.ofSeconds(60), () -> Files.readString(console).contains("WROTE-42"));
        assertTrue(Files.readString(console).contains("READ-NIMBUS-FROM-HOST"), TestGuest.said(Files.readString(console)));
      } finally {
        hypervisor.remove(name);
      }
      Path written = backend.exportImage(volume, "raw");
      try (var in = Files.newInputStream(written)) {
        assertEquals("NIMBUS-FROM-GUEST", new String(in.readNBytes(17), US_ASCII), "the guest's write is in the cluster");
      } finally {
        Files.deleteIfExists(written);
        new ProcessBuilder("virsh", "-c", "qemu:///system", "secret-undefine", DomainXml.cephSecretUuid("nimbus").toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start().waitFor();
      }
      assertEquals(202, admin.delete("/volume/v3/" + project + "/volumes/" + volume).status());
    }
  }
}
