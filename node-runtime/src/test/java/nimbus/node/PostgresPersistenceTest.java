package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.compute.PowerState;
import nimbus.config.DatabaseSettings;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The persistence suite on a real PostgreSQL (which ./nimbus test installs and starts): schema
 * created at start (twice, idempotently), events journaled, the read side projected, and a
 * node restarted on the same database finds its servers and restores their domains.
 */
class PostgresPersistenceTest {
  @TempDir
  Path data;

  private Map<String, Object> postgres(String host) {
    Map<String, Object> settings = TestPostgres.settings(TestPostgres.URL);
    settings.put("nimbus.host.name", host);
    return settings;
  }

  @Test
  void serversSurviveARestartOnPostgres() {
    String host = "pg-" + UUID.randomUUID().toString().substring(0, 8);
    String id;
    try (Node node = Node.start(TestConfig.allInOne(data, postgres(host)), ConfigFactory.empty())) {
      assertEquals(DatabaseSettings.Kind.POSTGRESQL, node.settings().database().kind());
      Api api = Api.adminOf(node);
      id = api.createServer("on-postgres", "42");
      api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(30));
      Eventually.until(Duration.ofSeconds(15), () -> api.get("/compute/v2.1/servers?name=on-postgres")
          .body().path("servers").findValuesAsText("id").contains(id));

      // a NUL once got into a name and stopped the projection on PostgreSQL for good
      for (String name : List.of("nul\\u0000name", "escape\\u001b[2J", "bell\\u0007")) {
        Api.Reply server = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name
            + "\", \"imageRef\": \"" + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\"}}");
        assertEquals(400, server.status(), name + ": " + server.raw());
        Api.Reply image = api.post("/image/v2/images", "{\"name\": \"" + name + "\"}");
        assertEquals(400, image.status(), name + ": " + image.raw());
      }
      Api.Reply property = api.post("/image/v2/images", "{\"name\": \"p\", \"note\": \"a\\u0000b\"}");
      assertEquals(400, property.status(), property.raw());
      String after = api.createServer("after-the-attempts", "42");
      Eventually.until(Duration.ofSeconds(15), () -> api.get("/compute/v2.1/servers?name=after-the-attempts")
          .body().path("servers").findValuesAsText("id").contains(after));
      api.delete("/compute/v2.1/servers/" + after);
    }
    try (Node node = Node.start(TestConfig.allInOne(data, postgres(host)), ConfigFactory.empty())) {
      Api api = Api.adminOf(node);
      assertEquals("ACTIVE", api.status(id));
      // the restarted host agent finds the domain gone (test:///default lives in memory) and
      // the server's entity has it spawned again
      Eventually.until(Duration.ofSeconds(30),
          () -> node.hypervisor().state("nimbus-" + id).orElse(null) == PowerState.RUNNING);
      assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
      Eventually.until(Duration.ofSeconds(30), () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
      assertTrue(node.hypervisor().state("nimbus-" + id).isEmpty());
    }
  }
}
