package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An all-in-one process on {@code qemu:///system}, killed with SIGKILL while servers are ACTIVE,
 * SHUTOFF and in BUILD. After a restart every server is found in its state, the ones in BUILD
 * finish (ACTIVE, or ERROR with a reason), and libvirt holds exactly what the servers say.
 */
class CrashRecoveryTest {
  @TempDir
  Path dir;
  private NodeProcess node;
  private String apiUrl;
  private Api api;
  private final List<String> mine = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    if (api != null) {
      for (String id : mine) api.delete("/compute/v2.1/servers/" + id);
      Eventually.until(Duration.ofSeconds(60), () -> mine.stream()
          .allMatch(id -> api.get("/compute/v2.1/servers/" + id).status() == 404));
    }
    if (node != null) node.close();
  }

  @Test
  void killedMidWorkItResumesAndLeavesNothingHalfDone() throws Exception {
    Path config = writeConfig();
    start(config);
    String running = api.createServer("running", "42");
    String stopped = api.createServer("stopped", "42");
    mine.addAll(List.of(running, stopped));
    api.awaitStatus(running, "ACTIVE", Duration.ofSeconds(60));
    api.awaitStatus(stopped, "ACTIVE", Duration.ofSeconds(60));
    assertEquals(202, api.action(stopped, "{\"os-stop\": null}"));
    api.awaitStatus(stopped, "SHUTOFF", Duration.ofSeconds(30));

    List<CompletableFuture<String>> creates = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int n = i;
      creates.add(CompletableFuture.supplyAsync(() -> api.createServer("burst-" + n, "42")));
    }
    List<String> burst = creates.stream().map(CompletableFuture::join).toList();
    mine.addAll(burst);
    Set<String> buildingAtKill = burst.stream()
        .filter(id -> api.status(id).equals("BUILD")).collect(Collectors.toSet());
    node.kill();
    assertFalse(buildingAtKill.isEmpty(), "the kill should catch servers in BUILD");

    start(config);
    assertEquals("ACTIVE", api.status(running));
    assertEquals("SHUTOFF", api.status(stopped));
    Map<String, JsonNode> after = new HashMap<>();
    for (String id : burst) {
      JsonNode s = Eventually.await(Duration.ofSeconds(120), () -> {
        JsonNode now = api.server(id);
        String status = now.path("status").asText();
        return status.equals("ACTIVE") || status.equals("ERROR") ? now : null;
      });
      after.put(id, s);
      if (s.path("status").asText().equals("ERROR")) {
        assertFalse(s.path("fault").path("message").asText().isBlank(), "ERROR without a reason: " + s);
      }
    }

    // libvirt holds exactly the domains of servers that have one, in their power state
    Eventually.until(Duration.ofSeconds(30), () -> {
      List<String> domains = RealGuestTest.virshNames();
      for (String id : mine) {
        boolean shouldExist = !after.containsKey(id) || after.get(id).path("status").asText().equals("ACTIVE");
        if (domains.contains("nimbus-" + id) != shouldExist) return false;
      }
      return true;
    });
    assertEquals("running", domainState(running));
    assertEquals("shut off", domainState(stopped));
    for (String id : burst) {
      if (after.get(id).path("status").asText().equals("ACTIVE")) assertEquals("running", domainState(id));
    }
  }

  /**
   * The reproduction: the node killed during a create of ten servers, once their quota
   * is reserved. After the restart the request's workflow resumes, and the project's quota usage
   * equals the servers that exist.
   */
  @Test
  void killedDuringAMultiCreateTheQuotaStillMatchesWhatExists() throws Exception {
    Path config = writeConfig();
    start(config);
    String body = "{\"server\": {\"name\": \"many\", \"imageRef\": \"" + Api.TEST_IMAGE
        + "\", \"flavorRef\": \"42\", \"min_count\": 10, \"max_count\": 10}}";
    CompletableFuture.runAsync(() -> api.post("/compute/v2.1/servers", body)); // its answer never comes
    Eventually.until(Duration.ofSeconds(30), () -> instancesUsed() > 0);
    node.kill(); // with the quota reserved and the servers not all made

    start(config);
    List<String> listed = Eventually.await(Duration.ofSeconds(60), () -> {
      JsonNode servers = api.get("/compute/v2.1/servers/detail?name=%5Emany-").body().path("servers");
      List<String> ids = new ArrayList<>();
      servers.forEach(server -> ids.add(server.path("id").asText()));
      boolean settled = servers.findValuesAsText("status").stream().noneMatch("BUILD"::equals);
      if (settled && ids.size() == instancesUsed()) return ids;
      throw new AssertionError(ids.size() + " servers " + servers.findValuesAsText("status") + ", quota holds "
          + instancesUsed());
    });
    mine.addAll(listed);
    assertEquals(10, listed.size(), "the workflow resumed and made every server");
  }

  private int instancesUsed() {
    return api.get("/compute/v2.1/limits").body().path("limits").path("absolute").path("totalInstancesUsed").asInt();
  }

  private void start(Path config) throws IOException {
    node = NodeProcess.start(config, apiUrl);
    api = node.admin;
  }

  private Path writeConfig() throws IOException {
    Path guest = TestGuest.dir();
    NodeProcess.Config config = NodeProcess.writeConfig(dir, """
        host {
          name = "crash-%s"
          hypervisor-uri = "qemu:///system"
          domain-type = qemu
          heartbeat-interval = 500ms
          reconcile-interval = 2s
          graceful-shutdown-timeout = 0s
        }
        compute.step-retry-interval = 1s
        images = [{ name = "nimbus-test-guest", kernel = "%s", ramdisk = "%s", disk = "", disk-format = qcow2 }]
        """.formatted(UUID.randomUUID().toString().substring(0, 8), guest.resolve("vmlinuz"),
        guest.resolve("initrd.img")));
    apiUrl = config.apiUrl();
    return config.file();
  }


  private static String domainState(String id) throws Exception {
    Process p = new ProcessBuilder(List.of("virsh", "-c", "qemu:///system", "domstate", "nimbus-" + id))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    assertTrue(p.waitFor() == 0, out);
    return out;
  }
}
