package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import nimbus.edge.identity.Token;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard's files and its events API over real HTTP on an all-in-one node: the headers
 * that keep a page to its own scripts, tickets that open a stream once, and streams that carry
 * only their token's project (a key pair its user's alone, the identity catalog the admin's, a
 * private flavor its projects', hosts the admin's) and end when the token is revoked.
 */
class DashboardApiTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Node node;
  private static Api admin;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    admin = a;
  });
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).build();

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    // a stream opened where a refusal was expected fails the test instead of waiting for its end
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
    if (headers.length > 0) b.headers(headers);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theRootSendsBrowsersToTheDashboardWhoseFilesComeWithTheirPolicy() throws Exception {
    HttpResponse<String> root = get("/");
    assertEquals(302, root.statusCode());
    assertEquals("/dashboard/", root.headers().firstValue("Location").orElseThrow());

    HttpResponse<String> index = get("/dashboard/");
    assertEquals(200, index.statusCode());
    assertTrue(index.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
    assertEquals("default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
        + "frame-ancestors 'none'; base-uri 'none'", index.headers().firstValue("Content-Security-Policy").orElseThrow());
    assertEquals("nosniff", index.headers().firstValue("X-Content-Type-Options").orElseThrow());
    assertEquals("no-referrer", index.headers().firstValue("Referrer-Policy").orElseThrow());
    assertEquals("no-cache", index.headers().firstValue("Cache-Control").orElseThrow());
    // nothing inline for the policy to forbid: every script comes from a file
    assertFalse(index.body().matches("(?s).*<script(?![^>]*\\ssrc=)[^>]*>.*"), index.body());
    assertFalse(index.body().contains("style="));

    String etag = index.headers().firstValue("ETag").orElseThrow();
    assertEquals(304, get("/dashboard/", "If-None-Match", etag).statusCode());

    HttpResponse<String> script = get("/dashboard/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("Content-Type").orElseThrow().startsWith("application/javascript"));
    assertEquals(200, get("/dashboard/style.css").statusCode());
    assertTrue(get("/dashboard/style.css").headers().firstValue("Content-Type").orElseThrow().startsWith("text/css"));
    // the pages build with text nodes and keep nothing in storage
    for (String file : List.of("dom.js", "api.js", "app.js", "login.js", "instances.js", "launch.js", "server.js", "live.js",
        "overview.js", "images.js", "networks.js", "routers.js", "securitygroups.js", "keypairs.js", "topology.js",
        "volumes.js", "snapshots.js", "servergroups.js", "adminhypervisors.js", "admininstances.js", "adminflavors.js",
        "adminidentity.js", "adminquotas.js")) {
      String code = get("/dashboard/" + file).body();
      for (String banned : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage",
          "sessionStorage", "document.cookie", "eval(", "setAttribute('style'", ".style.")) {
        assertFalse(code.contains(banned), file + " uses " + banned);
      }
    }
    assertEquals(404, get("/dashboard/secret.properties").statusCode());
    assertEquals(404, get("/dashboard/..%2Freference.conf").statusCode());
    // the API keeps its own answers
    assertEquals(200, get("/compute/v2.1").statusCode());
  }

  @Test
  void aTicketNeedsAValidTokenAndOpensOneStreamOnce() throws Exception {
    assertEquals(401, admin.withToken("").post("/dashboard/v1/event-tickets", "").status());
    assertEquals(401, admin.withToken("not-a-token").post("/dashboard/v1/event-tickets", "").status());
    assertEquals(401, get("/dashboard/v1/events?ticket=made-up").statusCode());
    assertEquals(401, get("/dashboard/v1/events").statusCode());

    String ticket = ticket(admin);
    try (Stream first = Stream.open(http, node.apiUrl(), ticket)) {
      first.await("event:ready");
      assertEquals(401, get("/dashboard/v1/events?ticket=" + ticket).statusCode());
    }
  }

  @Test
  void forgedExpiredAndTokenTicketsOpenNothing() throws Exception {
    // a token is no ticket: it would not be accepted even if it sat in a URL
    assertEquals(401, get("/dashboard/v1/events?ticket=" + admin.token()).statusCode());
    // a ticket altered anywhere (here: its last character) does not open
    String ticket = ticket(admin);
    String altered = ticket.substring(0, ticket.length() - 1) + (ticket.endsWith("A") ? "B" : "A");
    assertEquals(401, get("/dashboard/v1/events?ticket=" + altered).statusCode());
    // a genuine ticket past its expiry (made as the node makes them, with an expiry gone by)
    Token token = node.identity().validate(admin.token()).orElseThrow();
    String expired = node.identity().ticket(token, Instant.now().minusSeconds(1));
    assertEquals(401, get("/dashboard/v1/events?ticket=" + expired).statusCode());
    // a genuine unexpired ticket made the same way opens: the refusals above were for their faults alone
    try (Stream stream = Stream.open(http, node.apiUrl(), node.identity().ticket(token, Instant.now().plusSeconds(30)))) {
      stream.await("event:ready");
    }
    // a ticket for a token since revoked opens nothing
    Api gone = admin.asAdmin();
    String ofGone = ticket(gone);
    assertEquals(204, admin.sendWithHeader("DELETE", "/identity/v3/auth/tokens", "X-Subject-Token", gone.token()).status());
    assertEquals(401, get("/dashboard/v1/events?ticket=" + ofGone).statusCode());
  }

  @Test
  void aStreamCarriesItsOwnProjectsServersOnlyAndEndsWhenItsTokenIsRevoked() throws Exception {
    String a = "dash-a-" + UUID.randomUUID().toString().substring(0, 8);
    String b = "dash-b-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject(a, "pw-a", a, "member");
    admin.createUserInProject(b, "pw-b", b, "member");
    Api one = admin.as(a, "pw-a", a);
    Api two = admin.as(b, "pw-b", b);
    try (Stream ofOne = Stream.open(http, node.apiUrl(), ticket(one));
        Stream ofTwo = Stream.open(http, node.apiUrl(), ticket(two));
        Stream ofAdmin = Stream.open(http, node.apiUrl(), ticket(admin))) {
      ofOne.await("event:ready");
      ofTwo.await("event:ready");
      ofAdmin.await("event:ready");

      String secret = one.createServer("secret-of-a", "42");
      ofOne.await("\"id\":\"" + secret + "\"");
      ofOne.await("\"status\":\"ACTIVE\"");
      ofAdmin.await("\"id\":\"" + secret + "\"");
      // b's own server comes after a's on the same topic: once b has it, a's would have come too
      String own = two.createServer("own-of-b", "42");
      ofTwo.await("\"id\":\"" + own + "\"");
      assertTrue(ofTwo.lines.stream().noneMatch(l -> l.contains(secret) || l.contains("secret-of-a")), ofTwo.lines.toString());
      // volumes too: a's volume reaches a's stream and the admin's, never b's
      String projectOfA = admin.get("/identity/v3/projects?name=" + a).body().path("projects").get(0).path("id").asText();
      String projectOfB = admin.get("/identity/v3/projects?name=" + b).body().path("projects").get(0).path("id").asText();
      String volumeOfA = volume(one, projectOfA, "secret-volume-of-a");
      ofOne.await("event:volume");
      ofOne.await("\"id\":\"" + volumeOfA + "\"");
      ofAdmin.await("\"id\":\"" + volumeOfA + "\"");
      String volumeOfB = volume(two, projectOfB, "volume-of-b");
      ofTwo.await("\"id\":\"" + volumeOfB + "\"");
      String pathOfA = "/volume/v3/" + projectOfA + "/volumes/" + volumeOfA;
      Eventually.until(WAIT, () -> one.get(pathOfA).body().path("volume").path("status").asText().equals("available"));
      assertEquals(202, one.delete(pathOfA).status());
      ofOne.await("\"deleted\":true");
      // b's stream has b's volume after a's events were published: a's would have come before it
      String lastOfB = volume(two, projectOfB, "last-of-b");
      ofTwo.await("\"id\":\"" + lastOfB + "\"");
      assertTrue(ofTwo.lines.stream().noneMatch(l -> l.contains(volumeOfA)), ofTwo.lines.toString());
      // the host is the admin's to know
      assertTrue(ofOne.lines.stream().noneMatch(l -> l.contains("\"host\"")));
      assertTrue(ofAdmin.lines.stream().anyMatch(l -> l.contains("\"host\"")));

      Api.Reply revoked = one.sendWithHeader("DELETE", "/identity/v3/auth/tokens", "X-Subject-Token", one.token());
      assertEquals(204, revoked.status(), revoked.raw());
      Eventually.until(WAIT, ofOne.ended::get);
      assertFalse(ofTwo.ended.get());
    }
  }

  @Test
  void keyPairsQuotasFlavorsAndTheIdentityCatalogReachOnlyThoseWhoMayListThem() throws Exception {
    String a = "kinds-a-" + UUID.randomUUID().toString().substring(0, 8);
    String b = "kinds-b-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject(a, "pw-a", a, "member");
    admin.createUserInProject(b, "pw-b", b, "member");
    Api one = admin.as(a, "pw-a", a);
    Api two = admin.as(b, "pw-b", b);
    String projectOfA = admin.get("/identity/v3/projects?name=" + a).body().path("projects").get(0).path("id").asText();
    String projectOfB = admin.get("/identity/v3/projects?name=" + b).body().path("projects").get(0).path("id").asText();
    try (Stream ofOne = Stream.open(http, node.apiUrl(), ticket(one));
        Stream ofTwo = Stream.open(http, node.apiUrl(), ticket(two));
        Stream ofAdmin = Stream.open(http, node.apiUrl(), ticket(admin))) {
      ofOne.await("event:ready");
      ofTwo.await("event:ready");
      ofAdmin.await("event:ready");

      // a key pair is its user's alone: not even the admin's stream has it
      keypair(one, "secret-key-of-" + a);
      ofOne.await("event:keypair");
      ofOne.await("\"id\":\"secret-key-of-" + a + "\"");
      // a's project's limits, in each service, go to a (and the admin)
      put(admin, "/compute/v2.1/os-quota-sets/" + projectOfA, "{\"quota_set\": {\"instances\": 5}}");
      ofOne.awaitCount("event:quota", 1);
      put(admin, "/network/v2.0/quotas/" + projectOfA, "{\"quota\": {\"port\": 20}}");
      ofOne.awaitCount("event:quota", 2);
      put(admin, "/volume/v3/" + projectOfA + "/os-quota-sets/" + projectOfA, "{\"quota_set\": {\"volumes\": 4}}");
      ofOne.awaitCount("event:quota", 3);
      ofAdmin.await("\"id\":\"" + projectOfA + "\"");
      // a private flavor to a's project: a and the admin hear of it, b does not; a public one, everyone
      String privateFlavor = flavor("private-for-" + a, false);
      assertEquals(200, admin.post("/compute/v2.1/flavors/" + privateFlavor + "/action",
          "{\"addTenantAccess\": {\"tenant\": \"" + projectOfA + "\"}}").status());
      ofOne.await("\"id\":\"" + privateFlavor + "\"");
      ofAdmin.await("\"id\":\"" + privateFlavor + "\"");
      // the identity catalog is the admin's
      Api.Reply project = admin.post("/identity/v3/projects", "{\"project\": {\"name\": \"catalog-" + a + "\"}}");
      assertEquals(201, project.status(), project.raw());
      String projectId = project.body().path("project").path("id").asText();
      ofAdmin.await("event:project");
      ofAdmin.await("\"id\":\"" + projectId + "\"");
      // a server placed claims its host's capacity: the admin hears of the hypervisor
      one.createServer("placed-" + a, "42");
      ofAdmin.await("event:hypervisor");
      String publicFlavor = flavor("public-" + a, true);
      ofOne.await("\"id\":\"" + publicFlavor + "\"");
      ofTwo.await("\"id\":\"" + publicFlavor + "\"");
      // the admin's own key pair, after a's: once the admin has it, a's would have come before
      keypair(admin, "admin-key-" + a);
      ofAdmin.await("\"id\":\"admin-key-" + a + "\"");
      assertTrue(ofAdmin.lines.stream().noneMatch(l -> l.contains("secret-key-of-")), ofAdmin.lines.toString());
      // b's own key pair and limits come after all of a's: none of a's reached b
      keypair(two, "own-key-of-" + b);
      put(admin, "/compute/v2.1/os-quota-sets/" + projectOfB, "{\"quota_set\": {\"instances\": 6}}");
      ofTwo.await("\"id\":\"own-key-of-" + b + "\"");
      ofTwo.await("\"id\":\"" + projectOfB + "\"");
      assertTrue(ofTwo.lines.stream().noneMatch(l -> l.contains("secret-key-of-") || l.contains(projectOfA)
          || l.contains(privateFlavor) || l.contains(projectId)), ofTwo.lines.toString());
      // nor did the catalog's change reach a: a's own key pair after it is there, the project is not
      keypair(one, "later-key-of-" + a);
      ofOne.await("\"id\":\"later-key-of-" + a + "\"");
      assertTrue(ofOne.lines.stream().noneMatch(l -> l.contains(projectId) || l.equals("event:project")
          || l.equals("event:hypervisor")), ofOne.lines.toString());
      assertTrue(ofTwo.lines.stream().noneMatch(l -> l.equals("event:hypervisor")), ofTwo.lines.toString());
    }
  }

  /**
   * A host going down (its beats stop) and up again reaches the admin's stream within a second of
   * this node's view changing, and no member's. The host here is a ghost: a report and beats
   * published as an agent's would be, with nothing to offer, so nothing is ever scheduled on it.
   */
  @Test
  void aHostGoingDownAndUpReachesTheAdminAlone() throws Exception {
    String a = "hosts-a-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject(a, "pw-a", a, "member");
    Api one = admin.as(a, "pw-a", a);
    String ghost = "ghost-" + UUID.randomUUID().toString().substring(0, 8);
    nimbus.compute.HostDirectory directory = nimbus.compute.HostDirectory.get(node.system());
    directory.publish(new nimbus.compute.HostSummary(ghost, new nimbus.compute.HostInventory("QEMU", 1, "10.0.0.9",
        nimbus.compute.Resources.NONE, 1.0, 1.0, 1.0, "nova"), nimbus.compute.Resources.NONE, 0, java.util.Set.of()));
    directory.beat(ghost, node.system().ignoreRef());
    Eventually.until(WAIT, () -> "up".equals(stateOf(ghost)));
    try (Stream ofOne = Stream.open(http, node.apiUrl(), ticket(one));
        Stream ofAdmin = Stream.open(http, node.apiUrl(), ticket(admin))) {
      ofOne.await("event:ready");
      ofAdmin.await("event:ready");
      String event = "\"id\":\"" + ghost + "\"";
      // no beat for host-down-after (10 s): down, and the admin's stream says so
      Eventually.until(Duration.ofSeconds(40), () -> ofAdmin.lines.stream().filter(l -> l.contains(event)).count() == 1);
      assertEquals("down", stateOf(ghost));
      directory.beat(ghost, node.system().ignoreRef());
      Eventually.until(WAIT, () -> ofAdmin.lines.stream().filter(l -> l.contains(event)).count() == 2);
      assertEquals("up", stateOf(ghost));
      // a's own key pair after both: a's stream would have had the host's changes before it
      keypair(one, "after-hosts-" + a);
      ofOne.await("\"id\":\"after-hosts-" + a + "\"");
      assertTrue(ofOne.lines.stream().noneMatch(l -> l.contains(ghost) || l.equals("event:hypervisor")),
          ofOne.lines.toString());
    }
  }

  /** A host's state in Nova's hypervisor list, as the admin reads it ("" when not listed). */
  private static String stateOf(String host) {
    for (var h : admin.get("/compute/v2.1/os-hypervisors/detail").body().path("hypervisors")) {
      if (h.path("hypervisor_hostname").asText().equals(host)) return h.path("state").asText();
    }
    return "";
  }

  private static void keypair(Api api, String name) {
    Api.Reply r = api.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"" + name + "\"}}");
    assertEquals(200, r.status(), r.raw());
  }

  private static void put(Api api, String path, String body) {
    Api.Reply r = api.send("PUT", path, body);
    assertEquals(200, r.status(), r.raw());
  }

  private static String flavor(String name, boolean isPublic) {
    Api.Reply r = admin.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + name + "\", \"vcpus\": 1,"
        + " \"ram\": 64, \"disk\": 0, \"os-flavor-access:is_public\": " + isPublic + "}}");
    assertEquals(200, r.status(), r.raw());
    return r.body().path("flavor").path("id").asText();
  }

  private static String volume(Api api, String project, String name) {
    Api.Reply r = api.post("/volume/v3/" + project + "/volumes", "{\"volume\": {\"size\": 1, \"name\": \"" + name + "\"}}");
    assertEquals(202, r.status(), r.raw());
    return r.body().path("volume").path("id").asText();
  }

  private static String ticket(Api api) {
    Api.Reply r = api.post("/dashboard/v1/event-tickets", "");
    assertEquals(201, r.status(), r.raw());
    return r.body().path("ticket").asText();
  }

  /** An open event stream: its lines as they arrive, and whether it ended. */
  static final class Stream implements AutoCloseable {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final AtomicBoolean ended = new AtomicBoolean();
    private final InputStream body;

    private Stream(InputStream body) {
      this.body = body;
      Thread reader = new Thread(this::read, "event-stream");
      reader.setDaemon(true);
      reader.start();
    }

    static Stream open(HttpClient http, String base, String ticket) throws Exception {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard/v1/events?ticket=" + ticket))
          .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
      return new Stream(r.body());
    }

    private void read() {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(body, java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) lines.add(line);
      } catch (IOException e) {
        // closed by the test
      } finally {
        ended.set(true);
      }
    }

    void await(String fragment) {
      Eventually.until(WAIT, () -> lines.stream().anyMatch(l -> l.contains(fragment)));
    }

    /** Waits until exactly {@code count} lines are {@code line}. */
    void awaitCount(String line, long count) {
      Eventually.until(WAIT, () -> lines.stream().filter(line::equals).count() == count);
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
