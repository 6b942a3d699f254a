package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import nimbus.compute.PowerState;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real cluster in one JVM: a control node, and two hypervisor hosts that join it as compute
 * nodes (each with a libvirt test driver of its own). Servers created through the control
 * node's API are spread over both hosts, and every command reaches the right host's agent
 * across the cluster.
 */
class ClusterJoinTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Node control;
  private static Api api;
  @RegisterExtension
  static final RunningNode CLUSTER = RunningNode.allInOne(Map.of("nimbus.roles", List.of("control")), (n, a) -> {
        control = n;
        api = a;
      })
      .joinedBy("hv-a", dir -> computeHost(dir, "hv-a", "zone-a"))
      .joinedBy("hv-b", dir -> computeHost(dir, "hv-b", "zone-b"));
  private static final Map<String, Node> hosts = CLUSTER.joined();

  /** A hypervisor host's settings: a libvirt test driver of its own, with 4 CPUs and 8 GiB. */
  private static Map<String, Object> computeHost(Path dir, String name, String zone) throws IOException {
    Path driver = Files.writeString(dir.resolve(name + ".xml"), """
        <node>
          <cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
          <memory>8388608</memory>
        </node>
        """);
    return Map.of("nimbus.roles", List.of("compute"), "nimbus.host.name", name,
        "nimbus.host.availability-zone", zone, "nimbus.host.hypervisor-uri", "test://" + driver);
  }

  @Test
  void serversSpreadOverTheHostsThatJoinedAndObeyAcrossTheCluster() throws Exception {
    awaitHostsUp();
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
      Path instances = hosts.get(h.path("hypervisor_hostname").asText()).settings().host().instancesDir();
      assertEquals(Files.getFileStore(instances).getTotalSpace() >> 30, h.path("local_gb").asLong(),
          "the size of the filesystem its servers' disks are on");
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
    awaitHostsUp();
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
   * A resize that its host has no room for moves the server: its disk is copied through the
   * image store to the other host, which runs it; revert brings it back, confirm lets the
   * source go.
   */
  @Test
  void aResizeWithoutRoomOnItsHostMovesTheServer() throws Exception {
    awaitHostsUp();
    int serversBefore = serversOnHosts();
    for (String[] f : new String[][] {{"mv.small", "1024", "1"}, {"mv.big", "5000", "2"}, {"mv.filler", "5000", "1"}}) {
      api.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + f[0] + "\", \"id\": \"" + f[0]
          + "\", \"vcpus\": 1, \"ram\": " + f[1] + ", \"disk\": " + f[2] + "}}");
    }
    String imageId = api.uploadImage("moving-root", "qcow2",
        TestImages.qcow2(CLUSTER.data().resolve("moving-root.qcow2"), "32M"));

    String id = boot("mover", imageId, "mv.small", null);
    String source = api.server(id).path("OS-EXT-SRV-ATTR:host").asText();
    String target = source.equals("hv-a") ? "hv-b" : "hv-a";
    // fill the source so that the bigger flavor no longer fits there
    String filler = boot("filler", Api.TEST_IMAGE, "mv.filler", source.equals("hv-a") ? "zone-a" : "zone-b");
    assertEquals(source, api.server(filler).path("OS-EXT-SRV-ATTR:host").asText());

    assertEquals(202, api.action(id, "{\"resize\": {\"flavorRef\": \"mv.big\"}}"));
    JsonNode moved = api.awaitStatus(id, "VERIFY_RESIZE", WAIT);
    assertEquals(target, moved.path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals(PowerState.RUNNING, hosts.get(target).hypervisor().state("nimbus-" + id).orElse(null));
    assertEquals(PowerState.SHUTDOWN, hosts.get(source).hypervisor().state("nimbus-" + id).orElse(null),
        "the source keeps its copy, stopped, until the resize is confirmed or reverted");
    String info = TestImages.info(hosts.get(target).settings().host().instancesDir().resolve(id).resolve("disk"));
    assertTrue(info.contains("_base/"), "the target's disk is an overlay over the copied disk: " + info);

    assertEquals(202, api.action(id, "{\"revertResize\": null}"));
    JsonNode back = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(source, back.path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals("mv.small", back.path("flavor").path("id").asText());
    Eventually.until(WAIT, () -> hosts.get(source).hypervisor().state("nimbus-" + id).orElse(null) == PowerState.RUNNING
        && hosts.get(target).hypervisor().state("nimbus-" + id).isEmpty());

    assertEquals(202, api.action(id, "{\"resize\": {\"flavorRef\": \"mv.big\"}}"));
    api.awaitStatus(id, "VERIFY_RESIZE", WAIT);
    assertEquals(204, api.post("/compute/v2.1/servers/" + id + "/action", "{\"confirmResize\": null}").status());
    JsonNode confirmed = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(target, confirmed.path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals("mv.big", confirmed.path("flavor").path("id").asText());
    Eventually.until(WAIT, () -> hosts.get(source).hypervisor().state("nimbus-" + id).isEmpty());

    for (String server : List.of(id, filler)) assertEquals(204, api.delete("/compute/v2.1/servers/" + server).status());
    Eventually.until(WAIT, () -> serversOnHosts() == serversBefore);
  }

  private static String boot(String name, String image, String flavor, String zone) {
    Api.Reply created = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + image + "\", \"flavorRef\": \"" + flavor + "\"" + (zone == null ? "" : ", \"availability_zone\": \"" + zone + "\"")
        + "}}");
    assertEquals(202, created.status(), created.raw());
    String id = created.body().path("server").path("id").asText();
    api.awaitStatus(id, "ACTIVE", WAIT);
    return id;
  }

  /**
   * Image files cross the cluster as streams: the compute node that boots an uploaded image
   * fetches it from the control node's store into its cache, and a snapshot taken there streams
   * back into the store.
   */
  @Test
  void anUploadedImageTravelsToItsHostAndASnapshotComesBack() throws Exception {
    awaitHostsUp();
    int serversBefore = serversOnHosts();
    Path file = TestImages.qcow2(CLUSTER.data().resolve("cluster-root.qcow2"), "32M");
    byte[] bytes = Files.readAllBytes(file);
    String imageId = api.uploadImage("cluster-root", "qcow2", file);
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

  /** Both hosts have reported their inventory to the control node, and their heartbeats reach it. */
  private static void awaitHostsUp() {
    HostDirectory directory = HostDirectory.get(control.system());
    Eventually.until(WAIT, () -> directory.hosts().size() == 2
        && directory.isUp("hv-a", Duration.ofSeconds(2)) && directory.isUp("hv-b", Duration.ofSeconds(2)));
  }

  private static int serversOnHosts() {
    return HostDirectory.get(control.system()).hosts().stream().mapToInt(HostSummary::servers).sum();
  }
}
