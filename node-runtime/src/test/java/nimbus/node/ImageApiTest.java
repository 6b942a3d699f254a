package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The image service (Glance v2) of an all-in-one node over real HTTP: the image lifecycle, the
 * file's streamed upload and download with its hashes, lists, JSON patches, tenants, bad input,
 * and a server booted from an uploaded image.
 */
class ImageApiTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String IMAGES = "/image/v2/images";
  private static Node node;
  private static Api admin;
  // bodies up to 2 MiB: one test sends a megabyte of tags (to show they cost nothing much)
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.image-store.max-image-size", "8MiB",
      "nimbus.image-store.sweep-interval", "300ms", "nimbus.image-store.keep-unreferenced", "2s",
      "nimbus.api.max-body-bytes", 2 * 1024 * 1024), (n, a) -> {
    node = n;
    admin = a;
  });

  private static JsonNode create(Api api, String body) {
    Api.Reply r = api.post(IMAGES, body);
    assertEquals(201, r.status(), r.raw());
    return r.body();
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String hex(String algorithm, byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
  }

  @Test
  void anUploadedFileComesBackWithGlancesHashes() throws Exception {
    JsonNode image = create(admin, "{\"name\": \"blob\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}");
    String id = image.path("id").asText();
    assertEquals("queued", image.path("status").asText());
    assertEquals("shared", image.path("visibility").asText(), "Glance's default visibility");
    assertTrue(image.path("size").isNull());
    assertEquals(204, admin.getBytes(IMAGES + "/" + id + "/file").statusCode(), "no data yet");

    byte[] bytes = random(3_000_000, 1);
    assertEquals(204, admin.putBytes(IMAGES + "/" + id + "/file", bytes).status());
    JsonNode active = admin.get(IMAGES + "/" + id).body();
    assertEquals("active", active.path("status").asText());
    assertEquals(bytes.length, active.path("size").asLong());
    assertEquals(hex("MD5", bytes), active.path("checksum").asText());
    assertEquals("sha512", active.path("os_hash_algo").asText());
    assertEquals(hex("SHA-512", bytes), active.path("os_hash_value").asText());

    var download = admin.getBytes(IMAGES + "/" + id + "/file");
    assertEquals(200, download.statusCode());
    assertArrayEquals(bytes, download.body());
    assertEquals(hex("MD5", bytes), download.headers().firstValue("Content-MD5").orElse(""));
    assertEquals(409, admin.putBytes(IMAGES + "/" + id + "/file", bytes).status(), "an active image keeps its file");
  }

  @Test
  void anUploadOverTheLimitIsRefusedAndTheImageStaysQueued() {
    String id = create(admin, "{\"name\": \"huge\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}")
        .path("id").asText();
    Api.Reply refused = admin.putBytes(IMAGES + "/" + id + "/file", new byte[9 * 1024 * 1024]);
    assertEquals(413, refused.status(), refused.raw());
    assertEquals(413, refused.body().path("code").asInt(), "Glance's error format");
    assertEquals("queued", admin.get(IMAGES + "/" + id).body().path("status").asText());
    assertEquals(204, admin.putBytes(IMAGES + "/" + id + "/file", new byte[1024]).status(), "a second upload works");
  }

  @Test
  void anUploadCutOffMidwayLeavesTheImageQueuedAndNoPartialFile() throws Exception {
    String id = create(admin, "{\"name\": \"cut-off\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}")
        .path("id").asText();
    java.net.URI api = java.net.URI.create(node.apiUrl());
    try (java.net.Socket socket = new java.net.Socket(api.getHost(), api.getPort())) {
      var out = socket.getOutputStream();
      out.write(("PUT " + IMAGES + "/" + id + "/file HTTP/1.1\r\nHost: " + api.getHost() + "\r\nX-Auth-Token: "
          + admin.token() + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 4000000\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.write(random(500_000, 3));
      out.flush();
      Eventually.until(WAIT, () -> admin.get(IMAGES + "/" + id).body().path("status").asText().equals("saving"));
    } // the client goes away with most of the file unsent
    Eventually.until(WAIT, () -> admin.get(IMAGES + "/" + id).body().path("status").asText().equals("queued"));
    Path store = node.settings().imageStore().dir();
    Eventually.until(WAIT, () -> {
      try (var partial = Files.list(store.resolve("incoming"))) {
        return partial.findAny().isEmpty();
      }
    });
    assertEquals(204, admin.putBytes(IMAGES + "/" + id + "/file", random(1000, 4)).status(), "it takes a new upload");
  }

  /** Glance's limits on what one image may collect, with its 413; a huge tag list costs nothing much. */
  @Test
  void tagsAndMembersStopAtGlancesLimits() {
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 129; i++) many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    Api.Reply tooMany = admin.post(IMAGES, "{\"name\": \"tagged\", \"tags\": " + many + "]}");
    assertEquals(413, tooMany.status(), tooMany.raw());
    String repeated = "[" + "\"same\",".repeat(50_000) + "\"same\"]";
    JsonNode once = create(admin, "{\"name\": \"repeated\", \"tags\": " + repeated + "}");
    assertEquals(List.of("same"), List.of(once.path("tags").get(0).asText()));
    assertEquals(1, once.path("tags").size());
    String id = once.path("id").asText();
    for (int i = 1; i < 128; i++) assertEquals(204, admin.put(IMAGES + "/" + id + "/tags/t" + i).status());
    assertEquals(413, admin.put(IMAGES + "/" + id + "/tags/one-more").status());

    String shared = create(admin, "{\"name\": \"popular\", \"visibility\": \"shared\"}").path("id").asText();
    for (int i = 0; i < 128; i++) {
      assertEquals(200, admin.post(IMAGES + "/" + shared + "/members", "{\"member\": \"p" + i + "\"}").status());
    }
    Api.Reply member = admin.post(IMAGES + "/" + shared + "/members", "{\"member\": \"p128\"}");
    assertEquals(413, member.status(), member.raw());
    assertEquals(413, member.body().path("code").asInt(), "Glance's error format: " + member.raw());
  }

  @Test
  void listsFilterAndPage() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(create(admin, "{\"name\": \"page-" + tag + "-" + i + "\", \"visibility\": \"private\"}").path("id").asText());
    }
    Eventually.until(WAIT, () -> admin.get(IMAGES + "?name=page-" + tag + "-4").body().path("images").size() == 1);
    JsonNode one = admin.get(IMAGES + "?name=page-" + tag + "-2").body().path("images");
    assertEquals(1, one.size());
    assertEquals(ids.get(2), one.get(0).path("id").asText());

    List<String> seen = new ArrayList<>();
    String next = IMAGES + "?visibility=private&status=queued&limit=2";
    while (next != null) {
      JsonNode page = admin.get(next).body();
      assertTrue(page.path("images").size() <= 2);
      page.path("images").forEach(i -> seen.add(i.path("id").asText()));
      next = page.has("next") ? "/image" + page.path("next").asText() : null;
    }
    assertTrue(seen.containsAll(ids), "every page together holds every image");
    assertEquals(seen.size(), seen.stream().distinct().count(), "no image on two pages");
    assertEquals(400, admin.get(IMAGES + "?marker=" + UUID.randomUUID()).status());
    assertEquals(400, admin.get(IMAGES + "?limit=many").status());
  }

  /** Glance filters on any custom property; Nova's proxy on a snapshot's server and type, which are properties. */
  @Test
  void listsFilterOnCustomPropertiesInGlanceAndNovasProxy() {
    String server = UUID.randomUUID().toString();
    String snapshot = create(admin, "{\"name\": \"snap-of-" + server + "\", \"instance_uuid\": \"" + server
        + "\", \"image_type\": \"snapshot\", \"hw_disk_bus\": \"scsi\"}").path("id").asText();
    String plain = create(admin, "{\"name\": \"plain-" + server + "\", \"hw_disk_bus\": \"scsi\"}").path("id").asText();
    Eventually.until(WAIT, () -> admin.get(IMAGES + "?instance_uuid=" + server).body().path("images").size() == 1);
    assertEquals(snapshot, admin.get(IMAGES + "?instance_uuid=" + server).body().path("images").get(0).path("id").asText());
    List<String> scsi = admin.get(IMAGES + "?hw_disk_bus=scsi&limit=1000").body().path("images").findValuesAsText("id");
    assertTrue(scsi.containsAll(List.of(snapshot, plain)), scsi.toString());
    assertTrue(admin.get(IMAGES + "?hw_disk_bus=ide&instance_uuid=" + server).body().path("images").isEmpty());

    String compute = "/compute/v2.1/images";
    assertEquals(List.of(snapshot), admin.get(compute + "?server=" + server).body().path("images").findValuesAsText("id"));
    // a detailed image names its server ({"server": {"id": ...}}): count the images, then read the one's id
    JsonNode byLink = admin.get(compute + "/detail?server=" + java.net.URLEncoder.encode(
        "http://nimbus.example/compute/v2.1/servers/" + server, java.nio.charset.StandardCharsets.UTF_8))
        .body().path("images");
    assertEquals(1, byLink.size(), "a server's link names it too: " + byLink);
    assertEquals(snapshot, byLink.get(0).path("id").asText());
    List<String> snapshots = admin.get(compute + "?type=snapshot").body().path("images").findValuesAsText("id");
    assertTrue(snapshots.contains(snapshot) && !snapshots.contains(plain), snapshots.toString());
    assertEquals(List.of(snapshot), admin.get(compute + "?property-instance_uuid=" + server).body().path("images")
        .findValuesAsText("id"));
  }

  /** What tempest's ListUserImagesTest and BasicOperationsImagesTest ask of a list and an image. */
  @Test
  void listsSortAndFilterBySizeAndImagesDeactivate() {
    String tag = "sized-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> ids = new ArrayList<>();
    for (int size : new int[] {3000, 1000, 2000}) {
      String id = create(admin, "{\"disk_format\": \"raw\", \"container_format\": \"bare\", \"tags\": [\"" + tag + "\"]}")
          .path("id").asText();
      assertEquals(204, admin.putBytes(IMAGES + "/" + id + "/file", random(size, size)).status());
      ids.add(id);
    }
    List<Long> sizes = new ArrayList<>();
    admin.get(IMAGES + "?tag=" + tag + "&sort=size:desc").body().path("images").forEach(i -> sizes.add(i.path("size").asLong()));
    assertEquals(List.of(3000L, 2000L, 1000L), sizes);
    JsonNode between = admin.get(IMAGES + "?tag=" + tag + "&size_min=1500&size_max=2500").body().path("images");
    assertEquals(1, between.size());
    assertEquals(ids.get(2), between.get(0).path("id").asText());

    String id = ids.get(0);
    Api.Reply renamed = admin.jsonPatch(IMAGES + "/" + id, "[{\"replace\": \"/name\", \"value\": \"d4\"}]",
        "application/openstack-images-v2.0-json-patch");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals(204, admin.post(IMAGES + "/" + id + "/actions/deactivate", "").status());
    assertEquals("deactivated", admin.get(IMAGES + "/" + id).body().path("status").asText());
    assertEquals(204, admin.post(IMAGES + "/" + id + "/actions/reactivate", "").status());
    assertEquals("active", admin.get(IMAGES + "/" + id).body().path("status").asText());
  }

  @Test
  void aJsonPatchChangesWhatOwnersMayChange() {
    String id = create(admin, "{\"name\": \"patched\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\", "
        + "\"kernel_id\": \"k\"}").path("id").asText();
    Api.Reply r = admin.jsonPatch(IMAGES + "/" + id, """
        [{"op": "replace", "path": "/name", "value": "renamed"},
         {"op": "add", "path": "/color", "value": "blue"},
         {"op": "remove", "path": "/kernel_id"},
         {"op": "replace", "path": "/min_ram", "value": 128},
         {"op": "add", "path": "/tags", "value": ["a", "b"]}]""");
    assertEquals(200, r.status(), r.raw());
    JsonNode shown = admin.get(IMAGES + "/" + id).body();
    assertEquals("renamed", shown.path("name").asText());
    assertEquals("blue", shown.path("color").asText());
    assertFalse(shown.has("kernel_id"));
    assertEquals(128, shown.path("min_ram").asInt());
    assertEquals(2, shown.path("tags").size());

    assertEquals(403, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"replace\", \"path\": \"/status\", \"value\": \"active\"}]").status());
    assertEquals(409, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"replace\", \"path\": \"/nothing\", \"value\": \"x\"}]").status());
    assertEquals(400, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"add\", \"path\": \"/n\", \"value\": 5}]").status());
    assertEquals(400, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"move\", \"path\": \"/name\"}]").status());
    assertEquals(400, admin.jsonPatch(IMAGES + "/" + id, "{\"name\": \"x\"}").status());
    assertEquals(400, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"replace\", \"path\": \"/disk_format\", \"value\": \"floppy\"}]").status());
    assertEquals("renamed", admin.get(IMAGES + "/" + id).body().path("name").asText(), "refused patches change nothing");

    assertEquals(204, admin.put(IMAGES + "/" + id + "/tags/gold").status());
    assertEquals(204, admin.put(IMAGES + "/" + id + "/tags/gold").status(), "adding a tag again changes nothing");
    assertEquals(204, admin.delete(IMAGES + "/" + id + "/tags/a").status());
    assertEquals(404, admin.delete(IMAGES + "/" + id + "/tags/a").status());
    assertEquals(List.of("b", "gold"), tags(admin.get(IMAGES + "/" + id).body()));
  }

  @Test
  void badCreatesAreRefusedInGlancesFormat() {
    Api.Reply malformed = admin.post(IMAGES, "{\"name\": ");
    assertEquals(400, malformed.status());
    assertEquals("Bad Request", malformed.body().path("title").asText());
    assertEquals(400, admin.post(IMAGES, "{\"disk_format\": \"floppy\"}").status());
    assertEquals(400, admin.post(IMAGES, "{\"visibility\": \"everyone\"}").status());
    assertEquals(400, admin.post(IMAGES, "{\"min_disk\": -1}").status());
    assertEquals(400, admin.post(IMAGES, "{\"id\": \"not-a-uuid\"}").status());
    assertEquals(403, admin.post(IMAGES, "{\"status\": \"active\"}").status());
    assertEquals(403, admin.post(IMAGES, "{\"size\": 5}").status());
    String id = UUID.randomUUID().toString();
    assertEquals(201, admin.post(IMAGES, "{\"id\": \"" + id + "\"}").status());
    assertEquals(409, admin.post(IMAGES, "{\"id\": \"" + id + "\"}").status());
    assertEquals(404, admin.get(IMAGES + "/" + UUID.randomUUID()).status());
    // the id of an image the operator may register later cannot be taken first
    Api.Reply preempted = admin.post(IMAGES, "{\"id\": \"" + nimbus.storage.ImageSeeds.idOf("ubuntu-24.04") + "\"}");
    assertEquals(400, preempted.status(), preempted.raw());
    assertTrue(preempted.body().path("message").asText().contains("reserved"), preempted.raw());
  }

  @Test
  void projectsSeeOnlyPublicImagesAndTheirOwn() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject("alice-" + suffix, "alice-pw-1", "images-a-" + suffix, "member");
    admin.createUserInProject("bob-" + suffix, "bob-pw-1", "images-b-" + suffix, "member");
    Api alice = admin.as("alice-" + suffix, "alice-pw-1", "images-a-" + suffix);
    Api bob = admin.as("bob-" + suffix, "bob-pw-1", "images-b-" + suffix);

    String mine = create(alice, "{\"name\": \"alice-private\", \"visibility\": \"private\"}").path("id").asText();
    assertEquals(403, alice.post(IMAGES, "{\"name\": \"mine-for-all\", \"visibility\": \"public\"}").status(),
        "publishing is for admins");
    String pub = create(admin, "{\"name\": \"for-all-" + suffix + "\", \"visibility\": \"public\"}").path("id").asText();

    assertEquals(200, alice.get(IMAGES + "/" + mine).status());
    assertEquals(404, bob.get(IMAGES + "/" + mine).status(), "another project's image does not exist for bob");
    assertEquals(404, bob.putBytes(IMAGES + "/" + mine + "/file", new byte[10]).status());
    assertEquals(404, bob.delete(IMAGES + "/" + mine).status());
    assertEquals(200, bob.get(IMAGES + "/" + pub).status());
    assertEquals(403, bob.delete(IMAGES + "/" + pub).status(), "a public image is changed by its owner only");
    assertEquals(403, bob.jsonPatch(IMAGES + "/" + pub, "[{\"op\": \"add\", \"path\": \"/x\", \"value\": \"y\"}]").status());

    Eventually.until(WAIT, () -> bob.get(IMAGES + "?name=for-all-" + suffix).body().path("images").size() == 1);
    List<String> bobSees = new ArrayList<>();
    bob.get(IMAGES + "?limit=1000").body().path("images").forEach(i -> bobSees.add(i.path("id").asText()));
    assertFalse(bobSees.contains(mine));
    Eventually.until(WAIT, () -> alice.get(IMAGES + "?name=alice-private").body().path("images").size() == 1);
  }

  @Test
  void aSharedImageReachesTheProjectsItIsSharedWithOnceTheyAccept() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject("owner-" + suffix, "owner-pw-1", "share-a-" + suffix, "member");
    admin.createUserInProject("member-" + suffix, "member-pw-1", "share-b-" + suffix, "member");
    admin.createUserInProject("other-" + suffix, "other-pw-1", "share-c-" + suffix, "member");
    Api owner = admin.as("owner-" + suffix, "owner-pw-1", "share-a-" + suffix);
    Api member = admin.as("member-" + suffix, "member-pw-1", "share-b-" + suffix);
    Api other = admin.as("other-" + suffix, "other-pw-1", "share-c-" + suffix);
    String memberProject = projectOf(member);

    String privateId = create(owner, "{\"name\": \"not-shared\", \"visibility\": \"private\"}").path("id").asText();
    assertEquals(403, owner.post(IMAGES + "/" + privateId + "/members", "{\"member\": \"" + memberProject + "\"}").status(),
        "only shared images have members");
    String id = create(owner, "{\"name\": \"shared-" + suffix + "\", \"visibility\": \"shared\"}").path("id").asText();
    Api.Reply added = owner.post(IMAGES + "/" + id + "/members", "{\"member\": \"" + memberProject + "\"}");
    assertEquals(200, added.status(), added.raw());
    assertEquals("pending", added.body().path("status").asText());
    assertEquals(409, owner.post(IMAGES + "/" + id + "/members", "{\"member\": \"" + memberProject + "\"}").status());

    assertEquals(200, member.get(IMAGES + "/" + id).status(), "a member sees the image");
    assertEquals(404, other.get(IMAGES + "/" + id).status(), "others do not");
    assertTrue(member.get(IMAGES + "?name=shared-" + suffix).body().path("images").isEmpty(), "not listed until accepted");
    String membership = IMAGES + "/" + id + "/members/" + memberProject;
    assertEquals(403, owner.send("PUT", membership, "{\"status\": \"accepted\"}").status(), "the member answers, not the owner");
    assertEquals(400, member.send("PUT", membership, "{\"status\": \"maybe\"}").status());
    assertEquals(200, member.send("PUT", membership, "{\"status\": \"accepted\"}").status());
    assertEquals(1, member.get(IMAGES + "?name=shared-" + suffix).body().path("images").size());
    assertEquals(403, member.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"add\", \"path\": \"/x\", \"value\": \"y\"}]").status());
    assertEquals(1, owner.get(IMAGES + "/" + id + "/members").body().path("members").size());

    assertEquals(204, owner.delete(membership).status());
    assertEquals(404, member.get(IMAGES + "/" + id).status(), "no longer a member");
  }

  private static List<String> tags(JsonNode image) {
    List<String> out = new ArrayList<>();
    image.path("tags").forEach(t -> out.add(t.asText()));
    return out;
  }

  /** The project a client's token is scoped to. */
  private static String projectOf(Api api) {
    return api.sendWithSubject("GET", api.token()).body().path("token").path("project").path("id").asText();
  }

  @Test
  void aDeletedImagesFileLeavesTheStoreWhileFilesOfOtherImagesStay() throws Exception {
    byte[] bytes = random(70_000, 42);
    String sha512 = hex("SHA-512", bytes);
    String gone = create(admin, "{\"name\": \"swept\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}")
        .path("id").asText();
    String kept = create(admin, "{\"name\": \"kept-file\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}")
        .path("id").asText();
    String unformatted = create(admin, "{\"name\": \"no-format\"}").path("id").asText();
    Api.Reply refused = admin.putBytes(IMAGES + "/" + unformatted + "/file", bytes);
    assertEquals(400, refused.status(), "Glance wants the formats before the data: " + refused.raw());
    assertEquals(204, admin.putBytes(IMAGES + "/" + gone + "/file", bytes).status());
    byte[] other = random(70_000, 43);
    assertEquals(204, admin.putBytes(IMAGES + "/" + kept + "/file", other).status());
    Path stored = node.settings().imageStore().dir().resolve("sha512").resolve(sha512);
    assertTrue(Files.exists(stored));

    assertEquals(204, admin.delete(IMAGES + "/" + gone).status());
    Eventually.until(WAIT, () -> !Files.exists(stored));
    assertArrayEquals(other, admin.getBytes(IMAGES + "/" + kept + "/file").body(), "another image's file stays");
  }

  @Test
  void aDeletedImageIsGoneAndAProtectedOneStays() {
    String id = create(admin, "{\"name\": \"kept\", \"protected\": true}").path("id").asText();
    assertEquals(403, admin.delete(IMAGES + "/" + id).status());
    assertEquals(200, admin.jsonPatch(IMAGES + "/" + id, "[{\"op\": \"replace\", \"path\": \"/protected\", \"value\": false}]").status());
    assertEquals(204, admin.delete(IMAGES + "/" + id).status());
    assertEquals(404, admin.get(IMAGES + "/" + id).status());
    Eventually.until(WAIT, () -> admin.get(IMAGES + "?name=kept").body().path("images").isEmpty());
  }

  @Test
  void aServerBootsFromAnUploadedImageOverACachedBase() throws Exception {
    Path file = TestImages.qcow2(NODE.data().resolve("root.qcow2"), "64M");
    byte[] bytes = Files.readAllBytes(file);
    String imageId = create(admin, "{\"name\": \"root\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\"}")
        .path("id").asText();
    Api.Reply early = admin.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"too-early\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"1\"}}");
    assertEquals(400, early.status(), "a queued image boots nothing");
    assertEquals(204, admin.putBytes(IMAGES + "/" + imageId + "/file", bytes).status());

    Api.Reply created = admin.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"from-upload\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"1\"}}");
    assertEquals(202, created.status(), created.raw());
    String serverId = created.body().path("server").path("id").asText();
    admin.awaitStatus(serverId, "ACTIVE", WAIT);

    Path base = node.settings().host().instancesDir().resolve("_base").resolve(hex("SHA-512", bytes));
    assertArrayEquals(bytes, Files.readAllBytes(base), "the host cached the image file under its hash");
    assertEquals(List.of(hex("SHA-512", bytes)), Files.readAllLines(
        node.settings().host().instancesDir().resolve(serverId).resolve("image-files")), "the server says what it uses");
    String info = TestImages.info(node.settings().host().instancesDir().resolve(serverId).resolve("disk"));
    assertTrue(info.contains("backing file: " + base), info);
    assertEquals(imageId, admin.server(serverId).path("image").path("id").asText());
  }
}
