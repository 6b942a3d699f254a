package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostEntity;
import nimbus.compute.HostSummary;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No over-allocation under concurrency: 200 creates at once onto five hosts with room for
 * exactly 100 servers end with exactly 100 ACTIVE and 100 in ERROR (no valid host), no host
 * holds more than its capacity, and nothing is left in BUILD.
 */
class NoOverAllocationTest {
  private static final int HOSTS = 5;
  private static final int PER_HOST = 20; // 20 x m1.nano (128 MiB) = 2560 MiB of RAM per host
  private static Node control;
  private static SimulatedHosts hosts;
  private static Api api;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.roles", List.of("control")), (n, a) -> {
    control = n;
    api = a;
  });

  @BeforeAll
  static void startHosts() throws Exception {
    hosts = new SimulatedHosts(control, "small", HOSTS, 16, PER_HOST * 128);
    NODE.closeAfter(hosts);
    Eventually.until(Duration.ofSeconds(20), () -> HostDirectory.get(control.system()).hosts().stream()
        .map(HostSummary::host).filter(h -> h.startsWith("small-")).count() == HOSTS);
  }

  @Test
  void twoHundredCreatesOntoRoomForOneHundred() throws Exception {
    List<CompletableFuture<String>> creates = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      creates.add(CompletableFuture.supplyAsync(() -> api.createServer("crowd-" + n, "42")));
    }
    List<String> ids = creates.stream().map(CompletableFuture::join).toList();

    Map<String, Integer> byStatus = Eventually.await(Duration.ofSeconds(90), () -> {
      Map<String, Integer> counts = new HashMap<>();
      for (String id : ids) counts.merge(api.status(id), 1, Integer::sum);
      return counts.containsKey("BUILD") ? null : counts;
    });
    assertEquals(Map.of("ACTIVE", 100, "ERROR", 100), byStatus);
    for (String id : ids) {
      JsonNode s = api.server(id);
      if (s.path("status").asText().equals("ERROR")) {
        assertTrue(s.path("fault").path("message").asText().startsWith("No valid host was found"), s.toString());
      }
    }

    // each host: its claims within its capacity, and libvirt holding exactly the claimed servers
    ClusterSharding sharding = ClusterSharding.get(control.system());
    int domains = 0;
    for (int i = 0; i < HOSTS; i++) {
      List<String> claimed = sharding.entityRefFor(HostEntity.TYPE_KEY, "small-" + i)
          .<HostEntity.Allocations>askWithStatus(HostEntity.GetAllocations::new, Duration.ofSeconds(10))
          .toCompletableFuture().get().serverIds();
      assertEquals(PER_HOST, claimed.size(), "host small-" + i + " is full and no fuller");
      assertEquals(PER_HOST, hosts.hypervisor(i).domains("nimbus-").size());
      domains += claimed.size();
    }
    assertEquals(100, domains);
  }
}
