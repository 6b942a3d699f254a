package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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

  @Test
  void antiAffinityKeepsAHundredMembersCreatedAtOnceOnAHundredHosts() throws Exception {
    try (Node control = controlWith(data, "pack");
        SimulatedHosts hosts = new SimulatedHosts(control, "apart", HOSTS, 8, 4096)) {
      Api api = Api.adminOf(control);
      awaitHosts(control);
      String group = group(api, "anti-affinity");
      // pack would put them all on one host: the group's policy must win, even for concurrent creates
      createMembers(api, group, HOSTS);
      JsonNode members = api.get("/compute/v2.1/os-server-groups/" + group).body().path("server_group").path("members");
      assertEquals(HOSTS, members.size());
      Map<String, Integer> perHost = new HashMap<>();
      for (JsonNode member : members) {
        String host = api.awaitStatus(member.asText(), "ACTIVE", Duration.ofSeconds(60)).path("OS-EXT-SRV-ATTR:host").asText();
        perHost.merge(host, 1, Integer::sum);
      }
      assertEquals(Map.of(1, HOSTS), counts(perHost), "one member on each host");

      String extra = createMembers(api, group, 1);
      assertTrue(api.awaitStatus(extra, "ERROR", Duration.ofSeconds(30)).path("fault").path("message").asText()
          .startsWith("No valid host was found"), "every host holds a member already");
    }
  }

  @Test
  void affinityPutsEveryMemberOnOneHostEvenWhenCreatedAtOnce() throws Exception {
    try (Node control = controlWith(data, "spread");
        SimulatedHosts hosts = new SimulatedHosts(control, "together", HOSTS, 8, 4096)) {
      Api api = Api.adminOf(control);
      awaitHosts(control);
      String group = group(api, "affinity");
      // spread would put each on another host, and none is placed when they are scheduled:
      // the first member placed fixes the group's host, and the others follow it
      createMembers(api, group, 5);
      createMembers(api, group, 1);
      JsonNode members = api.get("/compute/v2.1/os-server-groups/" + group).body().path("server_group").path("members");
      assertEquals(6, members.size());
      Map<String, Integer> perHost = new HashMap<>();
      for (JsonNode member : members) {
        String host = api.awaitStatus(member.asText(), "ACTIVE", Duration.ofSeconds(30)).path("OS-EXT-SRV-ATTR:host").asText();
        perHost.merge(host, 1, Integer::sum);
      }
      assertEquals(1, perHost.size(), perHost.toString());
    }
  }

  /** A new server group with {@code policy}; answers its id. */
  private static String group(Api api, String policy) {
    return api.post("/compute/v2.1/os-server-groups", "{\"server_group\": {\"name\": \"" + policy
        + "\", \"policies\": [\"" + policy + "\"]}}").body().path("server_group").path("id").asText();
  }

  /** Creates {@code count} members of {@code group} in one request; answers the first's id. */
  private static String createMembers(Api api, String group, int count) {
    Api.Reply created = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"member\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"min_count\": " + count + ", \"max_count\": " + count
        + "}, \"os:scheduler_hints\": {\"group\": \"" + group + "\"}}");
    assertEquals(202, created.status(), created.raw());
    return created.body().path("server").path("id").asText();
  }

  /** How many hosts hold each number of servers. */
  private static Map<Integer, Integer> counts(Map<String, Integer> perHost) {
    Map<Integer, Integer> out = new HashMap<>();
    perHost.values().forEach(n -> out.merge(n, 1, Integer::sum));
    return out;
  }
}
