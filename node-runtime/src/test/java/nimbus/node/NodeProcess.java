package nimbus.node;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An all-in-one node in a process of its own ({@code nimbus up}), for tests that kill it with
 * SIGKILL and start it again on the same data. Its output goes to a log file under
 * {@code target/crash-test}, shown when it fails to come up.
 */
final class NodeProcess implements AutoCloseable {
  /**
   * JVM options of every node a test starts in a process of its own. These nodes live seconds
   * to minutes, where C2's compilations cost more CPU than they give back: C1 alone halves the
   * CPU a node spends coming up (14 s instead of 26 s on 2 shared cores), and on 2 cores that
   * CPU is taken from the guests and nodes running beside it.
   */
  static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

  private final Process process;
  private final Path log;
  final Api admin;

  private NodeProcess(Process process, Path log, Api admin) {
    this.process = process;
    this.log = log;
    this.admin = admin;
  }

  /** Starts {@code nimbus up --config config} with the JVM options given and waits until it is ready. */
  static NodeProcess start(Path config, String apiUrl, String... jvmOptions) throws IOException {
    return start(false, config, apiUrl, jvmOptions);
  }

  /**
   * Starts the node and waits until it is ready or has died: one started to die at a step may
   * reach it while it starts, as the work it resumes gets there at once.
   */
  static NodeProcess startOrDie(Path config, String apiUrl, String... jvmOptions) throws IOException {
    return start(true, config, apiUrl, jvmOptions);
  }

  private static NodeProcess start(boolean mayDie, Path config, String apiUrl, String... jvmOptions)
      throws IOException {
    Path log = Files.createDirectories(Path.of("target", "crash-test")).resolve("node-" + System.nanoTime() + ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED"));
    NodeClassData.Launch launch = NodeClassData.launch();
    command.addAll(JVM_OPTIONS);
    command.addAll(launch.jvmOptions());
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", launch.classPath(), "nimbus.node.Main", "up", "--config",
        config.toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Api anonymous = new Api(apiUrl);
    try {
      Eventually.until(Duration.ofSeconds(60), () -> {
        if (!process.isAlive()) {
          if (mayDie) return true;
          throw new IllegalStateException("node exited: " + Files.readString(log));
        }
        return anonymous.get("/readyz").status() == 200;
      });
    } catch (AssertionError e) {
      process.destroyForcibly();
      throw new AssertionError(e.getMessage() + "\n" + Files.readString(log), e);
    }
    return new NodeProcess(process, log, admin(anonymous, process, mayDie));
  }

  private static Api admin(Api anonymous, Process process, boolean mayDie) {
    try {
      return anonymous.asAdmin();
    } catch (AssertionError e) {
      if (mayDie && awaitExit(process)) return anonymous; // it died at its step as it came up
      throw e;
    }
  }

  private static boolean awaitExit(Process process) {
    try {
      return process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** SIGKILL: no shutdown hooks, no goodbyes. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Waits until the process has died on its own (a fault injected), and says how. */
  int awaitDeath(Duration within) throws Exception {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("the node did not die within " + within + "\n" + Files.readString(log));
    }
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor();
  }

  /** A node's configuration file and the API address it will answer on. */
  record Config(Path file, String apiUrl) {}

  /**
   * Writes {@code dir/nimbus.conf}: data in {@code dir/data}, free ports, the tests' admin
   * password, and {@code settings} (HOCON inside {@code nimbus { }}).
   */
  static Config writeConfig(Path dir, String settings) throws IOException {
    int apiPort = freePort();
    String conf = """
        nimbus {
          data-dir = "%s"
          api.port = %d
          cluster.port = %d
          identity.admin-password = "%s"
        %s
        }
        """.formatted(dir.resolve("data"), apiPort, freePort(), nimbus.testing.TestConfig.ADMIN_PASSWORD,
        settings.indent(2));
    Path file = dir.resolve("nimbus.conf");
    Files.writeString(file, conf);
    return new Config(file, "http://127.0.0.1:" + apiPort);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
