package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.StoredFile;
import nimbus.testing.TestImages;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of OSSA-2024-001 against an all-in-one node, as a tenant would make it: a qcow2
 * whose backing file is one of the node's secrets (its token keys), uploaded, booted and
 * snapshotted so that the snapshot would carry the secret out; and its variants. Each is refused
 * at upload with Glance's 400, and one that got into the store another way is refused again by
 * the host. No byte of the secret reaches any image, disk or cached file.
 */
class CraftedImageTest {
  private static final String IMAGES = "/image/v2/images";
  @TempDir
  static Path data;
  private static Node node;
  private static Api admin;
  private static Api tenant;
  private static Path secret;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    admin = a;
    admin.createUserInProject("mallory", "mallory-password", "evil", "member");
    tenant = admin.as("mallory", "mallory-password", "evil");
    secret = node.settings().dataDir().resolve("token-keys");
  });

  /** A 1 MiB qcow2 made with these further options, as the attacker makes it. */
  private static Path qemuImg(String name, String... options) {
    List<String> all = new ArrayList<>(List.of("-f", "qcow2"));
    all.addAll(List.of(options));
    return TestImages.create(data.resolve(name), "1M", all.toArray(String[]::new));
  }

  /** Uploads the file as the format; answers Glance's refusal message. */
  private static String refusedUpload(Path file, String diskFormat) throws Exception {
    String id = tenant.createImage(file.getFileName().toString(), diskFormat);
    Api.Reply r = tenant.putBytes(IMAGES + "/" + id + "/file", Files.readAllBytes(file));
    assertEquals(400, r.status(), r.raw());
    assertEquals(400, r.body().path("code").asInt(), "Glance's error format: " + r.raw());
    assertEquals("queued", tenant.get(IMAGES + "/" + id).body().path("status").asText(), "nothing was stored");
    return r.body().path("message").asText();
  }

  @Test
  void craftedImagesAreRefusedAtUpload() throws Exception {
    assertTrue(Files.size(secret) > 0, "the node has token keys to steal");
    assertEquals("qcow2 image has a backing file",
        refusedUpload(qemuImg("leak.qcow2", "-u", "-F", "raw", "-b", secret.toString()), "qcow2"));
    assertEquals("qcow2 image has a backing file", refusedUpload(qemuImg("net.qcow2", "-u", "-F", "raw", "-b",
        "json:{\"driver\": \"http\", \"url\": \"http://127.0.0.1:9/\"}"), "qcow2"));
    assertEquals("qcow2 image has an external data file",
        refusedUpload(qemuImg("data.qcow2", "-o", "data_file=" + data.resolve("data.raw") + ",data_file_raw=on"), "qcow2"));
    Path raw = Files.write(data.resolve("raw.img"), new byte[65536]);
    assertEquals("Image content is raw, not the declared disk format qcow2", refusedUpload(raw, "qcow2"));
    assertEquals("Image content is qcow2, not the declared disk format raw",
        refusedUpload(qemuImg("disguised.qcow2", "-u", "-F", "raw", "-b", secret.toString()), "raw"));
    assertNoImageHoldsTheSecret();
  }

  /**
   * A crafted file that reached the store without the upload's check (from a version before it):
   * the host looks at it again before qemu-img or QEMU opens it, and the server fails instead.
   */
  @Test
  void aCraftedFileAlreadyInTheStoreIsRefusedByTheHost() throws Exception {
    Path crafted = qemuImg("planted.qcow2", "-u", "-F", "raw", "-b", secret.toString());
    byte[] bytes = Files.readAllBytes(crafted);
    String sha512 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
    String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    Files.write(node.settings().imageStore().dir().resolve("sha512").resolve(sha512), bytes);
    String imageId = tenant.createImage("planted", "qcow2");
    var image = ClusterSharding.get(node.system()).entityRefFor(ImageEntity.TYPE_KEY, imageId);
    image.<Image>askWithStatus(ImageEntity.BeginUpload::new, Duration.ofSeconds(5)).toCompletableFuture().get();
    image.<Image>askWithStatus(r -> new ImageEntity.FinishUpload(new StoredFile(sha512, md5, bytes.length), r),
        Duration.ofSeconds(5)).toCompletableFuture().get();

    Api.Reply created = tenant.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"thief\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"1\"}}");
    assertEquals(202, created.status(), created.raw());
    String id = created.body().path("server").path("id").asText();
    tenant.awaitStatus(id, "ERROR", Duration.ofSeconds(30));
    JsonNode server = admin.server(id); // Nova shows the host's reason to admins only
    assertTrue(server.path("fault").path("message").asText().contains("qcow2 image has a backing file"), server.toString());
    assertFalse(Files.exists(node.settings().host().instancesDir().resolve(id).resolve("disk")),
        "no overlay was built over it");
    assertEquals(409, tenant.post("/compute/v2.1/servers/" + id + "/action",
        "{\"createImage\": {\"name\": \"leak\"}}").status(), "an errored server takes no snapshot");
    assertNoImageHoldsTheSecret();
  }

  /** Neither the store, nor any host file, nor any disk holds the secret's bytes. */
  private static void assertNoImageHoldsTheSecret() throws Exception {
    String key = Files.readString(secret, StandardCharsets.ISO_8859_1).strip().lines().findFirst().orElseThrow();
    for (Path root : List.of(node.settings().imageStore().dir(), node.settings().host().instancesDir())) {
      if (!Files.isDirectory(root)) continue;
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertFalse(Files.readString(f, StandardCharsets.ISO_8859_1).contains(key), "the secret is in " + f);
        }
      }
    }
  }
}
