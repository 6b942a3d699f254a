package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import nimbus.compute.PowerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An all-in-one node in this JVM (H2 in memory, libvirt {@code test:///default}) driven through
 * its real HTTP API, checked against what libvirt really holds.
 */
class AllInOneApiTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static Node node;
  private static Api api;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(
      "nimbus.host.reconcile-interval", "1s",
      "nimbus.api.max-body-bytes", 4096), (n, a) -> {
    node = n;
    api = a;
  });

  /** An action is accepted, the server reaches {@code status}, and libvirt's domain is {@code power}. */
  private static void act(String id, String action, String status, PowerState power) {
    assertEquals(202, api.action(id, action));
    api.awaitStatus(id, status, WAIT);
    assertEquals(power, domain(id), action);
  }

  private static PowerState domain(String serverId) {
    return node.hypervisor().state("nimbus-" + serverId).orElse(null);
  }

  @Test
  void aServerGoesThroughItsWholeLifeAndLibvirtFollows() {
    String id = api.createServer("life", "42");
    JsonNode active = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("active", active.path("OS-EXT-STS:vm_state").asText());
    assertEquals(1, active.path("OS-EXT-STS:power_state").asInt());
    assertEquals(node.settings().host().name(), active.path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals("42", active.path("flavor").path("id").asText());
    assertEquals(PowerState.RUNNING, domain(id));

    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers").body().path("servers")
        .findValuesAsText("id").contains(id));
    // the list comes from the read side, which follows the entity within moments
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/detail?status=ACTIVE").body()
        .path("servers").findValuesAsText("id").contains(id));

    act(id, "{\"os-stop\": null}", "SHUTOFF", PowerState.SHUTDOWN);
    assertEquals(409, api.action(id, "{\"os-stop\": null}"));
    act(id, "{\"os-start\": null}", "ACTIVE", PowerState.RUNNING);
    act(id, "{\"reboot\": {\"type\": \"HARD\"}}", "ACTIVE", PowerState.RUNNING);
    act(id, "{\"pause\": null}", "PAUSED", PowerState.PAUSED);
    assertEquals(409, api.action(id, "{\"os-stop\": null}"));
    act(id, "{\"unpause\": null}", "ACTIVE", PowerState.RUNNING);
    act(id, "{\"suspend\": null}", "SUSPENDED", PowerState.SHUTDOWN); // saved to disk and stopped
    act(id, "{\"resume\": null}", "ACTIVE", PowerState.RUNNING);

    Api.Reply rebuilt = api.post("/compute/v2.1/servers/" + id + "/action",
        "{\"rebuild\": {\"imageRef\": \"" + Api.TEST_IMAGE + "\", \"name\": \"life-2\"}}");
    assertEquals(202, rebuilt.status(), rebuilt.raw());
    api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("life-2", api.server(id).path("name").asText());
    assertEquals(PowerState.RUNNING, domain(id));
    assertEquals(400, api.post("/compute/v2.1/servers/" + id + "/action", "{\"rebuild\": {}}").status());

    JsonNode console = api.post("/compute/v2.1/servers/" + id + "/action",
        "{\"os-getConsoleOutput\": {\"length\": 10}}").body();
    assertTrue(console.has("output"));

    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    assertEquals(null, domain(id));
    Eventually.until(WAIT, () -> !api.get("/compute/v2.1/servers").body().path("servers")
        .findValuesAsText("id").contains(id));
  }

  /** A file of a server's config drive, read back from the ISO its host made. */
  private static JsonNode fromConfigDrive(Path iso, String path) throws Exception {
    Process p = new ProcessBuilder("isoinfo", "-R", "-i", iso.toString(), "-x", path).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), new String(out, StandardCharsets.UTF_8));
    return Api.JSON.readTree(out);
  }

  @Test
  void aServerWithAConfigDriveGetsItsMetadataAndKeepsItsKeyAfterTheKeypairGoes() throws Exception {
    String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O cd@nimbus";
    assertEquals(200, api.post("/compute/v2.1/os-keypairs",
        "{\"keypair\": {\"name\": \"cd-key\", \"public_key\": \"" + key + "\"}}").status());
    String body = "{\"server\": {\"name\": \"cd\", \"imageRef\": \"" + Api.TEST_IMAGE
        + "\", \"flavorRef\": \"42\", \"key_name\": \"cd-key\", \"config_drive\": true, \"user_data\": \"%s\"}}";
    Api.Reply bad = api.post("/compute/v2.1/servers", body.formatted("not base64!"));
    assertEquals(400, bad.status(), bad.raw());
    assertEquals("Invalid input for field/attribute user_data. Value: not base64!. 'not base64!' is not a 'base64'",
        bad.body().path("badRequest").path("message").asText());

    String userData = Base64.getEncoder().encodeToString("#cloud-config\n".getBytes(StandardCharsets.UTF_8));
    String id = api.post("/compute/v2.1/servers", body.formatted(userData)).body().path("server").path("id").asText();
    JsonNode active = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("True", active.path("config_drive").asText());
    Path iso = node.settings().host().instancesDir().resolve(id).resolve("disk.config");
    JsonNode md = fromConfigDrive(iso, "/openstack/latest/meta_data.json");
    assertEquals(id, md.path("uuid").asText());
    assertEquals(key, md.path("public_keys").path("cd-key").asText());
    assertTrue(node.hypervisor().definition("nimbus-" + id).orElseThrow().contains("<source file='" + iso + "'/>"));

    // the key pair goes; the server keeps its key, and a rebuild writes it (and the user data) again
    assertEquals(202, api.delete("/compute/v2.1/os-keypairs/cd-key").status());
    Files.delete(iso);
    assertEquals(202, api.action(id, "{\"rebuild\": {\"imageRef\": \"" + Api.TEST_IMAGE + "\"}}"));
    Eventually.until(WAIT, () -> Files.exists(iso) && api.status(id).equals("ACTIVE"));
    assertEquals(key, fromConfigDrive(iso, "/openstack/latest/meta_data.json").path("public_keys").path("cd-key").asText());
    assertEquals(key, fromConfigDrive(iso, "/ec2/latest/meta-data.json").path("public-keys").path("0")
        .path("openssh-key").asText());

    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> !Files.exists(iso));
  }

  @Test
  void aCreateAnswersTheAdminPasswordAskedForOrANewOne() {
    String body = "{\"server\": {\"name\": \"pw\", \"imageRef\": \"" + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\"%s}}";
    JsonNode made = api.post("/compute/v2.1/servers", body.formatted("")).body().path("server");
    JsonNode asked = api.post("/compute/v2.1/servers", body.formatted(", \"adminPass\": \"s3cret-Pass\""))
        .body().path("server");
    assertTrue(made.path("adminPass").asText().matches("[A-Za-z0-9]{12}"), made.toString());
    assertEquals("s3cret-Pass", asked.path("adminPass").asText());
    for (JsonNode s : List.of(made, asked)) {
      String id = s.path("id").asText();
      api.awaitStatus(id, "ACTIVE", WAIT);
      assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    }
  }

  @Test
  void locksRenamesHistoriesAndSeveralAtOnce() {
    api.createUserInProject("locker", "pw-lock", "locking", "member");
    Api member = new Api(node.apiUrl()).as("locker", "pw-lock", "locking");
    String id = member.createServer("to-lock", "42");
    member.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(202, member.action(id, "{\"lock\": null}"));
    // Nova shows no lock at 2.1 (locked is 2.9's, locked_by never): the lock shows in what it refuses
    assertFalse(member.server(id).has("locked"), member.server(id).toString());
    assertEquals(409, member.action(id, "{\"os-stop\": null}"));
    assertEquals(409, member.delete("/compute/v2.1/servers/" + id).status());
    assertEquals(202, api.action(id, "{\"os-stop\": null}"), "an admin passes a lock");
    api.awaitStatus(id, "SHUTOFF", WAIT);
    assertEquals(202, member.action(id, "{\"unlock\": null}"));
    assertEquals(202, api.action(id, "{\"lock\": null}"));
    assertFalse(member.server(id).has("locked_by"), "who locked stays inside, as in Nova");
    assertEquals(409, member.action(id, "{\"unlock\": null}"), "an admin's lock is the admin's to lift");
    assertEquals(202, api.action(id, "{\"unlock\": null}"));

    Api.Reply renamed = member.send("PUT", "/compute/v2.1/servers/" + id, "{\"server\": {\"name\": \"renamed\"}}");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals("renamed", member.server(id).path("name").asText());
    assertEquals(400, member.send("PUT", "/compute/v2.1/servers/" + id, "{\"server\": {\"name\": 5}}").status());

    JsonNode history = member.get("/compute/v2.1/servers/" + id + "/os-instance-actions").body().path("instanceActions");
    assertEquals(List.of("unlock", "lock", "unlock", "stop", "lock", "create"), history.findValuesAsText("action"));
    assertEquals(204, member.delete("/compute/v2.1/servers/" + id).status());

    Api.Reply three = member.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"many\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"min_count\": 3, \"max_count\": 3}}");
    assertEquals(202, three.status(), three.raw());
    Eventually.until(WAIT, () -> member.get("/compute/v2.1/servers?name=many-").body().path("servers")
        .findValuesAsText("name").containsAll(List.of("many-1", "many-2", "many-3")));
    // name is a regular expression, as in Nova (the CLI's --name says so)
    assertEquals(List.of("many-2"), member.get("/compute/v2.1/servers?name=%5Emany-%5B2%5D%24").body()
        .path("servers").findValuesAsText("name"));
    assertEquals(List.of(), member.get("/compute/v2.1/servers?name=%5Eany").body().path("servers").findValuesAsText("name"));
    Api.Reply badRegex = member.get("/compute/v2.1/servers?name=many(");
    assertEquals(400, badRegex.status(), badRegex.raw());
    assertTrue(badRegex.body().path("badRequest").path("message").asText().contains("regular expression"), badRegex.raw());
    // a tenant's pattern runs in the database: a long one is refused before it gets there
    assertEquals(400, member.get("/compute/v2.1/servers?name=" + "(a%2B)%2B".repeat(60) + "b").status());
    member.get("/compute/v2.1/servers?name=many-").body().path("servers").findValuesAsText("id")
        .forEach(s -> member.delete("/compute/v2.1/servers/" + s));
    assertEquals(400, member.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"availability_zone\": \"mars\"}}").status());
    assertEquals(400, member.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"min_count\": 2, \"max_count\": 1}}").status());
  }

  @Test
  void aDomainStoppedBehindNimbussBackShowsShutoffWithinASecond() {
    String id = api.createServer("behind-back", "42");
    api.awaitStatus(id, "ACTIVE", WAIT);
    node.hypervisor().stop("nimbus-" + id, Duration.ZERO);
    api.awaitStatus(id, "SHUTOFF", Duration.ofSeconds(1));
    api.delete("/compute/v2.1/servers/" + id);
  }

  @Test
  void theReconcilerRemovesDomainsNoServerOwns() {
    String orphan = "nimbus-" + UUID.randomUUID();
    node.hypervisor().define(orphan, "<domain type='test'><name>" + orphan
        + "</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>");
    node.hypervisor().start(orphan);
    Eventually.until(WAIT, () -> node.hypervisor().state(orphan).isEmpty());
    // libvirt's own domain is not Nimbus's to remove
    assertTrue(node.hypervisor().state("test").isPresent());
  }

  @Test
  void aUserHoldsAtMostNovasHundredKeypairs() {
    api.createUserInProject("keyring", "pw-keys", "keys", "member");
    Api user = new Api(node.apiUrl()).as("keyring", "pw-keys", "keys");
    String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O test@nimbus";
    for (int i = 0; i < 100; i++) {
      Api.Reply r = user.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"k" + i + "\", \"public_key\": \""
          + key + "\"}}");
      assertEquals(200, r.status(), r.raw());
    }
    Api.Reply refused = user.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"k100\", \"public_key\": \""
        + key + "\"}}");
    assertEquals(403, refused.status(), refused.raw());
    assertTrue(refused.body().path("forbidden").path("message").asText().contains("too many key pairs"), refused.raw());
  }

  @Test
  void listsPageWithLimitAndMarker() {
    String a = api.createServer("page-a", "42");
    String b = api.createServer("page-b", "42");
    String c = api.createServer("page-c", "42");
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers?name=page-").body()
        .path("servers").size() == 3);
    JsonNode first = api.get("/compute/v2.1/servers?name=page-&limit=2").body();
    assertEquals(2, first.path("servers").size());
    String next = first.path("servers_links").get(0).path("href").asText();
    String marker = next.substring(next.indexOf("marker=") + 7);
    JsonNode second = api.get("/compute/v2.1/servers?name=page-&limit=2&marker=" + marker).body();
    assertEquals(1, second.path("servers").size());
    assertEquals(3, Stream.concat(first.path("servers").findValuesAsText("id").stream(),
        second.path("servers").findValuesAsText("id").stream()).distinct().count());
    // another project's server is no marker there: it answers as an id that does not exist
    api.createUserInProject("pager", "pw-pager", "paging", "member");
    Api other = new Api(node.apiUrl()).as("pager", "pw-pager", "paging");
    Api.Reply foreign = other.get("/compute/v2.1/servers?marker=" + a);
    Api.Reply unknown = other.get("/compute/v2.1/servers?marker=" + UUID.randomUUID());
    assertEquals(400, foreign.status(), foreign.raw());
    assertEquals(unknown.raw().replaceAll("[0-9a-f-]{36}", "ID"), foreign.raw().replaceAll("[0-9a-f-]{36}", "ID"));
    String privateImage = api.post("/image/v2/images", "{\"name\": \"private-marker\", \"visibility\": \"private\"}")
        .body().path("id").asText();
    Api.Reply foreignImage = other.get("/image/v2/images?marker=" + privateImage);
    assertEquals(400, foreignImage.status(), foreignImage.raw());
    assertEquals(200, api.get("/image/v2/images?marker=" + privateImage).status(), "its owner pages from it");
    Stream.of(a, b, c).forEach(id -> api.delete("/compute/v2.1/servers/" + id));
  }

  @Test
  void listsFilterByChangesSinceAndAnUnknownStatusMatchesNothing() {
    String id = api.createServer("changed", "42");
    api.awaitStatus(id, "ACTIVE", WAIT);
    Api.Reply recent = api.get("/compute/v2.1/servers?changes-since=2000-01-01T00:00:00Z");
    assertTrue(recent.body().path("servers").findValuesAsText("id").contains(id), recent.raw());
    assertTrue(recent.headers().firstValue("x-compute-request-id").orElse("").startsWith("req-"), "Nova's request id");
    assertEquals(0, api.get("/compute/v2.1/servers?changes-since=2999-01-01T00:00:00").body().path("servers").size());
    assertEquals(400, api.get("/compute/v2.1/servers?changes-since=yesterday").status());
    Api.Reply unknown = api.get("/compute/v2.1/servers?status=NO_SUCH_STATUS");
    assertEquals(200, unknown.status(), "before 2.38 Nova answers an empty list");
    assertEquals(0, unknown.body().path("servers").size());
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    // a deleted server is among the changes since, as Nova lists it
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/detail?changes-since=2000-01-01T00:00:00Z").body()
        .path("servers").findValuesAsText("status").contains("DELETED"));
  }

  @Test
  void listsFilterByImageAndFlavor() {
    String nano = api.createServer("filtered-nano", "42");
    String micro = api.createServer("filtered-micro", "84");
    assertEquals(List.of(micro), api.get("/compute/v2.1/servers?name=filtered-&flavor=84").body()
        .path("servers").findValuesAsText("id"));
    assertEquals(List.of(nano), api.get("/compute/v2.1/servers?name=filtered-&flavor=http://x/flavors/42").body()
        .path("servers").findValuesAsText("id"), "a flavor link works as well as an id");
    assertEquals(2, api.get("/compute/v2.1/servers?name=filtered-&image=" + Api.TEST_IMAGE).body().path("servers").size());
    assertTrue(api.get("/compute/v2.1/servers?name=filtered-&image=" + UUID.randomUUID()).body().path("servers").isEmpty());
    Stream.of(nano, micro).forEach(id -> api.delete("/compute/v2.1/servers/" + id));
  }

  static Stream<Arguments> badRequests() {
    String image = Api.TEST_IMAGE;
    String ok = "\"imageRef\": \"" + image + "\", \"flavorRef\": \"42\"";
    return Stream.of(
        Arguments.of("malformed JSON", "POST", "/compute/v2.1/servers", "{\"server\": {", 400, "badRequest"),
        Arguments.of("not an object", "POST", "/compute/v2.1/servers", "[1, 2]", 400, "badRequest"),
        Arguments.of("no server", "POST", "/compute/v2.1/servers", "{}", 400, "badRequest"),
        Arguments.of("missing name", "POST", "/compute/v2.1/servers", "{\"server\": {" + ok + "}}", 400, "badRequest"),
        Arguments.of("name not a string", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": 5, " + ok + "}}", 400, "badRequest"),
        Arguments.of("empty name", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"\", " + ok + "}}", 400, "badRequest"),
        Arguments.of("name with spaces around", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \" x \", " + ok + "}}", 400, "badRequest"),
        Arguments.of("missing imageRef", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"flavorRef\": \"42\"}}", 400, "badRequest"),
        Arguments.of("imageRef not a uuid", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \"nope\", \"flavorRef\": \"42\"}}", 400, "badRequest"),
        Arguments.of("unknown image", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \"" + UUID.randomUUID() + "\", \"flavorRef\": \"42\"}}", 400, "badRequest"),
        Arguments.of("unknown flavor", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \"" + image + "\", \"flavorRef\": \"999\"}}", 400, "badRequest"),
        Arguments.of("flavorRef wrong type", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \"" + image + "\", \"flavorRef\": [1]}}", 400, "badRequest"),
        Arguments.of("metadata not an object", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", " + ok + ", \"metadata\": 3}}", 400, "badRequest"),
        Arguments.of("metadata value not a string", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", " + ok + ", \"metadata\": {\"a\": 1}}}", 400, "badRequest"),
        Arguments.of("unknown field", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", " + ok + ", \"colour\": \"red\"}}", 400, "badRequest"),
        Arguments.of("networks wrong type", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", " + ok + ", \"networks\": 7}}", 400, "badRequest"),
        Arguments.of("oversized body", "POST", "/compute/v2.1/servers", "{\"server\": {\"name\": \"" + "x".repeat(8000) + "\"}}", 413, "overLimit"),
        Arguments.of("unknown server", "GET", "/compute/v2.1/servers/" + UUID.randomUUID(), null, 404, "itemNotFound"),
        Arguments.of("id not a uuid", "GET", "/compute/v2.1/servers/not-a-uuid", null, 404, "itemNotFound"),
        Arguments.of("delete unknown server", "DELETE", "/compute/v2.1/servers/" + UUID.randomUUID(), null, 404, "itemNotFound"),
        Arguments.of("action on unknown server", "POST", "/compute/v2.1/servers/" + UUID.randomUUID() + "/action", "{\"os-start\": null}", 404, "itemNotFound"),
        Arguments.of("unknown path", "GET", "/compute/v2.1/nothing-here", null, 404, "itemNotFound"),
        Arguments.of("wrong method", "PATCH", "/compute/v2.1/servers", "{}", 405, "badMethod"),
        Arguments.of("bad limit", "GET", "/compute/v2.1/servers?limit=abc", null, 400, "badRequest"),
        Arguments.of("negative limit", "GET", "/compute/v2.1/servers?limit=-1", null, 400, "badRequest"),
        Arguments.of("unknown marker", "GET", "/compute/v2.1/servers?marker=" + UUID.randomUUID(), null, 400, "badRequest"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badInputGetsANovaError(String what, String method, String path, String body, int status, String kind) {
    Api.Reply reply = switch (method) {
      case "GET" -> api.get(path);
      case "DELETE" -> api.delete(path);
      case "POST" -> api.post(path, body);
      default -> api.send(method, path, body);
    };
    assertEquals(status, reply.status(), what + ": " + reply.raw());
    assertEquals(status, reply.body().path(kind).path("code").asInt(), what + ": " + reply.raw());
    assertFalse(reply.body().path(kind).path("message").asText().isBlank(), what);
    assertFalse(reply.raw().contains("Exception"), what + " leaks internals: " + reply.raw());
  }

  static Stream<Arguments> badActions() {
    return Stream.of(
        Arguments.of("unknown action", "{\"os-fly\": null}"),
        Arguments.of("two actions", "{\"os-start\": null, \"os-stop\": null}"),
        Arguments.of("reboot without type", "{\"reboot\": {}}"),
        Arguments.of("reboot with bad type", "{\"reboot\": {\"type\": \"GENTLE\"}}"),
        Arguments.of("reboot not an object", "{\"reboot\": \"HARD\"}"),
        Arguments.of("console length not a number", "{\"os-getConsoleOutput\": {\"length\": \"ten\"}}"),
        Arguments.of("console length below -1", "{\"os-getConsoleOutput\": {\"length\": -5}}"),
        Arguments.of("malformed JSON", "{\"os-start\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badActions")
  void badActionsGetABadRequest(String what, String body) {
    String id = sharedServer();
    Api.Reply reply = api.post("/compute/v2.1/servers/" + id + "/action", body);
    assertEquals(400, reply.status(), what + ": " + reply.raw());
    assertEquals(400, reply.body().path("badRequest").path("code").asInt(), what);
  }

  private static String shared;

  private static synchronized String sharedServer() {
    if (shared == null) {
      shared = api.createServer("target", "42");
      api.awaitStatus(shared, "ACTIVE", WAIT);
    }
    return shared;
  }

  /** Deletes are never deferred: nothing can be restored, and a force delete is a delete. */
  @Test
  void aServerIsNeverSoftDeletedSoRestoreConflictsAndForceDeleteDeletes() {
    String id = api.createServer("forced", "42");
    api.awaitStatus(id, "ACTIVE", WAIT);
    Api.Reply restore = api.post("/compute/v2.1/servers/" + id + "/action", "{\"restore\": null}");
    assertEquals(409, restore.status(), restore.raw());
    assertTrue(restore.body().path("conflictingRequest").path("message").asText().contains("vm_state active"),
        restore.raw());
    String unknown = "/compute/v2.1/servers/" + UUID.randomUUID() + "/action";
    assertEquals(404, api.post(unknown, "{\"restore\": null}").status());
    assertEquals(404, api.post(unknown, "{\"forceDelete\": null}").status());
    api.createUserInProject("forcer", "forcer-pw-1", "force-elsewhere", "member");
    Api other = api.as("forcer", "forcer-pw-1", "force-elsewhere");
    assertEquals(404, other.post("/compute/v2.1/servers/" + id + "/action", "{\"forceDelete\": null}").status(),
        "another project's server is not there for it");
    assertEquals(202, api.post("/compute/v2.1/servers/" + id + "/action", "{\"forceDelete\": null}").status());
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
  }

  /** Nova's hypervisor search and server list up to 2.52: by a part of the host's name, admins only. */
  @Test
  void hypervisorsAreFoundByAPartOfTheirNameWithTheirServers() {
    String server = sharedServer();
    String host = node.settings().host().name();
    String part = host.substring(1);
    JsonNode found = api.get("/compute/v2.1/os-hypervisors/" + part + "/search").body().path("hypervisors");
    assertEquals(List.of(host), found.findValuesAsText("hypervisor_hostname"), found.toString());
    assertFalse(found.get(0).has("servers"));
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/os-hypervisors/" + part + "/servers").body()
        .path("hypervisors").get(0).path("servers").findValuesAsText("uuid").contains(server));
    JsonNode withServers = api.get("/compute/v2.1/os-hypervisors/" + part + "/servers").body().path("hypervisors");
    assertEquals(host, withServers.get(0).path("hypervisor_hostname").asText());
    assertEquals(404, api.get("/compute/v2.1/os-hypervisors/no-such-host/search").status());
    assertEquals(404, api.get("/compute/v2.1/os-hypervisors/no-such-host/servers").status());
    api.createUserInProject("hv-member", "hv-member-pw-1", "hv-project", "member");
    Api member = api.as("hv-member", "hv-member-pw-1", "hv-project");
    assertEquals(403, member.get("/compute/v2.1/os-hypervisors/" + part + "/search").status());
    assertEquals(403, member.get("/compute/v2.1/os-hypervisors/" + part + "/servers").status(),
        "a member does not learn which servers a host runs");
  }

  /** Nova's libvirt driver supports neither host updates nor host power actions: 501 once Nova's checks pass. */
  @Test
  void aComputeHostsUpdateAndPowerActionsAreNotSupportedAsOnLibvirt() {
    JsonNode hosts = api.get("/compute/v2.1/os-hosts").body().path("hosts");
    String host = null;
    for (JsonNode h : hosts) if (h.path("service").asText().equals("compute")) host = h.path("host_name").asText();
    assertTrue(host != null, hosts.toString());
    assertEquals(hosts.size(), api.get("/compute/v2.1/os-hosts?zone=").body().path("hosts").size(),
        "a blank zone filters nothing, as in Nova");
    Api.Reply update = api.send("PUT", "/compute/v2.1/os-hosts/" + host, "{\"status\": \"disable\"}");
    assertEquals(501, update.status(), update.raw());
    assertEquals("The requested functionality is not supported.",
        update.body().path("notImplemented").path("message").asText(), update.raw());
    assertEquals(501, api.get("/compute/v2.1/os-hosts/" + host + "/reboot").status());
    assertEquals(404, api.get("/compute/v2.1/os-hosts/" + host + "/hibernate").status());
  }

  @Test
  void healthAndVersionDocuments() {
    assertEquals(200, api.get("/healthz").status());
    JsonNode ready = api.get("/readyz").body();
    assertTrue(ready.path("ready").asBoolean(), ready.toString());
    JsonNode version = api.get("/compute/v2.1").body().path("version");
    assertEquals("v2.1", version.path("id").asText());
    assertEquals("CURRENT", version.path("status").asText());
  }

  @Test
  void serverGroupsAreCheckedAndBelongToTheirProject() {
    String group = "/compute/v2.1/os-server-groups";
    assertEquals(400, api.post(group, "{\"server_group\": {\"name\": \"g\", \"policies\": [\"nearby\"]}}").status());
    assertEquals(400, api.post(group, "{\"server_group\": {\"name\": \"g\", \"policies\": \"affinity\"}}").status());
    assertEquals(400, api.post(group, "{\"server_group\": {\"policies\": [\"affinity\"]}}").status());
    assertEquals(400, api.post(group, "{\"server_group\": {\"name\": \"g\", \"policies\": [\"affinity\"], \"x\": 1}}").status());
    Api.Reply created = api.post(group, "{\"server_group\": {\"name\": \"g\", \"policies\": [\"anti-affinity\"]}}");
    assertEquals(200, created.status(), created.raw());
    String id = created.body().path("server_group").path("id").asText();
    JsonNode shown = api.get(group + "/" + id).body().path("server_group");
    assertEquals(1, shown.path("policies").size());
    assertEquals("anti-affinity", shown.path("policies").get(0).asText());
    assertTrue(api.get(group).body().path("server_groups").findValuesAsText("id").contains(id));
    assertEquals(404, api.get(group + "/" + UUID.randomUUID()).status());

    String hinted = "{\"server\": {\"name\": \"hinted\", \"imageRef\": \"" + Api.TEST_IMAGE
        + "\", \"flavorRef\": \"42\"}, \"os:scheduler_hints\": {\"group\": \"%s\"}}";
    assertEquals(400, api.post("/compute/v2.1/servers", hinted.formatted(UUID.randomUUID())).status(), "an unknown group");
    assertEquals(400, api.post("/compute/v2.1/servers", hinted.formatted("not-a-uuid")).status());
    api.createUserInProject("grouper", "grouper-pw-1", "groups-elsewhere", "member");
    Api other = api.as("grouper", "grouper-pw-1", "groups-elsewhere");
    assertEquals(404, other.get(group + "/" + id).status(), "another project's group does not exist for it");
    assertEquals(400, other.post("/compute/v2.1/servers", hinted.formatted(id)).status());

    Api.Reply member = api.post("/compute/v2.1/servers", hinted.formatted(id));
    assertEquals(202, member.status(), member.raw());
    String serverId = member.body().path("server").path("id").asText();
    api.awaitStatus(serverId, "ACTIVE", WAIT);
    JsonNode members = api.get(group + "/" + id).body().path("server_group").path("members");
    assertEquals(1, members.size());
    assertEquals(serverId, members.get(0).asText());
    assertEquals(204, api.delete("/compute/v2.1/servers/" + serverId).status());
    Eventually.until(WAIT, () -> api.get(group + "/" + id).body().path("server_group").path("members").isEmpty());
    assertEquals(204, api.delete(group + "/" + id).status());
    assertEquals(404, api.get(group + "/" + id).status());
  }
}
