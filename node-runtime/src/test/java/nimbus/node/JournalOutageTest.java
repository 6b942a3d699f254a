package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's database lost in the middle of a burst of server creates, on a real PostgreSQL
 * reached through a relay the test cuts: meanwhile the API answers 503 (never a 500 or a hang)
 * and says it is not ready; once the database is back, every create that was accepted ends
 * ACTIVE, nothing is left half-built, the quota matches what exists, and new work goes through.
 */
class JournalOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir
  Path data;

  @Test
  void aDatabaseOutageDuringABurstOfCreatesLosesNothingAccepted() throws Exception {
    Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/(.+)").matcher(TestPostgres.URL);
    assertTrue(url.matches(), "a PostgreSQL URL with host and port");
    try (TcpProxy database = new TcpProxy(url.group(1), Integer.parseInt(url.group(2)))) {
      Map<String, Object> settings = TestPostgres.settings("jdbc:postgresql://127.0.0.1:" + database.port() + "/" + url.group(3));
      try (Node node = Node.start(TestConfig.allInOne(data, settings), ConfigFactory.empty())) {
        Api admin = Api.adminOf(node);
        String project = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createUserInProject(project, "secret-" + project, project, "member");
        Api api = admin.as(project, "secret-" + project, project);

        List<String> accepted = new ArrayList<>(creates(api, 10).stream().map(r -> {
          assertEquals(202, r.status(), r.raw());
          return r.body().path("server").path("id").asText();
        }).toList());

        database.cut();
        for (Api.Reply r : creates(api, 20)) {
          assertTrue(Set.of(202, 503).contains(r.status()), "accepted or unavailable, nothing else: " + r.raw());
          if (r.status() == 202) {
            accepted.add(r.body().path("server").path("id").asText());
          } else {
            assertEquals(503, r.body().path("serviceUnavailable").path("code").asInt(), "Nova's error format: " + r.raw());
          }
        }
        Api.Reply list = api.get("/compute/v2.1/servers");
        assertEquals(503, list.status(), "a list the database cannot give: " + list.raw());
        Eventually.until(WAIT, () -> admin.get("/readyz").status() == 503);

        database.restore();
        Eventually.until(WAIT, () -> admin.get("/readyz").status() == 200);
        for (String id : accepted) api.awaitStatus(id, "ACTIVE", WAIT);
        // new work goes through, once sharding has its coordinators back (until then: 503, try again)
        String body = "{\"server\": {\"name\": \"" + project + "-after\", \"imageRef\": \"" + Api.TEST_IMAGE
            + "\", \"flavorRef\": \"42\"}}";
        Api.Reply created = Eventually.await(WAIT, () -> {
          Api.Reply r = api.post("/compute/v2.1/servers", body);
          if (!Set.of(202, 503).contains(r.status())) throw new IllegalStateException("neither 202 nor 503: " + r.raw());
          return r.status() == 202 ? r : null;
        });
        api.awaitStatus(created.body().path("server").path("id").asText(), "ACTIVE", WAIT);

        // what the project has: every server stable, and counted once in its quota (a create
        // that was under way when the database went resumes on its own time: both are read again)
        String[] last = {""};
        JsonNode servers;
        try {
          servers = Eventually.await(WAIT, () -> {
            JsonNode all = api.get("/compute/v2.1/servers/detail").body().path("servers");
            int used = api.get("/compute/v2.1/limits").body().path("limits").path("absolute").path("totalInstancesUsed").asInt();
            last[0] = all.size() + " servers (" + all.findValuesAsText("status") + "), quota counts " + used;
            for (JsonNode s : all) if (!s.path("status").asText().equals("ACTIVE")) return null;
            return used == all.size() ? all : null;
          });
        } catch (AssertionError e) {
          throw new AssertionError("last seen: " + last[0], e);
        }
        assertTrue(servers.findValuesAsText("id").containsAll(accepted), "every accepted server exists");
        for (JsonNode s : servers) api.delete("/compute/v2.1/servers/" + s.path("id").asText());
      }
    }
  }

  /** {@code count} creates at once; their answers. */
  private static List<Api.Reply> creates(Api api, int count) {
    List<CompletableFuture<Api.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body = "{\"server\": {\"name\": \"burst-" + i + "\", \"imageRef\": \"" + Api.TEST_IMAGE
          + "\", \"flavorRef\": \"42\"}}";
      replies.add(CompletableFuture.supplyAsync(() -> api.post("/compute/v2.1/servers", body)));
    }
    return replies.stream().map(CompletableFuture::join).toList();
  }
}
