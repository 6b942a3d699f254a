package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Keystone tokens and tenancy over real HTTP: what gets in, what stays out, in which format. */
class IdentityApiTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static Node node;
  private static Api anonymous;
  private static Api admin;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.identity.lockout-failure-attempts", 3,
      "nimbus.identity.max-pending-password-checks", 4), (n, a) -> {
    node = n;
    admin = a;
    anonymous = new Api(n.apiUrl());
  });

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void assertKeystoneError(Api.Reply r, int status) {
    assertEquals(status, r.status(), r.raw());
    assertEquals(status, r.body().path("error").path("code").asInt(), r.raw());
    assertFalse(r.body().path("error").path("message").asText().isBlank(), r.raw());
  }

  private static Api.Reply login(String user, String password) {
    return anonymous.post("/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["password"], "password": {"user":
          {"name": "%s", "domain": {"id": "default"}, "password": "%s"}}}}}""".formatted(user, password));
  }

  @Test
  void aTokenCarriesUserProjectRolesAndTheCatalog() {
    Api.Reply r = anonymous.post("/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["password"], "password": {"user":
          {"name": "admin", "domain": {"name": "Default"}, "password": "%s"}}},
         "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}""".formatted(TestConfig.ADMIN_PASSWORD));
    assertEquals(201, r.status(), r.raw());
    String token = r.headers().firstValue("X-Subject-Token").orElseThrow();
    JsonNode t = r.body().path("token");
    assertEquals("admin", t.path("user").path("name").asText());
    assertEquals("admin", t.path("project").path("name").asText());
    assertTrue(t.path("roles").findValuesAsText("name").contains("admin"));
    assertEquals(5, t.path("catalog").size());
    assertTrue(t.path("expires_at").asText().endsWith("Z"));
    assertKeystoneError(anonymous.get("/identity/v3/auth/tokens"), 401);
    Api.Reply check = new Api(node.apiUrl()).withToken(token).get("/compute/v2.1/servers");
    assertEquals(200, check.status(), check.raw());
  }

  @Test
  void wrongPasswordsAndUnknownUsersGetTheSame401() {
    assertKeystoneError(login("admin", "wrong"), 401);
    assertKeystoneError(login("nobody-" + UUID.randomUUID(), "wrong"), 401);
    assertEquals(login("admin", "wrong").body().path("error").path("message"),
        login("nobody", "x").body().path("error").path("message"));
  }

  @Test
  void computeNeedsAValidProjectToken() {
    assertKeystoneError(anonymous.get("/compute/v2.1/servers"), 401);
    assertKeystoneError(anonymous.withToken("garbage").get("/compute/v2.1/servers"), 401);
    String tampered = admin.token().substring(0, admin.token().length() - 2) + "AA";
    assertKeystoneError(anonymous.withToken(tampered).get("/compute/v2.1/servers"), 401);
    String unscoped = login("admin", TestConfig.ADMIN_PASSWORD).headers().firstValue("X-Subject-Token").orElseThrow();
    assertKeystoneError(anonymous.withToken(unscoped).get("/compute/v2.1/servers"), 401);
  }

  @Test
  void aRevokedTokenStopsWorking() {
    Api victim = anonymous.asAdmin();
    assertEquals(200, victim.get("/compute/v2.1/servers").status());
    Api.Reply byHeader = victim.sendWithSubject("DELETE", victim.token());
    assertEquals(204, byHeader.status(), byHeader.raw());
    assertKeystoneError(victim.get("/compute/v2.1/servers"), 401);
    assertEquals(404, admin.sendWithSubject("GET", victim.token()).status());
  }

  @Test
  void aTokenIsValidatedWithoutADatabaseAndShowsItsBody() {
    Api.Reply r = admin.sendWithSubject("GET", admin.token());
    assertEquals(200, r.status(), r.raw());
    assertEquals("admin", r.body().path("token").path("user").path("name").asText());
    assertEquals(200, admin.sendWithSubject("HEAD", admin.token()).status());
  }

  @Test
  void projectsDoNotSeeEachOthersServers() {
    String p1 = unique("p1");
    String p2 = unique("p2");
    admin.createUserInProject(p1 + "-user", "pw-one", p1, "member");
    admin.createUserInProject(p2 + "-user", "pw-two", p2, "member");
    Api one = anonymous.as(p1 + "-user", "pw-one", p1);
    Api two = anonymous.as(p2 + "-user", "pw-two", p2);
    String mine = one.createServer("mine", "42");
    one.awaitStatus(mine, "ACTIVE", WAIT);
    assertEquals(404, two.get("/compute/v2.1/servers/" + mine).status());
    assertEquals(404, two.delete("/compute/v2.1/servers/" + mine).status());
    assertEquals(404, two.action(mine, "{\"os-stop\": null}"));
    assertEquals(404, two.post("/compute/v2.1/servers/" + mine + "/action", "{\"os-getConsoleOutput\": {}}").status());
    Eventually.until(WAIT, () -> one.get("/compute/v2.1/servers").body().path("servers").findValuesAsText("id").contains(mine));
    assertFalse(two.get("/compute/v2.1/servers").body().path("servers").findValuesAsText("id").contains(mine));
    assertFalse(two.get("/compute/v2.1/servers?all_tenants=1").body().path("servers").findValuesAsText("id").contains(mine));
    // the admin sees every project's servers when asking for all of them
    Eventually.until(WAIT, () -> admin.get("/compute/v2.1/servers?all_tenants=1").body().path("servers")
        .findValuesAsText("id").contains(mine));
    assertEquals("ACTIVE", one.status(mine));
    // where a server runs is for admins to know
    assertTrue(one.server(mine).path("OS-EXT-SRV-ATTR:host").isMissingNode());
    assertFalse(admin.server(mine).path("OS-EXT-SRV-ATTR:host").isMissingNode());
    assertEquals(204, one.delete("/compute/v2.1/servers/" + mine).status());
  }

  /** Keystone's old problem: the admin role on any project made a user the cloud's admin. */
  @Test
  void anAdminOfAProjectIsNoAdminOfTheCloud() {
    String p = unique("demo");
    String userId = admin.createUserInProject(p + "-boss", "pw-boss", p, "admin");
    Api projectAdmin = anonymous.as(p + "-boss", "pw-boss", p);
    String adminsServer = admin.createServer("admins-own", "42");

    JsonNode all = projectAdmin.get("/compute/v2.1/servers?all_tenants=1").body();
    assertFalse(all.path("servers").findValuesAsText("id").contains(adminsServer), all.toString());
    assertEquals(404, projectAdmin.get("/compute/v2.1/servers/" + adminsServer).status());
    assertEquals(403, projectAdmin.post("/compute/v2.1/flavors",
        "{\"flavor\": {\"name\": \"" + p + "\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1}}").status());
    assertEquals(403, projectAdmin.get("/compute/v2.1/os-hypervisors").status());
    String adminProject = admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String adminRole = admin.get("/identity/v3/roles?name=admin").body().path("roles").get(0).path("id").asText();
    assertKeystoneError(projectAdmin.put("/identity/v3/projects/" + adminProject + "/users/" + userId
        + "/roles/" + adminRole), 403);
    assertKeystoneError(projectAdmin.get("/identity/v3/users"), 403);
    // in its own project it still acts: it creates servers there
    String own = projectAdmin.createServer("project-admins", "42");
    assertEquals(200, projectAdmin.get("/compute/v2.1/servers/" + own).status());
    admin.delete("/compute/v2.1/servers/" + own);
    admin.delete("/compute/v2.1/servers/" + adminsServer);
  }

  @Test
  void membersAndReadersAreKeptToTheirRoles() {
    String p = unique("roles");
    admin.createUserInProject(p + "-member", "pw-m", p, "member");
    Api member = anonymous.as(p + "-member", "pw-m", p);
    assertKeystoneError(member.get("/identity/v3/users"), 403);
    assertKeystoneError(member.post("/identity/v3/projects", "{\"project\": {\"name\": \"sneaky\"}}"), 403);
    assertKeystoneError(member.get("/identity/v3/role_assignments"), 403);
    assertEquals(403, member.get("/compute/v2.1/os-hypervisors").body().path("forbidden").path("code").asInt());
    assertEquals(403, member.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"mine\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1}}").status());
    // a private flavor: invisible and unusable without access, usable with it
    String flavor = admin.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + unique("priv")
        + "\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1, \"os-flavor-access:is_public\": false}}")
        .body().path("flavor").path("id").asText();
    assertEquals(404, member.get("/compute/v2.1/flavors/" + flavor).status());
    Api.Reply denied = member.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"" + flavor + "\"}}");
    assertEquals(400, denied.status(), denied.raw());
    String projectId = admin.get("/identity/v3/projects?name=" + p).body().path("projects").get(0).path("id").asText();
    assertEquals(200, admin.post("/compute/v2.1/flavors/" + flavor + "/action",
        "{\"addTenantAccess\": {\"tenant\": \"" + projectId + "\"}}").status());
    assertEquals(64, member.get("/compute/v2.1/flavors/" + flavor).body().path("flavor").path("ram").asInt());
    assertEquals("nova", member.get("/compute/v2.1/os-availability-zone").body()
        .path("availabilityZoneInfo").get(0).path("zoneName").asText());

    String r = unique("ro");
    admin.createUserInProject(r + "-reader", "pw-r", r, "reader");
    Api reader = anonymous.as(r + "-reader", "pw-r", r);
    assertEquals(200, reader.get("/compute/v2.1/servers").status());
    Api.Reply create = reader.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\"}}");
    assertEquals(403, create.status(), create.raw());
    assertEquals(403, create.body().path("forbidden").path("code").asInt());
  }

  @Test
  void badIdentityRequestsGetKeystoneErrors() {
    assertKeystoneError(anonymous.post("/identity/v3/auth/tokens", "{\"auth\": "), 400);
    assertKeystoneError(anonymous.post("/identity/v3/auth/tokens", "[1]"), 400);
    assertKeystoneError(anonymous.post("/identity/v3/auth/tokens", "{\"auth\": {}}"), 400);
    assertKeystoneError(anonymous.post("/identity/v3/auth/tokens",
        "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"admin\"}}}}}"), 400);
    assertKeystoneError(admin.post("/identity/v3/projects", "{\"project\": {}}"), 400);
    assertKeystoneError(admin.post("/identity/v3/projects", "{\"project\": {\"name\": \"admin\"}}"), 409);
    assertKeystoneError(admin.get("/identity/v3/projects/" + UUID.randomUUID()), 404);
    assertKeystoneError(admin.put("/identity/v3/projects/nope/users/nope/roles/nope"), 404);
  }

  @Test
  void repeatedFailuresLockTheUserOut() {
    String p = unique("lock");
    String userId = admin.createUserInProject(p + "-user", "right", p, "member");
    for (int i = 0; i < 3; i++) assertKeystoneError(login(p + "-user", "wrong"), 401);
    Api.Reply locked = login(p + "-user", "right");
    assertKeystoneError(locked, 401);
    assertTrue(locked.body().path("error").path("message").asText().contains("locked"), locked.raw());
    assertFalse(locked.raw().contains(userId), "an anonymous caller learns no user id: " + locked.raw());
  }

  /** Keystone's ignore_lockout_failure_attempts: the bootstrap admin has it, and an admin can give it to a user. */
  @Test
  void usersWithTheOptionAndTheBootstrapAdminAreNeverLockedOut() {
    String p = unique("nolock");
    String userId = admin.createUserInProject(p + "-user", "right", p, "member");
    assertEquals(200, admin.patch("/identity/v3/users/" + userId,
        "{\"user\": {\"options\": {\"ignore_lockout_failure_attempts\": true}}}").status());
    assertTrue(admin.get("/identity/v3/users/" + userId).body().path("user").path("options")
        .path("ignore_lockout_failure_attempts").asBoolean());
    for (int i = 0; i < 4; i++) assertKeystoneError(login(p + "-user", "wrong"), 401);
    assertEquals(201, login(p + "-user", "right").status(), "failures never lock this user out");
    for (int i = 0; i < 4; i++) assertKeystoneError(login("admin", "wrong"), 401);
    assertEquals(201, login("admin", TestConfig.ADMIN_PASSWORD).status(), "nor the cloud's first admin");
    assertKeystoneError(admin.patch("/identity/v3/users/" + userId,
        "{\"user\": {\"options\": {\"ignore_lockout_failure_attempts\": \"yes\"}}}"), 400);
  }

  /**
   * 500 logins at once, each with a password of a megabyte: each is refused before its body is
   * held (413, or the connection closed behind it), the node keeps no memory of them, and other
   * requests are served meanwhile.
   */
  @Test
  void aFloodOfMegabytePasswordsLeavesTheNodesMemoryFlat() throws Exception {
    long before = heapAfterGc();
    // one array for every request: the test's own memory stays out of the measure
    byte[] body = ("{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": "
        + "\"admin\", \"domain\": {\"id\": \"default\"}, \"password\": \"" + "x".repeat(1_000_000) + "\"}}}}}")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.util.Set<Integer> statuses = new java.util.HashSet<>();
    flood(body, statuses);
    assertTrue(java.util.Set.of(413, 0).containsAll(statuses), "refused, never hashed: " + statuses);
    long kept = heapAfterGc() - before;
    // the 500 connections' buffers (the node's and this client's) stay until they close: 70 to
    // 150 MiB here, with the collector's timing; the bodies, had they been held, would be 500 MB
    assertTrue(kept < 256L * 1024 * 1024, "the node kept " + kept / 1024 / 1024 + " MiB of 500 MB sent");
    assertEquals(201, login("admin", TestConfig.ADMIN_PASSWORD).status(), "and still logs users in");
  }

  /** Sends {@code body} as 500 logins at once, and a server list meanwhile; collects the logins' statuses (0: closed). */
  private static void flood(byte[] body, java.util.Set<Integer> statuses) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.util.List<java.util.concurrent.CompletableFuture<Integer>> logins = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      logins.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.apiUrl()
              + "/identity/v3/auth/tokens")).header("Content-Type", "application/json")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding())
          .thenApply(java.net.http.HttpResponse::statusCode)
          .exceptionally(closedBehindTheAnswer -> 0));
    }
    assertEquals(200, admin.get("/compute/v2.1/servers").status(), "served during the flood");
    for (var login : logins) statuses.add(login.get(60, java.util.concurrent.TimeUnit.SECONDS));
  }

  private static long heapAfterGc() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) System.gc(); // a request, honoured by the JVMs tests run on
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /** A flood of logins meets a bounded queue: the excess is answered 503 at once, the rest as usual. */
  @Test
  void aFloodOfLoginsIsAnsweredNotQueuedWithoutBound() throws Exception {
    String p = unique("flood");
    admin.createUserInProject(p + "-user", "right", p, "member");
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(60);
    java.util.List<Api.Reply> replies;
    try {
      java.util.List<java.util.concurrent.Future<Api.Reply>> logins = new java.util.ArrayList<>();
      for (int i = 0; i < 60; i++) logins.add(clients.submit(() -> login(unique("nobody"), "wrong")));
      replies = new java.util.ArrayList<>();
      for (var login : logins) replies.add(login.get());
    } finally {
      clients.shutdown();
    }
    java.util.Map<Integer, Long> statuses = replies.stream()
        .collect(java.util.stream.Collectors.groupingBy(Api.Reply::status, java.util.stream.Collectors.counting()));
    assertEquals(java.util.Set.of(401, 503), statuses.keySet(), statuses.toString());
    assertKeystoneError(replies.stream().filter(r -> r.status() == 503).findFirst().orElseThrow(), 503);
    assertEquals(201, login(p + "-user", "right").status(), "the node still serves logins");
  }

  @Test
  void passwordsOverTheLimitAreRefusedBeforeTheyAreHashed() {
    String p = unique("long");
    admin.createUserInProject(p + "-user", "right", p, "member");
    String huge = "x".repeat(100_000);
    for (int i = 0; i < 5; i++) assertKeystoneError(login(p + "-user", huge), 401);
    // five checked passwords would have locked the user out (three failures do): these never reached the hash
    assertEquals(201, login(p + "-user", "right").status(), "a refused long password is no failed login");
    Api.Reply tooLong = admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + p + "-2\", \"password\": \""
        + "y".repeat(4097) + "\"}}");
    assertKeystoneError(tooLong, 400);
    assertEquals(201, admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + p + "-3\", \"password\": \""
        + "y".repeat(4096) + "\"}}").status());
  }

  @Test
  void changingAPasswordRevokesTheUsersTokens() {
    String p = unique("pwchange");
    String userId = admin.createUserInProject(p + "-user", "old", p, "member");
    Api user = anonymous.as(p + "-user", "old", p);
    assertEquals(200, user.get("/compute/v2.1/servers").status());
    assertEquals(200, admin.patch("/identity/v3/users/" + userId, "{\"user\": {\"password\": \"new\"}}").status());
    assertKeystoneError(user.get("/compute/v2.1/servers"), 401);
    assertEquals(201, login(p + "-user", "new").status());
  }

  @Test
  void deletingAProjectRevokesItsTokens() {
    String p = unique("doomed");
    admin.createUserInProject(p + "-user", "pw-d", p, "member");
    Api user = anonymous.as(p + "-user", "pw-d", p);
    assertEquals(200, user.get("/compute/v2.1/servers").status());
    String projectId = admin.get("/identity/v3/projects?name=" + p).body().path("projects").get(0).path("id").asText();
    assertEquals(204, admin.delete("/identity/v3/projects/" + projectId).status());
    assertKeystoneError(user.get("/compute/v2.1/servers"), 401);
  }

  @Test
  void aRescopedTokenKeepsTheExpiryOfTheOneItCameFrom() {
    Api.Reply first = login("admin", TestConfig.ADMIN_PASSWORD);
    String unscoped = first.headers().firstValue("X-Subject-Token").orElseThrow();
    Api.Reply scoped = anonymous.post("/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["token"], "token": {"id": "%s"}},
         "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}""".formatted(unscoped));
    assertEquals(201, scoped.status(), scoped.raw());
    assertEquals(first.body().path("token").path("expires_at"), scoped.body().path("token").path("expires_at"));
    assertEquals(first.body().path("token").path("audit_ids"), scoped.body().path("token").path("audit_ids"));
  }

  @Test
  void quotasKeepAProjectWithinItsLimits() {
    String p = unique("quota");
    admin.createUserInProject(p + "-user", "pw-q", p, "member");
    Api user = anonymous.as(p + "-user", "pw-q", p);
    String projectId = admin.get("/identity/v3/projects?name=" + p).body().path("projects").get(0).path("id").asText();
    assertEquals(403, user.send("PUT", "/compute/v2.1/os-quota-sets/" + projectId,
        "{\"quota_set\": {\"instances\": 100}}").status());
    Api.Reply set = admin.send("PUT", "/compute/v2.1/os-quota-sets/" + projectId, "{\"quota_set\": {\"instances\": 2}}");
    assertEquals(2, set.body().path("quota_set").path("instances").asInt(), set.raw());

    String first = user.createServer("q-1", "42");
    user.createServer("q-2", "42");
    Api.Reply third = user.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"q-3\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\"}}");
    assertEquals(403, third.status(), third.raw());
    assertTrue(third.body().path("forbidden").path("message").asText().startsWith("Quota exceeded for instances"));
    JsonNode limits = user.get("/compute/v2.1/limits").body().path("limits").path("absolute");
    assertEquals(2, limits.path("maxTotalInstances").asInt());
    assertEquals(2, limits.path("totalInstancesUsed").asInt());
    assertEquals(256, limits.path("totalRAMUsed").asInt());
    assertEquals(2, user.get("/compute/v2.1/os-quota-sets/" + projectId).body().path("quota_set").path("instances").asInt());

    // a deleted server gives its share back
    user.awaitStatus(first, "ACTIVE", WAIT);
    assertEquals(204, user.delete("/compute/v2.1/servers/" + first).status());
    Eventually.until(WAIT, () -> user.get("/compute/v2.1/limits").body().path("limits").path("absolute")
        .path("totalInstancesUsed").asInt() == 1);
    user.createServer("q-4", "42");
  }

  @Test
  void microversionsAreNegotiated() {
    Api.Reply ok = admin.sendWithHeader("GET", "/compute/v2.1/servers", "X-OpenStack-Nova-API-Version", "2.1");
    assertEquals(200, ok.status());
    assertEquals("compute 2.1", ok.headers().firstValue("OpenStack-API-Version").orElse(""));
    assertEquals(406, admin.sendWithHeader("GET", "/compute/v2.1/servers", "OpenStack-API-Version", "compute 2.99").status());
    assertEquals(400, admin.sendWithHeader("GET", "/compute/v2.1/servers", "X-OpenStack-Nova-API-Version", "two").status());
    // once a 500 before authentication: a number too large for an int
    Api.Reply huge = new Api(node.apiUrl()).sendWithHeader("GET", "/compute/v2.1/servers", "X-OpenStack-Nova-API-Version",
        "2.99999999999");
    assertEquals(406, huge.status(), huge.raw());
    assertTrue(huge.raw().contains("Version 2.99999999999 is not supported by the API"), huge.raw());
    assertEquals(200, admin.sendWithHeader("GET", "/compute/v2.1/servers", "X-OpenStack-Nova-API-Version", "latest").status());
  }

  @Test
  void everyServiceHasAVersionDocumentAndEveryResponseItsOwnRequestId() {
    assertEquals(300, anonymous.get("/identity").status());
    assertEquals("v3.14", anonymous.get("/identity/v3").body().path("version").path("id").asText());
    assertEquals("v2.0", anonymous.get("/network").body().path("versions").get(0).path("id").asText());
    assertEquals("v3.0", anonymous.get("/volume").body().path("versions").get(0).path("id").asText());
    assertEquals("v2.0", anonymous.get("/image").body().path("versions").get(0).path("id").asText());
    // unknown paths answer in the format of the service they fall under
    assertEquals(404, admin.get("/network/v2.0/nothing").body().path("NeutronError").isObject() ? 404 : 0);
    assertEquals(404, admin.get("/identity/v3/nothing").body().path("error").path("code").asInt());
    assertEquals(404, admin.get("/compute/v2.1/nothing").body().path("itemNotFound").path("code").asInt());
    String a = anonymous.get("/healthz").headers().firstValue("x-openstack-request-id").orElseThrow();
    String b = anonymous.get("/healthz").headers().firstValue("x-openstack-request-id").orElseThrow();
    assertNotEquals(a, b);
  }

  @Test
  void expiredTokensAreRefused(@TempDir Path other) {
    try (Node shortLived = Node.start(TestConfig.allInOne(other, Map.of("nimbus.identity.token-expiry", "3s")),
        ConfigFactory.empty())) {
      Api user = Api.adminOf(shortLived);
      assertEquals(200, user.get("/compute/v2.1/servers").status());
      Eventually.until(Duration.ofSeconds(10), () -> user.get("/compute/v2.1/servers").status() == 401);
    }
  }

  @Test
  void groupsHoldUsersOfTheirDomainAndOnlyAdminsManageThem() {
    String name = unique("ops");
    Api.Reply created = admin.post("/identity/v3/groups", "{\"group\": {\"name\": \"" + name
        + "\", \"description\": \"on call\"}}");
    assertEquals(201, created.status(), created.raw());
    String group = created.body().path("group").path("id").asText();
    assertEquals("default", created.body().path("group").path("domain_id").asText());
    assertKeystoneError(admin.post("/identity/v3/groups", "{\"group\": {\"name\": \"" + name + "\"}}"), 409);
    assertKeystoneError(admin.post("/identity/v3/groups", "{\"group\": {\"description\": \"no name\"}}"), 400);

    String user = admin.createUserInProject(unique("grouped"), "grouped-pw-1", unique("grouped-project"), "member");
    assertEquals(204, admin.put("/identity/v3/groups/" + group + "/users/" + user).status());
    assertEquals(204, admin.get("/identity/v3/groups/" + group + "/users/" + user).status());
    assertEquals(List.of(user), admin.get("/identity/v3/groups/" + group + "/users").body().path("users")
        .findValuesAsText("id"));
    assertEquals(List.of(group), admin.get("/identity/v3/users/" + user + "/groups").body().path("groups")
        .findValuesAsText("id"));
    assertKeystoneError(admin.put("/identity/v3/groups/" + group + "/users/" + UUID.randomUUID().toString()
        .replace("-", "")), 404);

    Api.Reply renamed = admin.patch("/identity/v3/groups/" + group, "{\"group\": {\"name\": \"" + name + "-2\"}}");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals("on call", renamed.body().path("group").path("description").asText());
    assertTrue(admin.get("/identity/v3/groups?name=" + name + "-2").body().path("groups").findValuesAsText("id")
        .contains(group));
    assertEquals(List.of(user), admin.get("/identity/v3/groups/" + group + "/users").body().path("users")
        .findValuesAsText("id"), "a rename keeps the members");

    String memberName = unique("plain");
    String memberProject = unique("plain-project");
    admin.createUserInProject(memberName, "plain-pw-1", memberProject, "member");
    Api member = admin.as(memberName, "plain-pw-1", memberProject);
    assertKeystoneError(member.get("/identity/v3/groups"), 403);
    assertKeystoneError(member.put("/identity/v3/groups/" + group + "/users/" + user), 403);
    assertKeystoneError(member.get("/identity/v3/users/" + user + "/groups"), 403);

    assertEquals(204, admin.delete("/identity/v3/groups/" + group + "/users/" + user).status());
    assertKeystoneError(admin.get("/identity/v3/groups/" + group + "/users/" + user), 404);
    assertEquals(204, admin.delete("/identity/v3/groups/" + group).status());
    assertKeystoneError(admin.get("/identity/v3/groups/" + group), 404);
  }
}
