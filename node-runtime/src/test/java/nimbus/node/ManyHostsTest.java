package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import nimbus.compute.HostDirectory;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduling over a hundred simulated hosts: the spread weigher spreads, the pack weigher packs. */
class ManyHostsTest {
  private static final int HOSTS = 100;
  @TempDir
  Path data;

  /** Creates {@code count} servers one after another and answers how many landed on each host. */
  private static Map<String, Integer> place(Api api, int count) {
    Map<String, Integer> perHost = new HashMap<>();
    for (int i = 0; i < count; i++) {
      String id = api.createServer("placed-" + i, "42");
      String host = api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(20)).path("OS-EXT-SRV-ATTR:host").asText();
      perHost.merge(host, 1, Integer::sum);
    }
    return perHost;
  }

  private static Node controlWith(Path data, String weigher) {
    return Node.start(TestConfig.allInOne(data, Map.of("nimbus.roles", List.of("control"),
        "nimbus.compute.weigher", weigher)), ConfigFactory.empty());
  }

  private static void awaitHosts(Node control) {
    Eventually.until(Duration.ofSeconds(30), () -> HostDirectory.get(control.system()).hosts().size() == HOSTS);
  }

  @Test
  void spreadPutsOneServerOnEachOfAHundredHosts() throws Exception {
    try (Node control = controlWith(data, "spread");
        SimulatedHosts hosts = new SimulatedHosts(control, "wide", HOSTS, 8, 4096)) {
      Api api = Api.adminOf(control);
      awaitHosts(control);
      Map<String, Integer> perHost = place(api, HOSTS);
      assertEquals(HOSTS, perHost.size(), perHost.toString());
      assertEquals(Map.of(1, HOSTS), counts(perHost));
    }
  }

  @Test
  void packFillsOneHostBeforeTheNext() throws Exception {
    try (Node control = controlWith(data, "pack");
        SimulatedHosts hosts = new SimulatedHosts(control, "dense", HOSTS, 8, 4 * 128)) {
      Api api = Api.adminOf(control);
      awaitHosts(control);
      Map<String, Integer> perHost = place(api, 12);
      assertEquals(Map.of(4, 3), counts(perHost), perHost.toString());
    }
  }

  /** How many hosts hold each number of servers. */
  private static Map<Integer, Integer> counts(Map<String, Integer> perHost) {
    Map<Integer, Integer> out = new HashMap<>();
    perHost.values().forEach(n -> out.merge(n, 1, Integer::sum));
    return out;
  }
}
