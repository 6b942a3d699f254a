package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import nimbus.cluster.ClusterTls;
import nimbus.testing.TestConfig;

/**
 * A cloud of real TCG guests for end-to-end tests: a control node in this JVM and
 * {@link NamespaceHosts} that join it, the whole driven as a user drives it, through the API
 * ({@link #api}, the cloud's admin), plus what the tests read off the guests and hosts: the
 * guests' consoles and commands run on this machine. The test guest is told what to do through
 * the image's {@code os_command_line} ({@link #commandLine}, scripts/build-test-guest.sh).
 */
final class GuestCloud implements AutoCloseable {
  static final String V2 = "/network/v2.0";

  final NamespaceHosts hosts;
  final Api api;
  private final Path dir;
  private final Node control;

  private GuestCloud(Path dir, NamespaceHosts hosts, Node control, Api api) {
    this.dir = dir;
    this.hosts = hosts;
    this.control = control;
    this.api = api;
  }

  /**
   * Starts a control node with {@code settings} (besides its role, address and the test guest's
   * image) and {@code n} hosts; with {@code providerSwitch} each host has an eth1 on that bridge
   * of the root namespace, mapped as physnet1. Returns once every host is an up hypervisor.
   */
  static GuestCloud start(String name, int n, Optional<String> providerSwitch, Map<String, Object> settings)
      throws Exception {
    Path dir = Files.createTempDirectory(name);
    NamespaceHosts hosts = NamespaceHosts.underlay(Path.of("target", "namespace-hosts").toAbsolutePath());
    providerSwitch.ifPresent(hosts::providerSwitch);
    Map<String, Object> all = new HashMap<>(settings);
    all.put("nimbus.roles", List.of("control"));
    all.put("nimbus.cluster.hostname", NamespaceHosts.CONTROL_ADDRESS);
    all.put("nimbus.images", TestGuest.realHost().get("nimbus.images"));
    Node control = Node.start(TestConfig.allInOne(dir.resolve("control"), all), ConfigFactory.empty());
    GuestCloud cloud = new GuestCloud(dir, hosts, control, Api.adminOf(control));
    try {
      Path certs = dir.resolve("host-tls");
      ClusterTls.issue(TestConfig.sharedTls(), certs);
      hosts.up(n, NamespaceHosts.CONTROL_ADDRESS + ":" + control.clusterPort(), certs);
      Eventually.until(Duration.ofSeconds(90), () -> {
        JsonNode list = cloud.api.get("/compute/v2.1/os-hypervisors").body().path("hypervisors");
        boolean allUp = list.size() == n;
        for (JsonNode h : list) allUp &= h.path("state").asText().equals("up");
        return allUp;
      });
      return cloud;
    } catch (Exception | AssertionError e) {
      cloud.close();
      throw e;
    }
  }

  /** Creates a Neutron resource (201 expected) and answers its id. */
  String create(String collection, String resource, String body) {
    return createdBody(collection, resource, body).path("id").asText();
  }

  /** Creates a Neutron resource (201 expected) and answers it as the API shows it. */
  JsonNode createdBody(String collection, String resource, String body) {
    Api.Reply r = api.post(V2 + "/" + collection, body);
    assertEquals(201, r.status(), collection + ": " + r.raw());
    return r.body().path(resource);
  }

  /** A Neutron PUT (200 expected); answers the body. */
  JsonNode update(String path, String body) {
    Api.Reply r = api.send("PUT", V2 + path, body);
    assertEquals(200, r.status(), path + ": " + r.raw());
    return r.body();
  }

  /** The test guest's image boots with this kernel command line from now on (Nova's os_command_line). */
  void commandLine(String line) {
    Api.Reply r = api.jsonPatch("/image/v2/images/" + Api.TEST_IMAGE,
        "[{\"op\": \"add\", \"path\": \"/os_command_line\", \"value\": \"" + line + "\"}]");
    assertEquals(200, r.status(), r.raw());
  }

  /** A server of the test guest, in availability zone {@code zone} (a host), on these networks (Nova's list). */
  String server(String name, String zone, String networks) {
    return server(name, zone, networks, Optional.empty());
  }

  /** A server of the test guest as {@link #server(String, String, String)}, with the admin's key pair {@code keyName}. */
  String server(String name, String zone, String networks, Optional<String> keyName) {
    String key = keyName.map(k -> ", \"key_name\": \"" + k + "\"").orElse("");
    Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"availability_zone\": \"" + zone + "\", \"networks\": "
        + networks + key + "}}");
    assertEquals(202, r.status(), r.raw());
    return r.body().path("server").path("id").asText();
  }

  /** Imports a key pair of the admin's: an Ed25519 public key of 32 bytes {@code fill}; answers the key. */
  String keypair(String name, char fill) {
    byte[] type = "ssh-ed25519".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer blob = ByteBuffer.allocate(4 + type.length + 4 + 32);
    blob.putInt(type.length).put(type).putInt(32);
    while (blob.hasRemaining()) blob.put((byte) fill);
    String key = "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob.array()) + " " + name + "@nimbus";
    Api.Reply r = api.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"" + name
        + "\", \"public_key\": \"" + key + "\"}}");
    assertEquals(200, r.status(), r.raw());
    return key;
  }

  /** The server's whole console output so far. */
  String console(String id) {
    return api.post("/compute/v2.1/servers/" + id + "/action", "{\"os-getConsoleOutput\": {\"length\": -1}}")
        .body().path("output").asText().replace("\r", "");
  }

  /** Waits until the server's console satisfies {@code done}; answers the console then. */
  String awaitConsole(String id, Duration timeout, Predicate<String> done) {
    String[] last = {""};
    try {
      return Eventually.await(timeout, () -> {
        last[0] = console(id);
        return done.test(last[0]) ? last[0] : null;
      });
    } catch (AssertionError e) {
      throw new AssertionError("the console of " + id + " did not show what was awaited within " + timeout + ":\n"
          + last[0], e);
    }
  }

  /** How many lines of {@code text} are exactly {@code line}. */
  static int count(String text, String line) {
    return (int) text.lines().filter(l -> l.strip().equals(line)).count();
  }

  /** Runs a command on this machine; it must succeed within 30 s. Answers its output. */
  static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  /** The command lines of the processes in the host's network namespace, each after its pid. */
  static List<String> processes(String host) throws Exception {
    List<String> found = new ArrayList<>();
    for (String pid : run("ip", "netns", "pids", host).lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
      try {
        found.add(pid + " " + Files.readString(Path.of("/proc", pid, "cmdline")).replace('\0', ' '));
      } catch (java.io.IOException gone) {
        // it ended while we looked
      }
    }
    return found;
  }

  /** Waits until the host has these traces of Nimbus's; if it never does, shows how they differ. */
  void sameTraces(List<String> expected, String host, Duration timeout) throws Exception {
    try {
      Eventually.until(timeout, () -> NimbusTraces.of(hosts, host).equals(expected));
    } catch (AssertionError e) {
      assertEquals(String.join("\n", expected), String.join("\n", NimbusTraces.of(hosts, host)), "what Nimbus has on " + host);
    }
  }

  /** Takes the hosts (guests, daemons, devices and namespaces with them) and the control node down. */
  @Override
  public void close() throws Exception {
    try {
      hosts.close();
    } finally {
      control.close();
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }
}
