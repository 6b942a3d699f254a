package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import nimbus.compute.PowerState;
import nimbus.node.agent.ProcessRunner;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real cluster in one JVM: a control node, and two hypervisor hosts that join it as compute
 * nodes (each with a libvirt test driver of its own). Servers created through the control
 * node's API are spread over both hosts, and every command reaches the right host's agent
 * across the cluster.
 */
class ClusterJoinTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir
  static Path data;
  private static Node control;
  private static final Map<String, Node> hosts = new HashMap<>();
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> controlOnly = new HashMap<>();
    controlOnly.put("nimbus.roles", List.of("control"));
    control = Node.start(TestConfig.allInOne(data.resolve("control"), controlOnly), ConfigFactory.empty());
    for (String name : List.of("hv-a", "hv-b")) {
      Path driver = Files.writeString(data.resolve(name + ".xml"), """
          <node>
            <cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
            <memory>8388608</memory>
          </node>
          """);
      Map<String, Object> compute = new HashMap<>();
      compute.put("nimbus.roles", List.of("compute"));
      compute.put("nimbus.host.name", name);
      compute.put("nimbus.host.availability-zone", name.equals("hv-a") ? "zone-a" : "zone-b");
      compute.put("nimbus.host.hypervisor-uri", "test://" + driver);
      compute.put("nimbus.cluster.seed-nodes", List.of("127.0.0.1:" + control.clusterPort()));
      hosts.put(name, Node.start(TestConfig.allInOne(data.resolve(name), compute), ConfigFactory.empty()));
    }
    api = Api.adminOf(control);
  }

  @AfterAll
  static void stop() {
    hosts.values().forEach(Node::close);
    control.close();
  }

  @Test
  void serversSpreadOverTheHostsThatJoinedAndObeyAcrossTheCluster() {
    // both hosts have reported their inventory to the control node
    Eventually.until(WAIT, () -> HostDirectory.get(control.system()).hosts().stream()
        .map(HostSummary::host).toList().containsAll(List.of("hv-a", "hv-b")));
    List<String> ids = new ArrayList<>();
    // one after another: the spread is then exact (creates at the same moment see the same view)
    for (int i = 0; i < 6; i++) {
      ids.add(api.createServer("spread-" + i, "42"));
      api.awaitStatus(ids.get(i), "ACTIVE", WAIT);
    }
    Set<String> used = new HashSet<>();
    for (String id : ids) {
      JsonNode s = api.awaitStatus(id, "ACTIVE", WAIT);
      String host = s.path("OS-EXT-SRV-ATTR:host").asText();
      used.add(host);
      assertEquals(PowerState.RUNNING, hosts.get(host).hypervisor().state("nimbus-" + id).orElse(null),
          "the domain runs on the host the API names");
    }
    assertEquals(Set.of("hv-a", "hv-b"), used, "the spread weigher uses both hosts");

    // the hypervisors API sees both hosts and what runs on them
    JsonNode hypervisors = api.get("/compute/v2.1/os-hypervisors/detail").body().path("hypervisors");
    assertEquals(List.of("hv-a", "hv-b"), hypervisors.findValuesAsText("hypervisor_hostname"));
    int running = 0;
    for (JsonNode h : hypervisors) {
      assertEquals("up", h.path("state").asText());
      assertEquals(4, h.path("vcpus").asInt());
      assertEquals(8192, h.path("memory_mb").asInt());
      running += h.path("running_vms").asInt();
      assertEquals(h, api.get("/compute/v2.1/os-hypervisors/" + h.path("id").asInt()).body().path("hypervisor"));
    }
    assertEquals(ids.size(), running);
    JsonNode stats = api.get("/compute/v2.1/os-hypervisors/statistics").body().path("hypervisor_statistics");
    assertEquals(2, stats.path("count").asInt());
    assertEquals(ids.size() * 128, stats.path("memory_mb_used").asInt());
    JsonNode zones = api.get("/compute/v2.1/os-availability-zone/detail").body().path("availabilityZoneInfo");
    assertEquals(List.of("zone-a", "zone-b"), zones.findValuesAsText("zoneName"));
    assertTrue(zones.get(0).path("hosts").has("hv-a") && zones.get(1).path("hosts").has("hv-b"));

    String first = ids.get(0);
    Node host = hosts.get(api.server(first).path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals(202, api.action(first, "{\"os-stop\": null}"));
    api.awaitStatus(first, "SHUTOFF", WAIT);
    assertEquals(PowerState.SHUTDOWN, host.hypervisor().state("nimbus-" + first).orElse(null));
    JsonNode console = api.post("/compute/v2.1/servers/" + first + "/action", "{\"os-getConsoleOutput\": {}}").body();
    assertTrue(console.has("output"), console.toString());

    for (String id : ids) assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> ids.stream().allMatch(id -> api.get("/compute/v2.1/servers/" + id).status() == 404));
    for (String id : ids) {
      hosts.values().forEach(n -> assertTrue(n.hypervisor().state("nimbus-" + id).isEmpty()));
    }
  }

  @Test
  void aServerThatAsksForAZoneLandsOnAHostOfThatZone() {
    Eventually.until(WAIT, () -> HostDirectory.get(control.system()).hosts().size() == 2);
    int serversBefore = serversOnHosts();
    for (String zone : List.of("zone-b", "zone-a", "zone-b")) {
      Api.Reply created = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"in-" + zone + "\", \"imageRef\": \""
          + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"availability_zone\": \"" + zone + "\"}}");
      assertEquals(202, created.status(), created.raw());
      String id = created.body().path("server").path("id").asText();
      JsonNode server = api.awaitStatus(id, "ACTIVE", WAIT);
      assertEquals(zone.equals("zone-a") ? "hv-a" : "hv-b", server.path("OS-EXT-SRV-ATTR:host").asText());
      assertEquals(zone, server.path("OS-EXT-AZ:availability_zone").asText());
      assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
      Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    }
    assertEquals(400, api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"nowhere\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"availability_zone\": \"zone-c\"}}").status());
    Eventually.until(WAIT, () -> serversOnHosts() == serversBefore);
  }

  /**
   * Image files cross the cluster as streams: the compute node that boots an uploaded image
   * fetches it from the control node's store into its cache, and a snapshot taken there streams
   * back into the store.
   */
  @Test
  void anUploadedImageTravelsToItsHostAndASnapshotComesBack() throws Exception {
    Eventually.until(WAIT, () -> HostDirectory.get(control.system()).hosts().size() == 2);
    int serversBefore = serversOnHosts();
    Path file = data.resolve("cluster-root.qcow2");
    new ProcessRunner().run(List.of("qemu-img", "create", "-q", "-f", "qcow2", file.toString(), "32M"), Duration.ofSeconds(30));
    byte[] bytes = Files.readAllBytes(file);
    String imageId = api.post("/image/v2/images", "{\"name\": \"cluster-root\", \"disk_format\": \"qcow2\", "
        + "\"container_format\": \"bare\"}").body().path("id").asText();
    assertEquals(204, api.putBytes("/image/v2/images/" + imageId + "/file", bytes).status());
    String sha512 = api.get("/image/v2/images/" + imageId).body().path("os_hash_value").asText();

    Api.Reply created = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"remote-boot\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"42\"}}");
    assertEquals(202, created.status(), created.raw());
    String id = created.body().path("server").path("id").asText();
    Node host = hosts.get(api.awaitStatus(id, "ACTIVE", WAIT).path("OS-EXT-SRV-ATTR:host").asText());
    Path cached = host.settings().host().instancesDir().resolve("_base").resolve(sha512);
    assertArrayEquals(bytes, Files.readAllBytes(cached), "the host fetched the image from the control node");

    Api.Reply snapshot = api.post("/compute/v2.1/servers/" + id + "/action", "{\"createImage\": {\"name\": \"remote-snap\"}}");
    assertEquals(202, snapshot.status(), snapshot.raw());
    String location = snapshot.headers().firstValue("Location").orElseThrow();
    String snapshotId = location.substring(location.lastIndexOf('/') + 1);
    JsonNode image = Eventually.await(WAIT, () -> {
      JsonNode i = api.get("/image/v2/images/" + snapshotId).body();
      return i.path("status").asText().equals("active") ? i : null;
    });
    byte[] snapped = api.getBytes("/image/v2/images/" + snapshotId + "/file").body();
    assertEquals(image.path("size").asLong(), snapped.length);
    assertEquals("QFI", new String(snapped, 0, 3, java.nio.charset.StandardCharsets.US_ASCII), "a qcow2 file");

    // gone again, so the other test counts only its own servers
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> serversOnHosts() == serversBefore);
  }

  private static int serversOnHosts() {
    return HostDirectory.get(control.system()).hosts().stream().mapToInt(HostSummary::servers).sum();
  }
}
