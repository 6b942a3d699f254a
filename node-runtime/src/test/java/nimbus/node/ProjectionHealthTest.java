package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import nimbus.cluster.ReadSideDatabase;
import nimbus.compute.ServerListProjection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A projection that cannot apply an event (here its table is gone, as a database refusing a row
 * would make it) is loud: readiness fails and names it, instead of lists going stale in silence;
 * once it can move again, readiness comes back.
 */
class ProjectionHealthTest {
  private static Node node;
  private static Api api;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.api.projection-stall-after", "1s"), (n, a) -> {
    node = n;
    api = a;
  });

  private static void sql(String statement) throws Exception {
    try (Connection c = ReadSideDatabase.get(node.system()).connection(); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  @Test
  void aStoppedProjectionTurnsReadinessRedUntilItMovesAgain() throws Exception {
    assertEquals(200, api.get("/readyz").status());
    sql("DROP TABLE server_list");
    api.createServer("unlisted", "42");
    JsonNode red = Eventually.await(Duration.ofSeconds(20), () -> {
      Api.Reply r = api.get("/readyz");
      return r.status() == 503 ? r.body() : null;
    });
    assertEquals(false, red.path("checks").path("projection " + ServerListProjection.NAME).asBoolean(true), red.toString());
    assertEquals(true, red.path("checks").path("database").asBoolean(), red.toString());

    try (Connection c = ReadSideDatabase.get(node.system()).connection()) {
      ServerListProjection.createTable(c);
    }
    Eventually.until(Duration.ofSeconds(30), () -> api.get("/readyz").status() == 200);
    Eventually.until(Duration.ofSeconds(10), () -> api.get("/compute/v2.1/servers?name=unlisted").body()
        .path("servers").size() == 1);
  }
}
