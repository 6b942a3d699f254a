package nimbus.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import nimbus.config.HostPort;
import nimbus.config.ImageSeed;
import nimbus.config.NimbusSettings;
import nimbus.config.SettingsException;
import nimbus.node.bench.Benchmarks;
import nimbus.storage.ImageSeeds;

/**
 * The {@code nimbus} executable: {@code up} (all-in-one), {@code control} and {@code compute}
 * (cluster nodes), {@code bench} (benchmarks).
 */
public final class Main {
  private static final String USAGE = """
      usage: nimbus up [--hypervisor URI] [--config FILE]
             nimbus control [--join HOST:PORT] [--config FILE]
             nimbus compute --join HOST:PORT [--config FILE] [--hypervisor URI]
             nimbus cert --out DIR [--config FILE]
             """ + "       " + Benchmarks.USAGE;

  private Main() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (SettingsException e) {
      System.err.println("nimbus: " + e.getMessage());
      System.exit(2);
    } catch (Exception e) {
      System.err.println("nimbus: " + firstLine(e));
      System.exit(1);
    }
  }

  static int run(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println(USAGE);
      return 2;
    }
    if (args[0].equals("bench")) {
      return Benchmarks.run(args.length > 1 ? args[1] : "", options(args, 2));
    }
    Map<String, String> options = options(args, 1);
    return switch (args[0]) {
      case "up" -> serve(List.of("control", "compute"), options, true);
      case "control" -> serve(List.of("control"), options, false);
      case "cert" -> cert(options);
      case "compute" -> {
        if (!options.containsKey("join")) throw new SettingsException("--join", "missing", "give the HOST:PORT of a control node");
        yield serve(List.of("compute"), options, false);
      }
      default -> {
        System.err.println(USAGE);
        yield 2;
      }
    };
  }

  private static int serve(List<String> roles, Map<String, String> options, boolean allInOne)
      throws InterruptedException {
    Config overrides = ConfigFactory.empty()
        .withValue("nimbus.roles", ConfigValueFactory.fromIterable(roles));
    if (options.containsKey("hypervisor")) {
      overrides = overrides.withValue("nimbus.host.hypervisor-uri",
          ConfigValueFactory.fromAnyRef(options.get("hypervisor")));
    }
    if (options.containsKey("join")) {
      HostPort seed = HostPort.parse("--join", options.get("join"));
      overrides = overrides.withValue("nimbus.cluster.seed-nodes",
          ConfigValueFactory.fromIterable(List.of(seed.toString())));
      if (!options.containsKey("config")) {
        // a joining node needs a cluster port of its own; 0 lets the system pick
        overrides = overrides.withFallback(ConfigFactory.parseString("nimbus.cluster.port = 0"));
      }
    }
    NimbusSettings settings = NimbusSettings.load(
        Optional.ofNullable(options.get("config")).map(Path::of), overrides);
    Node node = Node.start(settings, ConfigFactory.empty());
    CountDownLatch stopped = new CountDownLatch(1);
    node.system().getWhenTerminated().thenRun(stopped::countDown);
    if (allInOne) {
      Path clouds = CloudsYaml.write(settings, node.apiUrl(), node.generatedAdminPassword());
      System.out.println("Nimbus is up (roles control + compute, hypervisor "
          + settings.host().hypervisorUri() + ", data in " + settings.dataDir() + ")");
      System.out.println("  identity: " + node.apiUrl() + "/identity/v3");
      System.out.println("  compute:  " + node.apiUrl() + "/compute/v2.1");
      System.out.println("  health:   " + node.apiUrl() + "/readyz");
      System.out.println("  admin:    user admin, project admin, domain Default, password "
          + node.generatedAdminPassword().map(p -> p + "  (generated now: shown this once)")
              .orElse(settings.identity().adminPassword().isPresent()
                  ? "from NIMBUS_ADMIN_PASSWORD / nimbus.identity.admin-password"
                  : "as printed at the first start (also in " + clouds + ")"));
      System.out.println("  CLI:      export OS_CLIENT_CONFIG_FILE=" + clouds + " OS_CLOUD=nimbus; openstack token issue");
      List<ImageSeed> registered = Node.availableSeeds(settings);
      for (ImageSeed image : settings.images()) {
        System.out.println("  image:    " + image.name() + " " + (registered.contains(image)
            ? ImageSeeds.idOf(image.name())
            : "not registered: " + image.missingFiles().get(0) + " is missing (./nimbus test builds the test guest,"
                + " or: scripts/build-test-guest.sh " + image.missingFiles().get(0).getParent() + ")"));
      }
      System.out.println("Press Ctrl-C to stop.");
    } else {
      System.out.println("Nimbus " + String.join("+", roles) + " node started"
          + (settings.has(nimbus.config.Role.CONTROL) ? ", API " + node.apiUrl() : ""));
      node.generatedAdminPassword().ifPresent(p -> System.out.println(
          "  admin:    user admin, project admin, domain Default, password " + p + "  (generated now: shown this once)"));
      if (settings.has(nimbus.config.Role.CONTROL)) {
        Path clouds = CloudsYaml.write(settings, node.apiUrl(), node.generatedAdminPassword());
        System.out.println("  CLI:      export OS_CLIENT_CONFIG_FILE=" + clouds + " OS_CLOUD=nimbus; openstack token issue");
      }
    }
    stopped.await();
    return 0;
  }

  /**
   * A certificate for one more node (or a Java client) of this node's cluster, signed with the CA
   * this node keeps: {@code DIR} gets ca.crt, node.crt and node.key, to be copied to the new
   * node's {@code nimbus.cluster.tls-dir}.
   */
  private static int cert(Map<String, String> options) throws Exception {
    if (!options.containsKey("out")) throw new SettingsException("--out", "missing", "give the directory to write to");
    NimbusSettings settings = NimbusSettings.load(Optional.ofNullable(options.get("config")).map(Path::of),
        ConfigFactory.empty());
    Path out = Path.of(options.get("out")).toAbsolutePath();
    nimbus.cluster.ClusterTls.issue(settings.cluster().tlsDir(), out);
    System.out.println("wrote " + out + "/{ca.crt,node.crt,node.key}: copy it to the new node's "
        + "nimbus.cluster.tls-dir (by default DATA_DIR/cluster-tls); node.key is secret");
    return 0;
  }

  /** {@code --name value} pairs after position {@code from}. */
  static Map<String, String> options(String[] args, int from) {
    Map<String, String> out = new HashMap<>();
    List<String> rest = new ArrayList<>(List.of(args).subList(Math.min(from, args.length), args.length));
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      if (!a.startsWith("--") || i + 1 >= rest.size()) {
        throw new SettingsException(a, "is not an option with a value", "see nimbus --help");
      }
      out.put(a.substring(2), rest.get(++i));
    }
    return out;
  }

  private static String firstLine(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
