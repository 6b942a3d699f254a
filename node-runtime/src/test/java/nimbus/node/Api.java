package nimbus.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import nimbus.storage.ImageSeeds;

/** A small HTTP client for the API tests: real requests, JSON answers. */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TEST_IMAGE = ImageSeeds.idOf("nimbus-test-guest");

  record Reply(int status, JsonNode body, String raw, java.net.http.HttpHeaders headers) {}

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private volatile String token = "";

  Api(String baseUrl) {
    this.base = baseUrl;
  }

  /** Waits until the node is ready, then answers a client logged in as the cloud's admin. */
  static Api adminOf(Node node) {
    Api anonymous = new Api(node.apiUrl());
    Eventually.until(Duration.ofSeconds(30), () -> anonymous.get("/readyz").status() == 200);
    return anonymous.asAdmin();
  }

  /** This client, logged in as {@code user} of {@code project} (domain Default). */
  Api as(String user, String password, String project) {
    Api other = new Api(base);
    Reply r = other.post("/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["password"], "password": {"user":
          {"name": "%s", "domain": {"name": "Default"}, "password": "%s"}}},
         "scope": {"project": {"name": "%s", "domain": {"name": "Default"}}}}}""".formatted(user, password, project));
    if (r.status() != 201) throw new AssertionError("login of " + user + " answered " + r.status() + ": " + r.raw());
    other.token = r.headers().firstValue("X-Subject-Token").orElseThrow();
    return other;
  }

  /** This client, logged in as the test cloud's admin. */
  Api asAdmin() {
    return as("admin", nimbus.testing.TestConfig.ADMIN_PASSWORD, "admin");
  }

  String token() {
    return token;
  }

  /** A client that sends {@code token} (valid or not) as its X-Auth-Token. */
  Api withToken(String token) {
    Api other = new Api(base);
    other.token = token;
    return other;
  }

  /** Creates a project and a user with {@code role} on it (as admin); answers the user's id. */
  String createUserInProject(String user, String password, String project, String role) {
    String projectId = post("/identity/v3/projects", "{\"project\": {\"name\": \"" + project + "\"}}")
        .body().path("project").path("id").asText();
    String userId = post("/identity/v3/users", "{\"user\": {\"name\": \"" + user + "\", \"password\": \""
        + password + "\", \"default_project_id\": \"" + projectId + "\"}}").body().path("user").path("id").asText();
    String roleId = get("/identity/v3/roles?name=" + role).body().path("roles").get(0).path("id").asText();
    Reply grant = put("/identity/v3/projects/" + projectId + "/users/" + userId + "/roles/" + roleId);
    if (grant.status() != 204) throw new AssertionError("grant answered " + grant.status() + ": " + grant.raw());
    return userId;
  }

  Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Reply delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  Reply post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  Reply put(String path) {
    return send("PUT", path, null);
  }

  Reply patch(String path, String body) {
    return send("PATCH", path, body);
  }

  /** Uploads {@code bytes} (an image file) with PUT. */
  Reply putBytes(String path, byte[] bytes) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
  }

  /** Downloads a body as bytes. */
  HttpResponse<byte[]> getBytes(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("X-Auth-Token", token)
          .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e.getMessage(), e);
    }
  }

  /** Sends a Glance JSON patch (RFC 6902's form). */
  Reply jsonPatch(String path, String ops) {
    return jsonPatch(path, ops, "application/openstack-images-v2.1-json-patch");
  }

  /** Sends a Glance JSON patch in the form {@code mediaType} names. */
  Reply jsonPatch(String path, String ops, String mediaType) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", mediaType)
        .method("PATCH", HttpRequest.BodyPublishers.ofString(ops)));
  }

  /** A request about the token {@code subject} (Keystone's X-Subject-Token). */
  Reply sendWithSubject(String method, String subject) {
    return sendWithHeader(method, "/identity/v3/auth/tokens", "X-Subject-Token", subject);
  }

  Reply sendWithHeader(String method, String path, String header, String value) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header(header, value)
        .method(method, HttpRequest.BodyPublishers.noBody()));
  }

  /** A request at compute microversion {@code version} (Nova's OpenStack-API-Version header). */
  Reply atVersion(String version, String method, String path, String body) {
    return atServiceVersion("compute " + version, method, path, body);
  }

  /** A request at volume microversion {@code version} (Cinder's OpenStack-API-Version header). */
  Reply atVolumeVersion(String version, String method, String path, String body) {
    return atServiceVersion("volume " + version, method, path, body);
  }

  private Reply atServiceVersion(String serviceVersion, String method, String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .header("OpenStack-API-Version", serviceVersion)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
  }

  Reply send(String method, String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      if (!token.isEmpty()) request.header("X-Auth-Token", token);
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
      return new Reply(r.statusCode(), body, r.body(), r.headers());
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e.getMessage(), e);
    }
  }

  /** Creates a server and answers its id. */
  String createServer(String name, String flavor) {
    Reply r = post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + TEST_IMAGE + "\", \"flavorRef\": \"" + flavor + "\"}}");
    if (r.status() != 202) throw new AssertionError("create answered " + r.status() + ": " + r.raw());
    return r.body().path("server").path("id").asText();
  }

  String status(String id) {
    return get("/compute/v2.1/servers/" + id).body().path("server").path("status").asText();
  }

  JsonNode server(String id) {
    return get("/compute/v2.1/servers/" + id).body().path("server");
  }

  /** Waits until the server shows {@code status}; fails at once if it ends in ERROR instead. */
  JsonNode awaitStatus(String id, String status, Duration timeout) {
    JsonNode[] seen = {null};
    try {
      return Eventually.await(timeout, () -> {
        JsonNode s = server(id);
        seen[0] = s;
        String now = s.path("status").asText();
        if (now.equals("ERROR") && !status.equals("ERROR")) {
          throw new IllegalStateException("server " + id + " is in ERROR: " + s.path("fault"));
        }
        return now.equals(status) ? s : null;
      });
    } catch (AssertionError e) {
      throw new AssertionError("server " + id + " not " + status + " within " + timeout + "; last seen "
          + (seen[0] == null ? "nothing" : seen[0].path("status").asText() + "/" + seen[0].path("OS-EXT-STS:task_state")
          + " on " + seen[0].path("OS-EXT-SRV-ATTR:host")), e);
    }
  }

  /** Creates a queued image (container format bare) and answers its id. */
  String createImage(String name, String diskFormat) {
    Reply r = post("/image/v2/images", "{\"name\": \"" + name + "\", \"disk_format\": \"" + diskFormat
        + "\", \"container_format\": \"bare\"}");
    if (r.status() != 201) throw new AssertionError("image create answered " + r.status() + ": " + r.raw());
    return r.body().path("id").asText();
  }

  /** Creates an image and uploads {@code file} as its data, as a user does; answers its id. */
  String uploadImage(String name, String diskFormat, Path file) throws IOException {
    String id = createImage(name, diskFormat);
    Reply r = putBytes("/image/v2/images/" + id + "/file", Files.readAllBytes(file));
    if (r.status() != 204) throw new AssertionError("image upload answered " + r.status() + ": " + r.raw());
    return id;
  }

  int action(String id, String body) {
    return post("/compute/v2.1/servers/" + id + "/action", body).status();
  }
}
