package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.node.agent.ProcessRunner;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resize (confirm, revert, refusals) and snapshots (createImage) over the real API on one
 * all-in-one node, checked against libvirt's domain definition, the disk files, the host's
 * claims and the project's quota.
 */
class ResizeAndSnapshotApiTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir
  static Path data;
  private static Node node;
  private static Api api;
  private static String imageId;

  @BeforeAll
  static void start() throws Exception {
    // test:///default offers 3072 MiB: twice that leaves room for every test's servers
    node = Node.start(TestConfig.allInOne(data, Map.of("nimbus.host.ram-allocation-ratio", 2.0)), ConfigFactory.empty());
    api = Api.adminOf(node);
    Path file = data.resolve("root.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", file.toString(), "64M");
    imageId = api.post("/image/v2/images", "{\"name\": \"resize-root\", \"disk_format\": \"qcow2\", "
        + "\"container_format\": \"bare\"}").body().path("id").asText();
    assertEquals(204, api.putBytes("/image/v2/images/" + imageId + "/file", Files.readAllBytes(file)).status());
    flavor("rs.small", 1, 512, 1);
    flavor("rs.big", 2, 1024, 2);
    flavor("rs.bigger", 4, 2048, 2);
    flavor("rs.huge", 1, 7000, 2);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String run(String... command) {
    return new ProcessRunner().run(List.of(command), Duration.ofSeconds(30));
  }

  private static void flavor(String name, int vcpus, int ram, int disk) {
    Api.Reply r = api.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + name + "\", \"id\": \"" + name
        + "\", \"vcpus\": " + vcpus + ", \"ram\": " + ram + ", \"disk\": " + disk + "}}");
    assertEquals(200, r.status(), r.raw());
  }

  private static String boot(String name, String flavor) {
    Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + imageId + "\", \"flavorRef\": \"" + flavor + "\"}}");
    assertEquals(202, r.status(), r.raw());
    String id = r.body().path("server").path("id").asText();
    api.awaitStatus(id, "ACTIVE", WAIT);
    return id;
  }

  private static Api.Reply action(String id, String body) {
    return api.post("/compute/v2.1/servers/" + id + "/action", body);
  }

  /** The domain's memory in MiB and vCPUs, as libvirt holds them. */
  private static List<Integer> domainSize(String id) {
    String xml = node.hypervisor().definition("nimbus-" + id).orElseThrow();
    int kib = Integer.parseInt(xml.replaceAll("(?s).*<memory unit='KiB'>(\\d+)</memory>.*", "$1"));
    int vcpus = Integer.parseInt(xml.replaceAll("(?s).*<vcpu[^>]*>(\\d+)</vcpu>.*", "$1"));
    return List.of(kib / 1024, vcpus);
  }

  private static long diskBytes(String id) {
    String info = run("qemu-img", "info", "-U", "--output=json",
        node.settings().host().instancesDir().resolve(id).resolve("disk").toString());
    return Long.parseLong(info.replaceAll("(?s).*\"virtual-size\":\\s*(\\d+).*", "$1"));
  }

  private static int hostRamUsed() {
    for (JsonNode h : api.get("/compute/v2.1/os-hypervisors/detail").body().path("hypervisors")) {
      if (h.path("hypervisor_hostname").asText().equals(node.settings().host().name())) return h.path("memory_mb_used").asInt();
    }
    throw new AssertionError("no hypervisor " + node.settings().host().name());
  }

  private static int quotaRamUsed() {
    return api.get("/compute/v2.1/limits").body().path("limits").path("absolute").path("totalRAMUsed").asInt();
  }

  @Test
  void aResizeIsConfirmedOrRevertedAndHoldsTheLargerFlavorMeanwhile() {
    String id = boot("resized", "rs.small");
    int hostBefore = hostRamUsed();
    int quotaBefore = quotaRamUsed();
    assertEquals(List.of(512, 1), domainSize(id));

    assertEquals(202, action(id, "{\"resize\": {\"flavorRef\": \"rs.big\"}}").status());
    JsonNode verifying = api.awaitStatus(id, "VERIFY_RESIZE", WAIT);
    assertEquals("rs.big", verifying.path("flavor").path("id").asText());
    assertEquals(List.of(1024, 2), domainSize(id));
    assertEquals(2L << 30, diskBytes(id), "the root disk grew to the new flavor's size");
    assertEquals(hostBefore + 512, hostRamUsed(), "the host holds the larger flavor");
    assertEquals(quotaBefore + 512, quotaRamUsed());
    assertEquals(204, action(id, "{\"confirmResize\": null}").status());
    api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("rs.big", api.server(id).path("flavor").path("id").asText());

    assertEquals(202, action(id, "{\"resize\": {\"flavorRef\": \"rs.bigger\"}}").status());
    api.awaitStatus(id, "VERIFY_RESIZE", WAIT);
    assertEquals(List.of(2048, 4), domainSize(id));
    assertEquals(hostBefore + 1536, hostRamUsed());
    assertEquals(202, action(id, "{\"revertResize\": null}").status());
    JsonNode reverted = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("rs.big", reverted.path("flavor").path("id").asText());
    assertEquals(List.of(1024, 2), domainSize(id));
    Eventually.until(WAIT, () -> hostRamUsed() == hostBefore + 512 && quotaRamUsed() == quotaBefore + 512);

    List<String> actions = api.get("/compute/v2.1/servers/" + id + "/os-instance-actions").body()
        .path("instanceActions").findValuesAsText("action");
    assertEquals(List.of("revertResize", "resize", "confirmResize", "resize", "create"), actions);
  }

  @Test
  void aResizeThatCannotBeMadeIsRefusedOrEndsWhereItBegan() {
    String id = boot("not-resized", "rs.big");
    assertEquals(400, action(id, "{\"resize\": {\"flavorRef\": \"rs.big\"}}").status(), "the same flavor");
    assertEquals(400, action(id, "{\"resize\": {\"flavorRef\": \"rs.small\"}}").status(), "disks do not shrink");
    assertEquals(400, action(id, "{\"resize\": {\"flavorRef\": \"no-such-flavor\"}}").status());
    assertEquals(400, action(id, "{\"resize\": {}}").status());
    assertEquals(409, action(id, "{\"confirmResize\": null}").status(), "nothing to confirm");

    int hostBefore = hostRamUsed();
    assertEquals(202, action(id, "{\"resize\": {\"flavorRef\": \"rs.huge\"}}").status());
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id + "/os-instance-actions").body()
        .path("instanceActions").get(0).path("message").asText().equals("Error"));
    JsonNode server = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("rs.big", server.path("flavor").path("id").asText(), "the host had no room: the flavor stays");
    assertEquals(List.of(1024, 2), domainSize(id));
    assertEquals(hostBefore, hostRamUsed());
  }

  @Test
  void aSnapshotLandsInTheImageServiceAndBootsAServer() throws Exception {
    String id = boot("snapped", "rs.small");
    Api.Reply r = action(id, "{\"createImage\": {\"name\": \"snap-" + id + "\", \"metadata\": {\"purpose\": \"test\"}}}");
    assertEquals(202, r.status(), r.raw());
    String location = r.headers().firstValue("Location").orElseThrow();
    String snapshotId = location.substring(location.lastIndexOf('/') + 1);
    assertTrue(location.endsWith("/image/v2/images/" + snapshotId), location);
    JsonNode image = Eventually.await(WAIT, () -> {
      JsonNode i = api.get("/image/v2/images/" + snapshotId).body();
      return i.path("status").asText().equals("active") ? i : null;
    });
    assertEquals("snapshot", image.path("image_type").asText());
    assertEquals(id, image.path("instance_uuid").asText());
    assertEquals(imageId, image.path("base_image_ref").asText());
    assertEquals("test", image.path("purpose").asText());
    assertEquals("private", image.path("visibility").asText());
    api.awaitStatus(id, "ACTIVE", WAIT);

    var download = api.getBytes("/image/v2/images/" + snapshotId + "/file");
    Path copy = Files.write(data.resolve("snapshot-" + UUID.randomUUID()), download.body());
    String info = run("qemu-img", "info", "--output=json", copy.toString());
    assertTrue(info.contains("\"format\": \"qcow2\""), info);
    assertTrue(info.contains("\"virtual-size\": " + (1L << 30)), info);
    assertTrue(!info.contains("backing-filename"), "the snapshot is flattened: it needs no base");

    Api.Reply fromSnapshot = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"from-snapshot\", "
        + "\"imageRef\": \"" + snapshotId + "\", \"flavorRef\": \"rs.small\"}}");
    assertEquals(202, fromSnapshot.status(), fromSnapshot.raw());
    api.awaitStatus(fromSnapshot.body().path("server").path("id").asText(), "ACTIVE", WAIT);

    // a stopped server is snapshotted too, and stays stopped
    assertEquals(202, action(id, "{\"os-stop\": null}").status());
    api.awaitStatus(id, "SHUTOFF", WAIT);
    // metadata cannot pose as the image's own attributes (its owner, its hashes)
    for (String reserved : java.util.List.of("owner", "checksum", "os_hash_value", "visibility", "status")) {
      assertEquals(400, action(id, "{\"createImage\": {\"name\": \"spoof\", \"metadata\": {\"" + reserved
          + "\": \"x\"}}}").status(), reserved);
    }
    assertEquals(202, action(id, "{\"createImage\": {\"name\": \"cold\"}}").status());
    Eventually.until(WAIT, () -> api.get("/image/v2/images?name=cold").body().path("images")
        .findValuesAsText("status").contains("active"));
    api.awaitStatus(id, "SHUTOFF", WAIT);

    // and a paused one, which stays paused
    assertEquals(202, action(id, "{\"os-start\": null}").status());
    api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(202, action(id, "{\"pause\": null}").status());
    api.awaitStatus(id, "PAUSED", WAIT);
    assertEquals(202, action(id, "{\"createImage\": {\"name\": \"frozen\"}}").status());
    Eventually.until(WAIT, () -> api.get("/image/v2/images?name=frozen").body().path("images")
        .findValuesAsText("status").contains("active"));
    Eventually.until(WAIT, () -> api.server(id).path("OS-EXT-STS:task_state").isNull());
    assertEquals("PAUSED", api.status(id));
  }

  @Test
  void aServerWithoutARootDiskHasNothingToSnapshot() {
    String id = api.createServer("kernel-only", "42");
    api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(409, action(id, "{\"createImage\": {\"name\": \"nothing\"}}").status());
    assertEquals(400, action(id, "{\"createImage\": {}}").status(), "a name is required");
    assertTrue(api.get("/image/v2/images?name=nothing").body().path("images").isEmpty(), "no image is left behind");
  }
}
