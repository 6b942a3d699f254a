package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The real {@code openstack} CLI against a test node, with a clouds.yaml of named clouds. */
final class OpenstackCli {
  /** The interpreter of Debian's {@code /usr/bin/openstack}. */
  private static final String PYTHON = "/usr/bin/python3";
  /** Reads the answers, so that a command that hangs fails its test instead of blocking it. */
  private static final ExecutorService READER = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "openstack-batch-reader");
    t.setDaemon(true);
    return t;
  });
  private final Node node;
  private final Path dir;
  private final Path clouds;
  private final StringBuilder yaml = new StringBuilder("clouds:\n");
  private Process batch;
  private BufferedReader answers;

  OpenstackCli(Node node, Path dir) {
    this.node = node;
    this.dir = dir;
    this.clouds = dir.resolve("clouds.yaml");
  }

  /** Adds a cloud: {@code user} of {@code project}, both in domain Default. */
  OpenstackCli cloud(String cloud, String user, String password, String project) throws Exception {
    yaml.append("""
          %s:
            auth:
              auth_url: %s/identity/v3
              username: %s
              password: "%s"
              project_name: %s
              user_domain_name: Default
              project_domain_name: Default
            region_name: RegionOne
            identity_api_version: 3
        """.formatted(cloud, node.apiUrl(), user, password, project));
    Files.writeString(clouds, yaml);
    return this;
  }

  /**
   * Runs {@code openstack --os-cloud CLOUD ARGS...} and answers what it printed on stdout (its
   * warnings go to stderr); fails with the CLI's own words if it fails.
   */
  synchronized String run(String cloud, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("--os-cloud", cloud));
    argv.addAll(List.of(args));
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("OS_"));
    env.put("OS_CLIENT_CONFIG_FILE", clouds.toString());
    Process p = batch();
    p.getOutputStream().write((Api.JSON.writeValueAsString(Map.of("argv", argv, "env", env)) + "\n")
        .getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().flush();
    String line;
    try {
      line = CompletableFuture.supplyAsync(this::answer, READER).get(90, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      batch = null;
      throw new AssertionError("openstack " + String.join(" ", args) + " did not finish");
    }
    if (line == null) {
      batch = null;
      throw new AssertionError("openstack " + String.join(" ", args) + ": the CLI's process ended: "
          + Files.readString(dir.resolve("openstack-batch.err")));
    }
    JsonNode answer = Api.JSON.readTree(line);
    String out = answer.path("out").asText();
    assertEquals(0, answer.path("rc").asInt(), "openstack " + String.join(" ", args) + ":\n" + out
        + answer.path("err").asText());
    return out;
  }

  /**
   * The one Python process that runs this cloud's commands (openstack-batch.py): the CLI's own
   * code, command by command, without paying its interpreter's start and imports (about a second
   * each) on every command. It ends with the JVM, when its stdin closes.
   */
  private Process batch() throws IOException {
    if (batch == null || !batch.isAlive()) {
      Path script = dir.resolve("openstack-batch.py");
      try (InputStream in = OpenstackCli.class.getResourceAsStream("openstack-batch.py")) {
        Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      }
      batch = new ProcessBuilder(PYTHON, script.toString())
          .redirectError(dir.resolve("openstack-batch.err").toFile()).start();
      answers = new BufferedReader(new InputStreamReader(batch.getInputStream(), StandardCharsets.UTF_8));
    }
    return batch;
  }

  private String answer() {
    try {
      return answers.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #run} with JSON output, parsed. */
  JsonNode json(String cloud, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-f", "json"));
    return Api.JSON.readTree(run(cloud, all.toArray(String[]::new)));
  }
}
