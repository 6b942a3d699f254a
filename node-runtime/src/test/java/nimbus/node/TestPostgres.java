package nimbus.node;

import java.util.HashMap;
import java.util.Map;

/** The settings of a node on the test PostgreSQL that ./nimbus test starts (or NIMBUS_TEST_PG_URL). */
final class TestPostgres {
  static final String URL = System.getenv().getOrDefault("NIMBUS_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/nimbus_test");

  private TestPostgres() {}

  /** Settings for a node on {@code url}, which may add more to them. */
  static Map<String, Object> settings(String url) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("nimbus.database.kind", "postgresql");
    settings.put("nimbus.database.url", url);
    settings.put("nimbus.database.user", "nimbus");
    settings.put("nimbus.database.password", "nimbus");
    return settings;
  }
}
