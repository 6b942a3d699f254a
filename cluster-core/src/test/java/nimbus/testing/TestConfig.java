package nimbus.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.config.NimbusSettings;

/** Settings and Pekko configuration for tests: free ports, a private in-memory database. */
public final class TestConfig {
  /** The first admin's password in tests' nodes. */
  public static final String ADMIN_PASSWORD = "nimbus-test-admin";

  private TestConfig() {}

  /** Serialization as in production, for the persistence test kits (which check it). */
  public static Config serialization() {
    return ConfigFactory.parseString("""
        pekko.actor.serialization-bindings { "nimbus.cluster.CborSerializable" = jackson-cbor }
        pekko.actor.serialize-messages = off
        """);
  }

  /** A test kit for entity tests with Pekko's EventSourcedBehaviorTestKit (shut it down after). */
  public static org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit entityTestKit() {
    return org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create(
        org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.config().withFallback(serialization()));
  }

  private static Path sharedTls;

  /** One cluster CA and node certificate for every node of this test run (RSA keys take a while). */
  public static synchronized Path sharedTls() {
    if (sharedTls == null) {
      try {
        Path root = java.nio.file.Files.createTempDirectory("nimbus-test-tls");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root))); // the CA key goes with the run
        Path dir = root.resolve("tls");
        nimbus.cluster.ClusterTls.createCa(dir);
        nimbus.cluster.ClusterTls.issue(dir, dir);
        sharedTls = dir;
      } catch (Exception e) {
        throw new IllegalStateException("test certificates: " + e.getMessage(), e);
      }
    }
    return sharedTls;
  }

  private static void deleteTree(Path root) {
    try (var files = java.nio.file.Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.deleteIfExists(p);
    } catch (java.io.IOException e) {
      // a temporary directory: the system clears it eventually
    }
  }

  /** An all-in-one node on a fresh in-memory H2 database, test:///default, free ports. */
  public static NimbusSettings allInOne(Path dataDir, Map<String, Object> overrides) {
    String db = "jdbc:h2:mem:nimbus-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
    Config base = ConfigFactory.parseMap(Map.of(
        "nimbus.data-dir", dataDir.toString(),
        "nimbus.database.url", db,
        "nimbus.api.port", 0,
        "nimbus.cluster.port", 0,
        "nimbus.host.name", "host-" + UUID.randomUUID().toString().substring(0, 8),
        "nimbus.host.heartbeat-interval", "200ms",
        "nimbus.compute.step-retry-interval", "300ms",
        "nimbus.identity.admin-password", ADMIN_PASSWORD,
        "nimbus.cluster.tls-dir", sharedTls().toString()))
        // tests create many servers in one project; the quota test sets its own limits
        .withFallback(ConfigFactory.parseString(
            "nimbus.compute.default-quota { instances = 100000, cores = 100000, ram-mb = 100000000,"
                + " server-groups = 1000, server-group-members = 1000 }\n"
                + "nimbus.image-store.quota { image-count-total = 100000, image-count-uploading = 1000 }"));
    return NimbusSettings.load(Optional.empty(), ConfigFactory.parseMap(overrides).withFallback(base));
  }
}
