package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's command blocks, run as written and as a user runs them: the {@code ./nimbus}
 * launcher started from the root of a checkout (so {@code data-dir} is the relative
 * {@code ./data}), then the blocks in bash with the real {@code openstack} CLI and curl. Each
 * scenario has a checkout-like directory of its own (the launcher, the built classes, the test
 * guest), so the developer's own {@code ./data} is never touched.
 */
class ReadmeTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final String API = "http://127.0.0.1:8774";
  private static final Map<String, String> BLOCKS = blocks(REPO.resolve("README.md"));
  /** Where a node with the default settings keeps the static leases of the local network. */
  private static final Path LEASES = Path.of("/var/lib/nimbus/dhcp/nimbus0/hosts");

  @TempDir
  Path scratch;
  private final List<Launched> launched = new ArrayList<>();
  private final List<Path> checkouts = new ArrayList<>();

  @AfterEach
  void stopEverything() throws Exception {
    for (Launched node : launched) node.close();
    // namespace hosts a failed run left up: nodes, guests, libvirtds, namespaces, bridge, cgroups
    for (Path root : checkouts) {
      if (Files.isDirectory(root.resolve("data/namespace-hosts"))) {
        run(root, Map.of(), Duration.ofMinutes(3), "./nimbus hosts down");
      }
    }
    // guests left by a failed run must not outlive it
    for (Path root : checkouts) {
      Path instances = root.resolve("data/instances");
      if (!Files.isDirectory(instances)) continue;
      try (Stream<Path> dirs = Files.list(instances)) {
        for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("[0-9a-f-]{36}")).toList()) {
          String domain = "nimbus-" + dir.getFileName();
          run(root, Map.of(), Duration.ofSeconds(30), "virsh -q -c qemu:///system destroy " + domain
              + " >/dev/null 2>&1 || true", "virsh -q -c qemu:///system undefine " + domain + " >/dev/null 2>&1 || true");
        }
      }
    }
  }

  /** {@code ./nimbus up}, the CLI examples, images and servers, curl; then a restart finds it all again. */
  @Test
  void theAllInOneBlocksWorkAsWritten() throws Exception {
    Path root = checkout("all-in-one");
    Launched up = launch(root, commands("start").get(0));
    String printed = up.awaitReady();
    assertTrue(printed.contains("image:    nimbus-test-guest " + Api.TEST_IMAGE), printed);

    String out = run(root, Map.of(), Duration.ofMinutes(5), BLOCKS.get("cli"), BLOCKS.get("images"),
        BLOCKS.get("networks"), BLOCKS.get("curl"));
    assertTrue(out.contains("alice@Default"), out);
    assertEquals("member", cli(root, "role", "assignment", "list", "--project", "demo", "--user", "alice", "--names")
        .get(0).path("Role").asText());
    assertEquals("active", cli(root, "image", "show", "my-image").path("status").asText());
    assertEquals("active", cli(root, "image", "show", "web-1-snap").path("status").asText());
    JsonNode web = cli(root, "server", "show", "web-1");
    assertEquals("ACTIVE", web.path("status").asText());
    assertTrue(web.path("flavor").asText().contains("m1.small"), web.path("flavor").asText());
    JsonNode apps = cli(root, "server", "list", "--name", "^app-", "--long");
    assertEquals(3, apps.size(), apps.toString());
    Set<String> hosts = new HashSet<>();
    for (JsonNode app : apps) {
      assertEquals("ACTIVE", app.path("Status").asText());
      hosts.add(app.path("Host").asText());
    }
    assertEquals(1, hosts.size(), "an affinity group's members share a host: " + hosts);
    assertEquals(0, cli(root, "server", "list", "--name", "^api-1$").size(), "the curl block deleted its server");
    JsonNode db = cli(root, "server", "show", "db-1");
    assertTrue(db.path("addresses").toString().contains("10.123.0."), db.path("addresses").toString());
    assertTrue(out.contains("private=10.123.0."), "the block shows the address: " + out);
    assertEquals("", cli(root, "port", "show", "spare").path("device_id").asText(), "a port removed stays, unbound");

    up.close();
    launch(root, commands("start").get(0)).awaitReady();
    assertEquals("demo", cli(root, "project", "show", "demo").path("name").asText());
    assertEquals("web-1", cli(root, "server", "show", "web-1").path("name").asText());
  }

  /** The real-guest command from a checkout's root: the seeded image boots and says GUEST-READY. */
  @Test
  void aRealGuestBootsFromTheSeededImage() throws Exception {
    Path root = checkout("real-guest");
    launch(root, commands("real-guest-up").get(0)).awaitReady();
    run(root, Map.of(), Duration.ofMinutes(3), BLOCKS.get("real-guest"));
    String id = cli(root, "server", "show", "guest-1").path("id").asText();
    String console = Eventually.await(Duration.ofSeconds(90), () -> {
      String log = run(root, Map.of(), Duration.ofSeconds(60), "export OS_CLIENT_CONFIG_FILE=$PWD/data/clouds.yaml OS_CLOUD=nimbus",
          "openstack console log show guest-1");
      return log.contains("GUEST-READY") ? log : null;
    });
    String lease = Files.readString(LEASES.resolve(id)).strip();
    assertTrue(console.contains("GUEST-IP " + lease.split(",")[1] + "/24"), lease + " / " + console);
    run(root, Map.of(), Duration.ofMinutes(2), "export OS_CLIENT_CONFIG_FILE=$PWD/data/clouds.yaml OS_CLOUD=nimbus",
        "openstack server delete --wait guest-1");
    assertTrue(Files.notExists(LEASES.resolve(id)), "the lease went with it");
  }

  /**
   * One control and one compute process joined as the README says, each from a checkout of its
   * own (two machines): the compute node gets its credentials from {@code ./nimbus cert}, and a
   * real guest boots on it.
   */
  @Test
  void aControlNodeAndAComputeNodeThatJoinsIt() throws Exception {
    Path control = checkout("control");
    Path compute = checkout("compute");
    List<String> lines = commands("cluster");
    assertEquals(3, lines.size(), lines.toString());
    String printed = launch(control, lines.get(0)).awaitReady();
    Matcher password = Pattern.compile("password (\\S+)  \\(generated now").matcher(printed);
    assertTrue(password.find(), printed);
    run(control, Map.of(), Duration.ofMinutes(2), lines.get(1));
    copyDir(control.resolve("node-tls"), compute.resolve("data/cluster-tls"));
    launch(compute, lines.get(2).replace("CONTROL_HOST", "127.0.0.1"));
    Files.writeString(control.resolve("data/clouds.yaml"), """
        clouds:
          nimbus:
            auth: {auth_url: "%s/identity/v3", username: admin, password: "%s", project_name: admin,
                   user_domain_name: Default, project_domain_name: Default}
            identity_api_version: 3
        """.formatted(API, password.group(1)));
    JsonNode hypervisor = Eventually.await(Duration.ofSeconds(60), () -> {
      JsonNode list = cli(control, "hypervisor", "list");
      return list.size() == 1 && list.get(0).path("State").asText().equals("up") ? list.get(0) : null;
    });
    JsonNode server = cli(control, "server", "create", "--flavor", "m1.nano", "--image", "nimbus-test-guest", "--wait", "c-1");
    assertEquals(hypervisor.path("Hypervisor Hostname").asText(), server.path("OS-EXT-SRV-ATTR:host").asText());
    assertTrue(Files.isDirectory(compute.resolve("data/instances").resolve(server.path("id").asText())),
        "the compute node's checkout holds the server");
    Eventually.until(Duration.ofSeconds(90), () -> run(control, Map.of(), Duration.ofSeconds(60),
        "export OS_CLIENT_CONFIG_FILE=$PWD/data/clouds.yaml OS_CLOUD=nimbus",
        "openstack console log show c-1").contains("GUEST-READY"));
    run(control, Map.of(), Duration.ofMinutes(2), "export OS_CLIENT_CONFIG_FILE=$PWD/data/clouds.yaml OS_CLOUD=nimbus",
        "openstack server delete --wait c-1");
  }

  /**
   * Several hosts on this machine as the README says: the launcher makes the underlay, a control
   * node and two namespace hosts; the CLI sees both up, a guest asked into host2's zone boots
   * there; down leaves no node, namespace or bridge behind.
   */
  @Test
  void severalHostsOnThisMachine() throws Exception {
    Path root = checkout("hosts");
    Path clouds = root.resolve("data/namespace-hosts/control/data/clouds.yaml");
    run(root, Map.of("PYTHONWARNINGS", "ignore"), Duration.ofMinutes(5), BLOCKS.get("hosts"));
    JsonNode hypervisors = cli(root, clouds, "hypervisor", "list");
    assertEquals(List.of("host1", "host2"), hypervisors.findValuesAsText("Hypervisor Hostname"), hypervisors.toString());
    assertEquals(List.of("up", "up"), hypervisors.findValuesAsText("State"));
    JsonNode server = cli(root, clouds, "server", "show", "guest-2");
    assertEquals("host2", server.path("OS-EXT-SRV-ATTR:host").asText());
    Eventually.until(Duration.ofSeconds(90), () -> run(root, Map.of(), Duration.ofSeconds(60),
        "export OS_CLIENT_CONFIG_FILE=" + clouds + " OS_CLOUD=nimbus",
        "openstack console log show guest-2").contains("GUEST-READY"));
    List<Long> pids = new ArrayList<>();
    for (String node : List.of("control", "host1", "host2")) {
      pids.add(Long.parseLong(Files.readString(root.resolve("data/namespace-hosts/" + node + "/node.pid")).strip()));
    }

    run(root, Map.of(), Duration.ofMinutes(3), BLOCKS.get("hosts-down"));
    for (long pid : pids) assertTrue(ProcessHandle.of(pid).isEmpty(), "node " + pid + " stopped");
    String namespaces = run(root, Map.of(), Duration.ofSeconds(30), "ip netns list");
    assertFalse(namespaces.lines().anyMatch(l -> l.matches("host[12]( .*)?")), namespaces);
    assertFalse(run(root, Map.of(), Duration.ofSeconds(30), "ip -o link show").contains("nul0"), "the bridge is gone");
  }

  private static void copyDir(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /** A block of commands without a marker would be one nobody runs: the README would drift again. */
  @Test
  void everyCommandBlockOfTheReadmeIsOneOfThese() throws IOException {
    Matcher block = Pattern.compile("(<!-- tested: [a-z-]+ -->\\n)?```\\n(.*?)```", Pattern.DOTALL)
        .matcher(Files.readString(REPO.resolve("README.md")));
    int commandBlocks = 0;
    while (block.find()) {
      boolean commands = block.group(2).lines().anyMatch(l -> l.matches("^(\\./nimbus|openstack|curl|export) .*"));
      if (!commands) continue;
      commandBlocks++;
      assertTrue(block.group(1) != null, "a command block the tests do not run:\n" + block.group(2));
    }
    assertEquals(BLOCKS.size(), commandBlocks);
    assertEquals(Set.of("start", "cli", "images", "networks", "curl", "real-guest-up", "real-guest", "cluster", "hosts",
        "hosts-down"), BLOCKS.keySet(),
        "each tested block is run by a test here");
  }

  // ------------------------------------------------------------------ the README

  /** The fenced blocks that follow a {@code <!-- tested: NAME -->} line, by name. */
  private static Map<String, String> blocks(Path readme) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      Matcher m = Pattern.compile("<!-- tested: ([a-z-]+) -->\\n```\\n(.*?)```", Pattern.DOTALL)
          .matcher(Files.readString(readme));
      while (m.find()) out.put(m.group(1), m.group(2));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** The {@code ./nimbus} command lines of a block, without their comments. */
  private static List<String> commands(String block) {
    assertTrue(BLOCKS.containsKey(block), "the README has a tested block " + block + ": " + BLOCKS.keySet());
    return BLOCKS.get(block).lines().filter(l -> l.startsWith("./nimbus"))
        .map(l -> l.replaceAll("\\s+#.*$", "").strip()).toList();
  }

  // ------------------------------------------------------------------ a user's machine

  /**
   * A directory laid out as a checkout after a build: the launcher, the built classes and class
   * path, the scripts and the test guest {@code ./nimbus test} built.
   */
  private Path checkout(String name) throws IOException {
    Path root = Files.createDirectories(scratch.resolve(name));
    Files.copy(REPO.resolve("nimbus"), root.resolve("nimbus"));
    Path target = Files.createDirectories(root.resolve("node-runtime/target"));
    Files.createSymbolicLink(target.resolve("classes"), REPO.resolve("node-runtime/target/classes"));
    Files.copy(REPO.resolve("node-runtime/target/nimbus.classpath"), target.resolve("nimbus.classpath"));
    Files.createSymbolicLink(root.resolve("scripts"), REPO.resolve("scripts"));
    Path guest = Files.createDirectories(root.resolve("data/guest"));
    for (String file : List.of("vmlinuz", "initrd.img")) {
      Files.createSymbolicLink(guest.resolve(file), TestGuest.dir().resolve(file));
    }
    checkouts.add(root);
    return root;
  }

  /**
   * The environment of a user's shell: none of the test run's OpenStack or Nimbus settings, but
   * the JVM options of the nodes tests start (which change how fast, not what).
   */
  private static ProcessBuilder userShell(Path root, Map<String, String> env, String script) {
    ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(root.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OS_") || k.startsWith("NIMBUS_"));
    pb.environment().put("NIMBUS_JAVA_OPTS", String.join(" ", NodeProcess.JVM_OPTIONS));
    pb.environment().putAll(env);
    return pb;
  }

  /** Runs lines of bash in the checkout and answers what they printed; fails if they fail. */
  private static String run(Path root, Map<String, String> env, Duration timeout, String... lines) throws Exception {
    Path out = Files.createTempFile("readme", ".out");
    try {
      Process p = userShell(root, env, String.join("\n", lines)).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("did not finish within " + timeout + ":\n" + String.join("\n", lines)
            + "\n" + Files.readString(out));
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), String.join("\n", lines) + "\n---\n" + output);
      return output;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** The {@code openstack} CLI as the README sets it up, with JSON output. */
  private static JsonNode cli(Path root, String... args) throws Exception {
    return cli(root, root.resolve("data/clouds.yaml"), args);
  }

  /** The {@code openstack} CLI with the clouds.yaml {@code clouds}, JSON output. */
  private static JsonNode cli(Path root, Path clouds, String... args) throws Exception {
    String command = "openstack " + String.join(" ", Stream.of(args).map(a -> "'" + a + "'").toList()) + " -f json";
    String out = run(root, Map.of("OS_CLIENT_CONFIG_FILE", clouds.toString(),
        "OS_CLOUD", "nimbus", "PYTHONWARNINGS", "ignore"), Duration.ofSeconds(120), command + " 2>/dev/null");
    return Api.JSON.readTree(out);
  }

  private Launched launch(Path root, String commandLine) throws IOException {
    Launched node = new Launched(root, commandLine);
    launched.add(node);
    return node;
  }

  /** A node started with the launcher, its output in a file of the checkout. */
  private static final class Launched implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final String commandLine;

    Launched(Path root, String commandLine) throws IOException {
      this.commandLine = commandLine;
      this.log = root.resolve("node-" + System.nanoTime() + ".out");
      this.process = userShell(root, Map.of(), "exec " + commandLine).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      process.getOutputStream().close();
    }

    /** Waits until the API answers ready; answers what the node printed by then. */
    String awaitReady() {
      Api anonymous = new Api(API);
      Eventually.until(Duration.ofSeconds(120), () -> {
        if (!process.isAlive()) throw new IllegalStateException(commandLine + " exited: " + Files.readString(log));
        return anonymous.get("/readyz").status() == 200;
      });
      try {
        return Files.readString(log);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Ctrl-C's equivalent: the node shuts down cleanly. */
    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
  }
}
