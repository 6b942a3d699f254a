package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import nimbus.node.storage.CephTestCluster;
import nimbus.node.storage.LibvirtPoolBackend;
import nimbus.node.storage.RbdBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A volume retyped between two real backends through Cinder's API: the all-in-one node's storage
 * host serves {@code ceph} (a real one-node Ceph cluster, {@link CephTestCluster}), a joined node's
 * serves {@code files} (raw files in a libvirt dir pool of {@code qemu:///system}) with its own
 * Ceph client. A volume of the files type, its file written with bytes (a qcow2 header among
 * them, which must stay bytes), moves to RBD ({@code migration_policy on-demand}) and back, and
 * each time the new backend holds exactly those bytes and the old one holds the volume no more. A
 * backup of a file volume restores into an RBD volume (the files host writes the image with its own
 * Ceph client); the reverse, a file of another host than the chunks', fails into {@code error_restoring}.
 */
class VolumeRetypeCephTest {
  private static final CephTestCluster CLUSTER = startCluster();
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static Api admin;
  private static Path filesData;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.host.storage-backend", "rbd",
      "nimbus.host.volume-backend-name", "ceph",
      "nimbus.host.ceph.conf", CLUSTER.dir.resolve("ceph.conf").toString(),
      "nimbus.host.ceph.keyring", CLUSTER.dir.resolve("nimbus.keyring").toString()), (n, a) -> admin = a)
      .joinedBy("files", dir -> {
        filesData = dir;
        return Map.of("nimbus.roles", java.util.List.of("compute"), "nimbus.host.name", "files-host",
            "nimbus.host.hypervisor-uri", "qemu:///system", "nimbus.host.domain-type", "qemu",
            "nimbus.host.volume-backend-name", "files",
            "nimbus.host.ceph.conf", CLUSTER.dir.resolve("ceph.conf").toString(),
            "nimbus.host.ceph.keyring", CLUSTER.dir.resolve("nimbus.keyring").toString());
      });

  private static CephTestCluster startCluster() {
    try {
      return CephTestCluster.start(Path.of(System.getProperty("java.io.tmpdir")));
    } catch (Exception e) {
      throw new IllegalStateException("the Ceph test cluster did not start", e);
    }
  }

  @AfterAll
  static void stopClusterAfterTheNodes() {
    NODE.closeAfter(CLUSTER);
  }

  @Test
  void aVolumeMovesFromFilesToRbdAndBackWithItsBytes() throws Exception {
    RbdBackend ceph = CLUSTER.backend();
    String project = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String suffix = typesOfBothBackends(project);
    String volume = createOnceServed(project, "files-" + suffix);
    Path file = filesData.resolve("volumes").resolve(LibvirtPoolBackend.PREFIX + volume);
    assertTrue(Files.isRegularFile(file), "the volume is a file of the files host");
    byte[] written = writeAsAGuest(file, 4 << 20, 42);

    retype(project, volume, "ceph-" + suffix);
    JsonNode onCeph = await(project, volume, v -> v.path("volume_type").asText().equals("ceph-" + suffix)
        && v.path("status").asText().equals("available"));
    assertEquals("success", onCeph.path("migration_status").asText(), onCeph.toString());
    assertEquals(1L << 30, ceph.volumes().get(volume), "an image of the volume's size in the pool");
    Path exported = ceph.exportImage(volume, "raw");
    try {
      assertArrayEquals(written, head(exported, written.length), "the image holds the file's bytes, raw");
      assertEquals(1L << 30, Files.size(exported));
    } finally {
      Files.deleteIfExists(exported);
    }
    Eventually.until(WAIT, () -> !Files.exists(file));

    retype(project, volume, "files-" + suffix);
    JsonNode back = await(project, volume, v -> v.path("volume_type").asText().equals("files-" + suffix)
        && v.path("status").asText().equals("available"));
    assertEquals("success", back.path("migration_status").asText(), back.toString());
    assertArrayEquals(written, head(file, written.length), "the file holds the image's bytes, raw");
    assertEquals(1L << 30, Files.size(file));
    Eventually.until(WAIT, () -> !ceph.volumes().containsKey(volume));

    assertEquals(202, admin.delete("/volume/v3/" + project + "/volumes/" + volume).status());
    Eventually.until(WAIT, () -> admin.get("/volume/v3/" + project + "/volumes/" + volume).status() == 404);
    assertFalse(Files.exists(file));
  }

  @Test
  void aFileVolumesBackupRestoresIntoAnRbdVolumeAndNotTheReverseAcrossHosts() throws Exception {
    RbdBackend ceph = CLUSTER.backend();
    String project = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String suffix = typesOfBothBackends(project);
    String fileVolume = createOnceServed(project, "files-" + suffix);
    Path file = filesData.resolve("volumes").resolve(LibvirtPoolBackend.PREFIX + fileVolume);
    byte[] written = writeAsAGuest(file, 6 << 20, 43);
    String ofFile = backup(project, fileVolume);

    // the files host holds the chunks and writes them into the image with its own Ceph client
    String rbdVolume = createOnceServed(project, "ceph-" + suffix);
    restore(project, ofFile, rbdVolume);
    awaitBackup(project, ofFile);
    await(project, rbdVolume, v -> v.path("status").asText().equals("available"));
    Path exported = ceph.exportImage(rbdVolume, "raw");
    try {
      assertArrayEquals(written, head(exported, written.length), "the image holds the file's bytes, raw");
    } finally {
      Files.deleteIfExists(exported);
    }

    // the ceph host's chunks cannot reach a file of the files host: the restore fails, the backup stays whole
    String ofImage = backup(project, rbdVolume);
    restore(project, ofImage, fileVolume);
    awaitBackup(project, ofImage);
    Eventually.until(WAIT, () -> admin.get("/volume/v3/" + project + "/volumes/" + fileVolume).body().path("volume")
        .path("status").asText().equals("error_restoring"));
    assertArrayEquals(written, head(file, written.length), "the file is untouched");

    for (String gone : new String[] {"backups/" + ofImage, "backups/" + ofFile, "volumes/" + rbdVolume,
        "volumes/" + fileVolume}) {
      assertEquals(202, admin.delete("/volume/v3/" + project + "/" + gone).status(), gone);
      Eventually.until(WAIT, () -> admin.get("/volume/v3/" + project + "/" + gone).status() == 404);
    }
  }

  /** Makes a type of each backend, {@code files-<suffix>} and {@code ceph-<suffix>}; answers the suffix. */
  private static String typesOfBothBackends(String project) {
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    for (String backend : new String[] {"files", "ceph"}) {
      Api.Reply typed = admin.post("/volume/v3/" + project + "/types", "{\"volume_type\": {\"name\": \"" + backend + "-"
          + suffix + "\", \"extra_specs\": {\"volume_backend_name\": \"" + backend + "\"}}}");
      assertEquals(200, typed.status(), typed.raw());
    }
    return suffix;
  }

  /**
   * Writes {@code size} bytes at the file's start as a guest writes its disk: random bytes (from
   * {@code seed}) with a qcow2 header naming a host file at the start, which must stay only bytes.
   */
  private static byte[] writeAsAGuest(Path file, int size, long seed) throws Exception {
    byte[] written = new byte[size];
    new Random(seed).nextBytes(written);
    byte[] header = qcow2Naming(Path.of("/etc/shadow"));
    System.arraycopy(header, 0, written, 0, header.length);
    try (var out = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      out.write(java.nio.ByteBuffer.wrap(written));
    }
    return written;
  }

  private static String backup(String project, String volume) {
    Api.Reply r = admin.post("/volume/v3/" + project + "/backups", "{\"backup\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, r.status(), r.raw());
    String id = r.body().path("backup").path("id").asText();
    awaitBackup(project, id);
    return id;
  }

  private static void restore(String project, String backup, String volume) {
    Api.Reply r = admin.post("/volume/v3/" + project + "/backups/" + backup + "/restore",
        "{\"restore\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, r.status(), r.raw());
  }

  /** Waits until the backup is available (made, or its restore over). */
  private static void awaitBackup(String project, String backup) {
    Eventually.until(WAIT, () -> {
      JsonNode b = admin.get("/volume/v3/" + project + "/backups/" + backup).body().path("backup");
      if (b.path("status").asText().equals("error")) throw new AssertionError("backup failed: " + b);
      return b.path("status").asText().equals("available");
    });
  }

  /**
   * A volume of the type, once a storage host of its backend is known cluster-wide: the joined
   * node's host is ready before the cluster's receptionist tells every node of it, and a create
   * meanwhile is Cinder's "No valid backend" (the volume in {@code error}, deleted here).
   */
  private static String createOnceServed(String project, String type) {
    return Eventually.await(WAIT, () -> {
      Api.Reply created = admin.post("/volume/v3/" + project + "/volumes",
          "{\"volume\": {\"size\": 1, \"volume_type\": \"" + type + "\"}}");
      assertEquals(202, created.status(), created.raw());
      String volume = created.body().path("volume").path("id").asText();
      String status = Eventually.await(WAIT, () -> {
        String s = admin.get("/volume/v3/" + project + "/volumes/" + volume).body().path("volume").path("status").asText();
        return s.equals("creating") ? null : s;
      });
      if (status.equals("available")) return volume;
      assertEquals(202, admin.delete("/volume/v3/" + project + "/volumes/" + volume).status());
      return null;
    });
  }

  private static void retype(String project, String volume, String type) {
    Api.Reply r = admin.post("/volume/v3/" + project + "/volumes/" + volume + "/action",
        "{\"os-retype\": {\"new_type\": \"" + type + "\", \"migration_policy\": \"on-demand\"}}");
    assertEquals(202, r.status(), r.raw());
  }

  private static JsonNode await(String project, String volume, java.util.function.Predicate<JsonNode> done) {
    return Eventually.await(WAIT, () -> {
      JsonNode v = admin.get("/volume/v3/" + project + "/volumes/" + volume).body().path("volume");
      if (v.path("status").asText().startsWith("error") || v.path("migration_status").asText().equals("error")) {
        throw new AssertionError("volume failed: " + v);
      }
      return done.test(v) ? v : null;
    });
  }

  /** A qcow2 header whose backing file is the host file {@code secret}, as qemu-img writes one. */
  private static byte[] qcow2Naming(Path secret) throws Exception {
    Path crafted = Files.createTempFile("crafted", ".qcow2");
    try {
      Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw",
          crafted.toString(), "1G").redirectErrorStream(true).start();
      assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
      return head(crafted, 64 << 10);
    } finally {
      Files.deleteIfExists(crafted);
    }
  }

  private static byte[] head(Path file, int n) throws java.io.IOException {
    try (var in = Files.newInputStream(file)) {
      return in.readNBytes(n);
    }
  }
}
