package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two control nodes on one PostgreSQL: a token revoked through one node's API (by itself, by a
 * password change, by losing its role) is refused by the other, which learns of it from the
 * journal (and ends the event streams it serves); so does a node that joins after the revocations.
 * A dashboard ticket bought on one node opens a stream on the other.
 */
class RevocationAcrossNodesTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String SERVERS = "/compute/v2.1/servers";
  @TempDir
  Path data;

  @Test
  void aTokenRevokedOnOneNodeIsRefusedByTheOthers() throws Exception {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    List<String> keys = List.of(java.util.Base64.getEncoder().encodeToString(key)); // shared by control nodes
    Map<String, Object> firstSettings = TestPostgres.settings(TestPostgres.URL);
    firstSettings.put("nimbus.identity.token-keys", keys);
    try (Node first = Node.start(TestConfig.allInOne(data.resolve("first"), firstSettings), ConfigFactory.empty())) {
      Map<String, Object> second = TestPostgres.settings(TestPostgres.URL);
      second.put("nimbus.identity.token-keys", keys);
      second.put("nimbus.roles", List.of("control"));
      second.put("nimbus.cluster.seed-nodes", List.of("127.0.0.1:" + first.clusterPort()));
      Api admin = Api.adminOf(first);
      String name = "revoked-" + UUID.randomUUID().toString().substring(0, 8);
      String userId = admin.createUserInProject(name, "secret-" + name, name, "member");
      String projectId = admin.get("/identity/v3/projects?name=" + name).body().path("projects").get(0).path("id").asText();
      String roleId = admin.get("/identity/v3/roles?name=member").body().path("roles").get(0).path("id").asText();

      String revoked;
      try (Node other = Node.start(TestConfig.allInOne(data.resolve("second"), second), ConfigFactory.empty())) {
        Api elsewhere = Api.adminOf(other);
        // one token, revoked by itself
        Api tenant = admin.as(name, "secret-" + name, name);
        Api sameTokenElsewhere = elsewhere.withToken(tenant.token());
        assertEquals(200, sameTokenElsewhere.get(SERVERS).status());
        // a ticket bought on one node opens a stream on the other (behind a load balancer), once there
        Api.Reply bought = tenant.post("/dashboard/v1/event-tickets", "");
        assertEquals(201, bought.status(), bought.raw());
        String ticket = bought.body().path("ticket").asText();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (DashboardApiTest.Stream stream = DashboardApiTest.Stream.open(http, other.apiUrl(), ticket)) {
          stream.await("event:ready");
          assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(other.apiUrl() + "/dashboard/v1/events?ticket="
              + ticket)).build(), HttpResponse.BodyHandlers.discarding()).statusCode(), "used on this node");
          assertEquals(204, admin.sendWithHeader("DELETE", "/identity/v3/auth/tokens", "X-Subject-Token",
              tenant.token()).status());
          // the revocation, made on the first node, ends the stream on the other
          Eventually.until(WAIT, stream.ended::get);
        }
        Eventually.until(WAIT, () -> sameTokenElsewhere.get(SERVERS).status() == 401);

        // every token of the user, by a password change
        Api beforeChange = elsewhere.withToken(admin.as(name, "secret-" + name, name).token());
        assertEquals(200, beforeChange.get(SERVERS).status());
        assertEquals(200, admin.patch("/identity/v3/users/" + userId,
            "{\"user\": {\"password\": \"changed-" + name + "\"}}").status());
        Eventually.until(WAIT, () -> beforeChange.get(SERVERS).status() == 401);
        revoked = beforeChange.token();
        Api afterChange = elsewhere.withToken(admin.as(name, "changed-" + name, name).token());
        assertEquals(200, afterChange.get(SERVERS).status(), "a new login works at once");

        // and by losing the role
        assertEquals(204, admin.delete("/identity/v3/projects/" + projectId + "/users/" + userId + "/roles/"
            + roleId).status());
        Eventually.until(WAIT, () -> afterChange.get(SERVERS).status() == 401);
      }
      // a node that joins after the revocations knows them from its start
      try (Node late = Node.start(TestConfig.allInOne(data.resolve("late"), second), ConfigFactory.empty())) {
        Api lateApi = Api.adminOf(late);
        assertEquals(401, lateApi.withToken(revoked).get(SERVERS).status());
      }
    }
  }
}
