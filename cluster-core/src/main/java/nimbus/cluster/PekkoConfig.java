package nimbus.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nimbus.config.DatabaseSettings;
import nimbus.config.HostPort;
import nimbus.config.NimbusSettings;
import nimbus.config.Role;

/** Turns a node's typed settings into the Pekko configuration its ActorSystem runs with. */
public final class PekkoConfig {
  public static final String SYSTEM_NAME = "nimbus";

  private PekkoConfig() {}

  public static Config of(NimbusSettings settings) {
    return of(settings, ConfigFactory.empty());
  }

  /** {@code extra} wins over everything (tests use it for ports and dispatchers). */
  public static Config of(NimbusSettings settings, Config extra) {
    List<String> roles = new ArrayList<>();
    for (Role role : settings.roles()) roles.add(role.clusterRole());
    List<String> seeds = new ArrayList<>();
    for (HostPort seed : settings.cluster().seedNodes()) {
      seeds.add("pekko://" + SYSTEM_NAME + "@" + seed);
    }
    DatabaseSettings db = settings.database();
    boolean pg = db.kind() == DatabaseSettings.Kind.POSTGRESQL;
    Config node = ConfigFactory.parseMap(Map.of(
            "pekko.remote.artery.canonical.hostname", settings.cluster().hostname(),
            "pekko.remote.artery.canonical.port", settings.cluster().port(),
            "pekko.projection.jdbc.dialect", pg ? "postgres-dialect" : "h2-dialect"))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
        // only control nodes touch the journal; start it with the node, not on first use
        .withValue("pekko.persistence.journal.auto-start-journals", ConfigValueFactory.fromIterable(
            settings.has(Role.CONTROL) ? List.of("jdbc-journal") : List.of()))
        .withValue("pekko-persistence-jdbc.shared-databases.slick", ConfigValueFactory.fromMap(Map.of(
            "profile", pg ? "slick.jdbc.PostgresProfile$" : "slick.jdbc.H2Profile$",
            "db", Map.of(
                "url", db.url(),
                "user", db.user(),
                "password", db.password(),
                "driver", pg ? "org.postgresql.Driver" : "org.h2.Driver",
                "numThreads", db.maxConnections(),
                "maxConnections", db.maxConnections()))));
    node = node.withFallback(ClusterTls.pekkoConfig(settings.cluster().tlsDir()));
    Config base = ConfigFactory.parseResourcesAnySyntax("nimbus-pekko");
    // load() resolves after layering, so ${...} in Pekko's reference.conf see our values.
    return ConfigFactory.load(extra.withFallback(node).withFallback(base)
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
  }
}
