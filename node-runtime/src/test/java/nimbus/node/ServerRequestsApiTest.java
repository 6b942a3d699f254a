package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What tempest's required server tests read, over real HTTP against an all-in-one node: servers
 * listed by their fixed addresses (Nova's {@code ip} and {@code ip6}), a rebuild answered with
 * Nova's basic view, and every action found by the request id its answer carried.
 */
class ServerRequestsApiTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Api ann;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, admin) -> {
    admin.createUserInProject("req-ann", "pw-ann", "req-one", "member");
    ann = admin.as("req-ann", "pw-ann", "req-one");
  });

  /** A network of Ann's named {@code name} with one subnet of {@code cidr}; answers its id. */
  private static String network(String name, String cidr) {
    Api.Reply net = ann.post("/network/v2.0/networks", "{\"network\": {\"name\": \"" + name + "\"}}");
    assertEquals(201, net.status(), net.raw());
    Api.Reply sub = ann.post("/network/v2.0/subnets", "{\"subnet\": {\"network_id\": \""
        + net.body().path("network").path("id").asText() + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\"}}");
    assertEquals(201, sub.status(), sub.raw());
    return net.body().path("network").path("id").asText();
  }

  /** A server on network {@code networkId}, ACTIVE: its detail. */
  private static JsonNode activeServer(String name, String networkId) {
    Api.Reply made = ann.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"networks\": [{\"uuid\": \"" + networkId + "\"}]}}");
    assertEquals(202, made.status(), made.raw());
    return ann.awaitStatus(made.body().path("server").path("id").asText(), "ACTIVE", WAIT);
  }

  private static List<String> namesListedBy(String query) {
    Api.Reply r = ann.get("/compute/v2.1/servers?" + query);
    assertEquals(200, r.status(), r.raw());
    return r.body().path("servers").findValuesAsText("name").stream().sorted().toList();
  }

  private static String regex(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String requestIdOf(Api.Reply reply) {
    return reply.headers().firstValue("x-compute-request-id").orElseThrow();
  }

  @Test
  void serversAreListedByTheirFixedAddressesAndTheirActionsByTheirRequests() {
    String net = network("listed", "10.60.0.0/24");
    JsonNode first = activeServer("by-ip-1", net);
    JsonNode second = activeServer("by-ip-2", net);
    String firstAddress = first.path("addresses").path("listed").path(0).path("addr").asText();
    String secondAddress = second.path("addresses").path("listed").path(0).path("addr").asText();
    assertTrue(firstAddress.startsWith("10.60.0.") && secondAddress.startsWith("10.60.0."), first.toString());

    assertEquals(List.of("by-ip-1"), namesListedBy("ip=" + regex(firstAddress + "$")));
    assertEquals(List.of("by-ip-2"), namesListedBy("ip=" + regex(secondAddress + "$")));
    assertEquals(List.of("by-ip-1", "by-ip-2"), namesListedBy("ip=" + regex("10\\.60\\.0\\.")));
    // matched from the address's start, as Python's re.match
    assertEquals(List.of(), namesListedBy("ip=" + regex("60\\.0")));
    assertEquals(List.of("by-ip-1"), namesListedBy("ip=" + regex(firstAddress + "$") + "&limit=1"));
    // ip6 is a member's filter from 2.5 on: at 2.1 it is ignored, as Nova ignores it
    assertEquals(List.of("by-ip-1", "by-ip-2"), namesListedBy("name=by-ip&ip6=" + regex("fe80::")));
    Api.Reply bad = ann.get("/compute/v2.1/servers?ip=" + regex("10.60.[0"));
    assertEquals(400, bad.status(), bad.raw());
    assertTrue(bad.body().path("badRequest").path("message").asText().contains("ip"), bad.raw());

    Api.Reply stop = ann.post("/compute/v2.1/servers/" + first.path("id").asText() + "/action", "{\"os-stop\": null}");
    assertEquals(202, stop.status(), stop.raw());
    JsonNode action = ann.get("/compute/v2.1/servers/" + first.path("id").asText() + "/os-instance-actions/"
        + requestIdOf(stop)).body().path("instanceAction");
    assertEquals("stop", action.path("action").asText(), action.toString());
    assertEquals(requestIdOf(stop), action.path("request_id").asText());
  }

  /** tempest's test_rebuild_server: the answer's schema is Nova's basic view at 2.1. */
  @Test
  void aRebuildAnswersNovasBasicViewWithTheAccessAddressesItGave() {
    JsonNode server = activeServer("to-rebuild", network("rebuilt", "10.61.0.0/24"));
    String id = server.path("id").asText();
    Api.Reply rebuilt = ann.post("/compute/v2.1/servers/" + id + "/action", "{\"rebuild\": {\"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"name\": \"rebuilt\", \"accessIPv4\": \"192.0.2.7\", \"adminPass\": \"pw-rebuilt\"}}");
    assertEquals(202, rebuilt.status(), rebuilt.raw());
    JsonNode view = rebuilt.body().path("server");
    assertEquals("rebuilt", view.path("name").asText());
    assertEquals("192.0.2.7", view.path("accessIPv4").asText());
    assertEquals("pw-rebuilt", view.path("adminPass").asText());
    JsonNode address = view.path("addresses").path("rebuilt").path(0);
    Set<String> fields = new HashSet<>();
    address.fieldNames().forEachRemaining(fields::add);
    assertEquals(Set.of("version", "addr"), fields, view.toString());
    assertTrue(rebuilt.headers().firstValue("Location").orElseThrow().endsWith("/servers/" + id));
    assertEquals("rebuild", ann.get("/compute/v2.1/servers/" + id + "/os-instance-actions/" + requestIdOf(rebuilt))
        .body().path("instanceAction").path("action").asText());

    JsonNode after = ann.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals(server.path("addresses"), after.path("addresses"));
    assertEquals("192.0.2.7", after.path("accessIPv4").asText());
    assertEquals("", after.path("accessIPv6").asText());
  }

  /**
   * The attack on the address filters: a pattern that backtracks exponentially (this one takes
   * Java's engine minutes against a 10-character address) sent several times at once. Each list
   * answers a 400 within seconds, and the node still lists at once afterwards; the same for the
   * name filter.
   */
  @Test
  void aPatternThatBacktracksExponentiallyIsRefusedQuicklyAndTheNodeStaysResponsive() throws Exception {
    activeServer("backtracked", network("backtracking", "10.62.0.0/24"));
    String attack = "ip=" + regex("((((((((((([\\d.]+)+)+)+)+)+)+)+)+)+)+)+x");
    java.util.concurrent.ExecutorService attackers = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Api.Reply>> replies = new java.util.ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 4; i++) replies.add(attackers.submit(() -> ann.get("/compute/v2.1/servers?" + attack)));
      for (java.util.concurrent.Future<Api.Reply> reply : replies) {
        Api.Reply r = reply.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(400, r.status(), r.raw());
        assertTrue(r.body().path("badRequest").path("message").asText().contains("takes too long"), r.raw());
      }
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0,
          "four attacks took " + Duration.ofNanos(System.nanoTime() - start));
    } finally {
      attackers.shutdownNow();
    }
    long listed = System.nanoTime();
    assertEquals(List.of("backtracked"), namesListedBy("ip=" + regex("10\\.62\\.")));
    assertTrue(Duration.ofNanos(System.nanoTime() - listed).compareTo(Duration.ofSeconds(5)) < 0);
    Api.Reply tooLong = ann.get("/compute/v2.1/servers?ip=" + regex("1".repeat(256)));
    assertEquals(400, tooLong.status(), tooLong.raw());
    // the name filter is a regular expression too, matched the same way
    Api.Reply byName = ann.get("/compute/v2.1/servers?name=" + regex("((((((((((([a-z]+)+)+)+)+)+)+)+)+)+)+)+x"));
    assertEquals(400, byName.status(), byName.raw());
    assertEquals(List.of("backtracked"), namesListedBy("name=" + regex("track")));
  }
}
