package nimbus.node;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.node.storage.LibvirtPoolBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crafted-qcow2 attack through the whole API: on a node whose volumes are raw files in a real
 * libvirt dir pool ({@code qemu:///system}), a volume's bytes are written as a guest would write
 * its disk, as a qcow2 header naming a host file (once as its backing file, once as its external
 * data file). Then, through Cinder's HTTP API: a snapshot, a volume from the snapshot, a volume
 * from the volume, a backup restored into a new volume and an extend: every result must be the
 * volume's own bytes, and none may hold the host file's. An upload into a raw image is refused by
 * the image store's inspection (the bytes are a qcow2 naming a file), and no image remains. Any path that
 * let qemu or libvirt probe the volume's format would read the host file through the header and
 * fail here ({@code SystemPoolBackendTest} is the same at the backend's level;
 * {@code VolumeRetypeCephTest} moves such a volume to RBD and back).
 */
class CraftedVolumeApiTest {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String SECRET = "NIMBUS-HOST-SECRET-" + UUID.randomUUID();
  private static Api admin;
  private static Path data;
  private static Path imageStore;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(TestGuest.realHost(), (n, a) -> {
    admin = a;
    data = n.settings().dataDir();
    imageStore = n.settings().imageStore().dir();
  });
  @TempDir
  Path dir;

  @Test
  void aVolumeWhoseBytesAreAQcow2NamingAHostFileIsCopiedAndBackedUpAsItsOwnBytesAndRefusedAsAnImage() throws Exception {
    for (String reference : List.of("backing", "data-file")) {
      Path secret = dir.resolve("secret-" + reference);
      byte[] hostFile = (SECRET + "\n").repeat(1 << 14).getBytes(US_ASCII);
      Files.write(secret, hostFile);
      byte[] header = crafted(reference, secret);
      // written again after qemu-img made the header (it makes an external data file anew)
      Files.write(secret, hostFile);
      attack(header, reference);
    }
  }

  private void attack(byte[] header, String reference) throws Exception {
    String project = project();
    String volume = create(project, "{\"volume\": {\"size\": 1, \"name\": \"crafted-" + reference + "\"}}");
    Path file = volumeFile(volume);
    byte[] own = new byte[1 << 20];
    System.arraycopy(header, 0, own, 0, header.length);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(own));
    }
    List<Path> results = new ArrayList<>();

    Api.Reply snapped = admin.post(path(project, "/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, snapped.status(), snapped.raw());
    String snapshot = snapped.body().path("snapshot").path("id").asText();
    Eventually.until(WAIT, () -> admin.get(path(project, "/snapshots/" + snapshot)).body().path("snapshot")
        .path("status").asText().equals("available"));
    results.add(data.resolve("volumes").resolve(LibvirtPoolBackend.SNAPSHOT_PREFIX + snapshot));
    String fromSnapshot = create(project, "{\"volume\": {\"snapshot_id\": \"" + snapshot + "\"}}");
    results.add(volumeFile(fromSnapshot));
    String fromVolume = create(project, "{\"volume\": {\"source_volid\": \"" + volume + "\"}}");
    results.add(volumeFile(fromVolume));

    // declared raw, the bytes are a qcow2 naming a host file: the image store's inspection refuses
    // them, the image is removed and the volume is as it was
    Api.Reply uploaded = admin.post(path(project, "/volumes/" + volume + "/action"),
        "{\"os-volume_upload_image\": {\"image_name\": \"crafted-" + reference + "\", \"disk_format\": \"raw\"}}");
    assertEquals(202, uploaded.status(), uploaded.raw());
    String image = uploaded.body().path("os-volume_upload_image").path("image_id").asText();
    Eventually.until(WAIT, () -> admin.get("/image/v2/images/" + image).status() == 404);
    Path stored = imageStore.resolve("sha512");
    if (Files.isDirectory(stored)) {
      try (var files = Files.list(stored)) {
        for (Path f : files.toList()) {
          assertFalse(contains(f, SECRET.getBytes(US_ASCII)), reference + ": the image store's " + f + " holds the host file's bytes");
        }
      }
    }
    Eventually.until(WAIT, () -> available(project, volume));
    Api.Reply backedUp = admin.post(path(project, "/backups"), "{\"backup\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, backedUp.status(), backedUp.raw());
    String backup = backedUp.body().path("backup").path("id").asText();
    Eventually.until(WAIT, () -> {
      String status = admin.get(path(project, "/backups/" + backup)).body().path("backup").path("status").asText();
      if (status.equals("error")) throw new AssertionError("the backup failed");
      return status.equals("available");
    });
    Api.Reply restored = admin.post(path(project, "/backups/" + backup + "/restore"), "{\"restore\": {}}");
    assertEquals(202, restored.status(), restored.raw());
    String restoredVolume = restored.body().path("restore").path("volume_id").asText();
    Eventually.until(WAIT, () -> available(project, restoredVolume));
    results.add(volumeFile(restoredVolume));

    Eventually.until(WAIT, () -> available(project, volume));
    Api.Reply extended = admin.post(path(project, "/volumes/" + volume + "/action"), "{\"os-extend\": {\"new_size\": 2}}");
    assertEquals(202, extended.status(), extended.raw());
    Eventually.until(WAIT, () -> admin.get(path(project, "/volumes/" + volume)).body().path("volume").path("size").asInt() == 2
        && available(project, volume));
    assertEquals(2L << 30, Files.size(file), "the file itself grew, read as raw");
    results.add(file);

    for (Path result : results) {
      assertArrayEquals(own, head(result, own.length), reference + ": " + result + " is the volume's own bytes");
      assertFalse(contains(result, SECRET.getBytes(US_ASCII)), reference + ": " + result + " holds the host file's bytes");
    }
  }

  /** A qcow2 header, as qemu-img writes it, whose backing file or external data file is {@code secret}. */
  private byte[] crafted(String reference, Path secret) throws Exception {
    Path qcow2 = dir.resolve("crafted-" + reference + ".qcow2");
    List<String> command = reference.equals("backing")
        ? List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", qcow2.toString(), "1G")
        : List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + secret + ",data_file_raw=on",
            qcow2.toString(), "1G");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes(), US_ASCII);
    assertEquals(0, p.waitFor(), said);
    byte[] header = head(qcow2, 1 << 20);
    assertTrue(new String(header, US_ASCII).contains(secret.toString()), "the header names the host file");
    return header;
  }

  private static String project() {
    return admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
  }

  private static String path(String project, String rest) {
    return "/volume/v3/" + project + rest;
  }

  private static String create(String project, String body) {
    Api.Reply r = admin.post(path(project, "/volumes"), body);
    assertEquals(202, r.status(), r.raw());
    String id = r.body().path("volume").path("id").asText();
    Eventually.until(WAIT, () -> available(project, id));
    return id;
  }

  private static boolean available(String project, String id) {
    JsonNode v = admin.get(path(project, "/volumes/" + id)).body().path("volume");
    if (v.path("status").asText().startsWith("error")) throw new AssertionError("volume failed: " + v);
    return v.path("status").asText().equals("available");
  }

  private static Path volumeFile(String volume) {
    Path file = data.resolve("volumes").resolve(LibvirtPoolBackend.PREFIX + volume);
    assertTrue(Files.isRegularFile(file), "a file in the node's pool: " + file);
    return file;
  }

  private static byte[] head(Path file, int n) throws java.io.IOException {
    try (var in = Files.newInputStream(file)) {
      return in.readNBytes(n);
    }
  }

  /** Whether the file holds {@code needle} anywhere in its first 64 MiB (the bytes a copy would have taken). */
  private static boolean contains(Path file, byte[] needle) throws java.io.IOException {
    byte[] hay = head(file, 64 << 20);
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return true;
    }
    return false;
  }
}
