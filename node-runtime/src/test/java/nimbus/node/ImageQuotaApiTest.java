package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each project's image quota (Glance's image_count_total, image_size_total and
 * image_count_uploading) over the real API, attacked as a tenant filling the store would: many
 * images, big ones, several uploads at once, snapshots. Each test works in a project of its own.
 */
class ImageQuotaApiTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String IMAGES = "/image/v2/images";
  private static final int MIB = 1024 * 1024;
  private static Node node;
  private static Api admin;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.image-store.max-image-size", "8MiB",
      "nimbus.image-store.quota.image-size-total", "10MiB", "nimbus.image-store.quota.image-count-total", 4,
      "nimbus.image-store.quota.image-count-uploading", 2), (n, a) -> {
    node = n;
    admin = a;
  });

  private static Api newProject() {
    String name = "quota-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject(name, "secret-" + name, name, "member");
    return admin.as(name, "secret-" + name, name);
  }

  private static String create(Api api, String name) {
    Api.Reply r = api.post(IMAGES, "{\"name\": \"" + name + "\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}");
    assertEquals(201, r.status(), r.raw());
    return r.body().path("id").asText();
  }

  private static void assertOverLimit(Api.Reply r, String resource) {
    assertEquals(413, r.status(), r.raw());
    assertEquals(413, r.body().path("code").asInt(), "Glance's error format: " + r.raw());
    assertTrue(r.body().path("message").asText().contains(resource), r.raw());
  }

  private static JsonNode usage(Api api, String resource) {
    return api.get("/image/v2/info/usage").body().path("usage").path(resource);
  }

  @Test
  void aProjectHasAtMostItsCountOfImages() {
    Api tenant = newProject();
    String first = create(tenant, "one");
    for (int i = 2; i <= 4; i++) create(tenant, "image-" + i);
    assertOverLimit(tenant.post(IMAGES, "{\"name\": \"five\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}"),
        "image_count_total");
    assertEquals(4, usage(tenant, "image_count_total").path("usage").asInt());
    assertEquals(4, usage(tenant, "image_count_total").path("limit").asInt());
    assertEquals(1, admin.get(IMAGES + "?name=one").body().path("images").size(), "nothing of the fifth was kept");

    assertEquals(204, tenant.delete(IMAGES + "/" + first).status());
    create(tenant, "five");
  }

  @Test
  void theBytesOfAProjectsImagesStayWithinItsSizeTotal() {
    Api tenant = newProject();
    String big = create(tenant, "big");
    assertEquals(204, tenant.putBytes(IMAGES + "/" + big + "/file", new byte[6 * MIB]).status());
    String second = create(tenant, "second");
    assertOverLimit(tenant.putBytes(IMAGES + "/" + second + "/file", new byte[5 * MIB]), "image_size_total");
    JsonNode refused = tenant.get(IMAGES + "/" + second).body();
    assertEquals("queued", refused.path("status").asText());
    assertTrue(refused.path("size").isNull(), "nothing of the refused upload is the image's");

    assertEquals(204, tenant.putBytes(IMAGES + "/" + second + "/file", new byte[4 * MIB]).status(), "what fits fits");
    assertEquals(10, usage(tenant, "image_size_total").path("usage").asInt(), "MiB, as the limit");
    String third = create(tenant, "third");
    assertOverLimit(tenant.putBytes(IMAGES + "/" + third + "/file", new byte[1]), "image_size_total");

    assertEquals(204, tenant.delete(IMAGES + "/" + big).status());
    assertEquals(204, tenant.putBytes(IMAGES + "/" + third + "/file", new byte[MIB]).status(), "deleting frees room");
  }

  /** Uploads running at once are held against the quota: together they cannot pass it. */
  @Test
  void concurrentUploadsCannotTogetherPassTheQuota() throws Exception {
    Api tenant = newProject();
    String first = create(tenant, "first");
    String second = create(tenant, "second");
    String third = create(tenant, "third");
    // an upload holds its room as soon as its request arrives: the second starts after the first
    try (OpenUpload a = new OpenUpload(tenant, first)) {
      a.send(MIB);
      Eventually.until(WAIT, () -> tenant.get(IMAGES + "/" + first).body().path("status").asText().equals("saving"));
      try (OpenUpload b = new OpenUpload(tenant, second)) {
        b.send(MIB);
        Eventually.until(WAIT, () -> tenant.get(IMAGES + "/" + second).body().path("status").asText().equals("saving"));
        assertEquals(2, usage(tenant, "image_count_uploading").path("usage").asInt());
        assertOverLimit(tenant.putBytes(IMAGES + "/" + third + "/file", new byte[1]), "image_count_uploading");

        // the first holds room for the largest image (8 MiB), so the second had 2 MiB: its third fails
        b.send(2 * MIB);
        assertEquals(413, b.finish());
      }
      assertEquals(204, a.finish());
    }
    assertEquals("queued", tenant.get(IMAGES + "/" + second).body().path("status").asText());
    assertEquals(MIB, tenant.get(IMAGES + "/" + first).body().path("size").asLong());
    assertEquals(204, tenant.putBytes(IMAGES + "/" + third + "/file", new byte[MIB]).status(), "holds end with uploads");
  }

  @Test
  void aSnapshotCountsAsAnImageOfTheServersProject() throws Exception {
    Api tenant = newProject();
    String imageId = tenant.uploadImage("root", "qcow2",
        TestImages.qcow2(NODE.data().resolve("root-" + UUID.randomUUID() + ".qcow2"), "16M"));
    Api.Reply boot = tenant.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"snapped\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"1\"}}");
    assertEquals(202, boot.status(), boot.raw());
    String server = boot.body().path("server").path("id").asText();
    tenant.awaitStatus(server, "ACTIVE", WAIT);
    for (int i = 2; i <= 4; i++) create(tenant, "filler-" + i);

    Api.Reply refused = tenant.post("/compute/v2.1/servers/" + server + "/action", "{\"createImage\": {\"name\": \"snap\"}}");
    assertEquals(413, refused.status(), refused.raw());
    assertTrue(refused.body().path("overLimit").path("message").asText().contains("image_count_total"), refused.raw());
    assertEquals(0, tenant.get(IMAGES + "?name=snap").body().path("images").size(), "no queued image was left");
    assertEquals("ACTIVE", tenant.status(server), "the server carries on");
  }

  /** An upload whose body the test sends piece by piece, as a slow client would. */
  private static final class OpenUpload implements AutoCloseable {
    private static final int PIECE = 64 * 1024;
    // its buffer takes every piece a test sends, so sending never waits for the server
    private final SubmissionPublisher<ByteBuffer> body = new SubmissionPublisher<>(Runnable::run, 1024);
    private final CompletableFuture<HttpResponse<String>> response;

    OpenUpload(Api api, String imageId) {
      response = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(node.apiUrl() + IMAGES + "/"
              + imageId + "/file")).header("X-Auth-Token", api.token())
          .header("Content-Type", "application/octet-stream")
          .PUT(HttpRequest.BodyPublishers.fromPublisher(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code bytes} more (a refused upload drops them). */
    void send(int bytes) {
      // pieces submitted before the client subscribes would be dropped
      Eventually.until(WAIT, () -> body.getNumberOfSubscribers() > 0);
      for (int sent = 0; sent < bytes; sent += PIECE) body.submit(ByteBuffer.allocate(Math.min(PIECE, bytes - sent)));
    }

    int finish() throws Exception {
      close();
      return response.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode();
    }

    @Override
    public void close() {
      body.close();
    }
  }
}
