package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Path;

/** The journal and read-side database: embedded H2 by default, PostgreSQL in production. */
public record DatabaseSettings(Kind kind, String url, String user, String password,
    int maxConnections) {

  /** Database engines Nimbus runs on. */
  public enum Kind { H2, POSTGRESQL }

  static DatabaseSettings from(Config c, Path dataDir) {
    Kind kind = switch (c.getString("kind")) {
      case "h2" -> Kind.H2;
      case "postgresql" -> Kind.POSTGRESQL;
      default -> throw new SettingsException("nimbus.database.kind",
          "unknown database '" + c.getString("kind") + "'", "use h2 or postgresql");
    };
    String url = c.getString("url");
    if (url.isBlank()) {
      if (kind == Kind.POSTGRESQL) {
        throw new SettingsException("nimbus.database.url", "no URL for PostgreSQL",
            "set it, e.g. jdbc:postgresql://db:5432/nimbus");
      }
      // WRITE_DELAY=0: a commit is written before it is acknowledged, so an accepted request
      // survives a killed process (H2 otherwise buffers commits for up to half a second).
      // DB_CLOSE_ON_EXIT=FALSE: the database closes with the node, not before it at JVM exit.
      // RETENTION_TIME: H2 reuses the space of chunks older than this (default 45 s); a node
      // killed twice within it lost what it had committed since the first kill (H2 reopened at
      // an older chunk), so keep them for 10 minutes, at the cost of a larger file under load.
      url = "jdbc:h2:file:" + dataDir.resolve("db/nimbus")
          + ";DATABASE_TO_UPPER=false;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;RETENTION_TIME=600000";
    }
    String expected = kind == Kind.H2 ? "jdbc:h2:" : "jdbc:postgresql:";
    if (!url.startsWith(expected)) {
      throw new SettingsException("nimbus.database.url", "'" + url + "' is not a "
          + kind.name().toLowerCase() + " URL", "start it with " + expected);
    }
    int max = c.getInt("max-connections");
    if (max < 2) {
      throw new SettingsException("nimbus.database.max-connections", max + " is too few",
          "use at least 2");
    }
    return new DatabaseSettings(kind, url, c.getString("user"), c.getString("password"), max);
  }

  /** Never print the password. */
  @Override
  public String toString() {
    return "DatabaseSettings[" + kind + ", " + url + ", user=" + user + "]";
  }
}
