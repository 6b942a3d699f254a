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
  private static Api bob;
  private static Api admin;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("req-ann", "pw-ann", "req-one", "member");
    a.createUserInProject("req-bob", "pw-bob", "req-two", "member");
    ann = a.as("req-ann", "pw-ann", "req-one");
    bob = a.as("req-bob", "pw-bob", "req-two");
    admin = a;
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

  private static Api.Reply at(Api who, String version, String method, String path, String body) {
    return who.atVersion(version, method, "/compute/v2.1/servers" + path, body);
  }

  private static JsonNode shown(Api who, String version, String id) {
    Api.Reply r = at(who, version, "GET", "/" + id, null);
    assertEquals(200, r.status(), r.raw());
    return r.body().path("server");
  }

  private static List<String> tagged(String query) {
    Api.Reply r = at(ann, "2.26", "GET", "?name=tagged&" + query, null);
    assertEquals(200, r.status(), r.raw());
    return r.body().path("servers").findValuesAsText("name");
  }

  /**
   * Each microversion's shape, over HTTP: the version before a change keeps the old one. 2.3's
   * extended attributes and 2.16's host_status for admins, 2.9's locked in an update's answer,
   * 2.17's crash dump (recorded, failing: no NMI on this driver), 2.19's description, 2.21's
   * history of a deleted server.
   */
  @Test
  void eachMicroversionShowsWhatNovaAddsAtIt() {
    String net = network("versioned", "10.62.0.0/24");
    Api.Reply early = at(ann, "2.18", "POST", "", "{\"server\": {\"name\": \"v\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"description\": \"d\"}}");
    assertEquals(400, early.status(), "no description before 2.19: " + early.raw());
    Api.Reply made = at(ann, "2.19", "POST", "", "{\"server\": {\"name\": \"Web_Server.1\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"description\": \"first\", \"networks\": [{\"uuid\": \""
        + net + "\"}]}}");
    assertEquals(202, made.status(), made.raw());
    String id = made.body().path("server").path("id").asText();
    ann.awaitStatus(id, "ACTIVE", WAIT);

    assertEquals("first", shown(ann, "2.19", id).path("description").asText());
    assertTrue(!shown(ann, "2.18", id).has("description"));
    JsonNode adminView = shown(admin, "2.3", id);
    assertEquals("web-server-1", adminView.path("OS-EXT-SRV-ATTR:hostname").asText(), adminView.toString());
    assertEquals(0, adminView.path("OS-EXT-SRV-ATTR:launch_index").asInt());
    assertEquals("r-" + id.substring(0, 8), adminView.path("OS-EXT-SRV-ATTR:reservation_id").asText());
    assertEquals("/dev/vda", adminView.path("OS-EXT-SRV-ATTR:root_device_name").asText());
    assertTrue(adminView.has("OS-EXT-SRV-ATTR:user_data") && adminView.has("OS-EXT-SRV-ATTR:kernel_id"));
    assertTrue(!shown(admin, "2.2", id).has("OS-EXT-SRV-ATTR:hostname"));
    assertTrue(!shown(ann, "2.3", id).has("OS-EXT-SRV-ATTR:hostname"), "admins only");
    assertEquals("UP", shown(admin, "2.16", id).path("host_status").asText());
    assertTrue(!shown(admin, "2.15", id).has("host_status"));
    assertTrue(!shown(ann, "2.16", id).has("host_status"), "admins only");

    Api.Reply updated = at(ann, "2.19", "PUT", "/" + id, "{\"server\": {\"description\": null}}");
    assertEquals(200, updated.status(), updated.raw());
    assertTrue(updated.body().path("server").path("description").isNull(), updated.raw());
    assertEquals(false, updated.body().path("server").path("locked").asBoolean(true), "2.9's locked: " + updated.raw());
    Api.Reply old = at(ann, "2.8", "PUT", "/" + id, "{\"server\": {\"name\": \"Web_Server.1\"}}");
    assertTrue(!old.body().path("server").has("locked"), old.raw());
    assertTrue(shown(ann, "2.26", id).path("description").isNull());
    Api.Reply rebuilt = at(ann, "2.19", "POST", "/" + id + "/action", "{\"rebuild\": {\"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"description\": \"rebuilt\"}}");
    assertEquals(202, rebuilt.status(), rebuilt.raw());
    assertEquals("rebuilt", rebuilt.body().path("server").path("description").asText(), rebuilt.raw());
    ann.awaitStatus(id, "ACTIVE", WAIT);

    assertEquals(400, at(ann, "2.16", "POST", "/" + id + "/action", "{\"trigger_crash_dump\": null}").status());
    Api.Reply dump = at(ann, "2.17", "POST", "/" + id + "/action", "{\"trigger_crash_dump\": null}");
    assertEquals(202, dump.status(), dump.raw());
    JsonNode dumped = ann.get("/compute/v2.1/servers/" + id + "/os-instance-actions/" + requestIdOf(dump))
        .body().path("instanceAction");
    assertEquals("trigger_crash_dump", dumped.path("action").asText(), dumped.toString());
    assertEquals("Error", dumped.path("message").asText(), "this driver has no NMI: " + dumped);
    assertEquals(404, at(bob, "2.17", "POST", "/" + id + "/action", "{\"trigger_crash_dump\": null}").status());

    Api.Reply deleted = ann.delete("/compute/v2.1/servers/" + id);
    assertEquals(204, deleted.status(), deleted.raw());
    Eventually.until(WAIT, () -> at(ann, "2.20", "GET", "/" + id + "/os-instance-actions", null).status() == 404);
    Api.Reply history = at(ann, "2.21", "GET", "/" + id + "/os-instance-actions", null);
    assertEquals(200, history.status(), history.raw());
    assertEquals("delete", history.body().path("instanceActions").path(0).path("action").asText(), history.raw());
    assertEquals(404, at(bob, "2.21", "GET", "/" + id + "/os-instance-actions", null).status(),
        "another project's deleted server stays unknown");
  }

  /**
   * 2.26's server tags: the routes, Nova's checks (50 at most, no comma or slash), the four list
   * filters, and another project kept out (the attack: Bob tags Ann's server).
   */
  @Test
  void serversAreTaggedAndListedByTheirTagsFromTwoTwentySix() {
    String id = activeServer("tagged", network("tags", "10.63.0.0/24")).path("id").asText();
    assertEquals(404, at(ann, "2.25", "GET", "/" + id + "/tags", null).status(), "no tags before 2.26");
    assertTrue(!shown(ann, "2.25", id).has("tags"));
    assertEquals("[]", shown(ann, "2.26", id).path("tags").toString());

    Api.Reply all = at(ann, "2.26", "PUT", "/" + id + "/tags", "{\"tags\": [\"a\", \"b\"]}");
    assertEquals(200, all.status(), all.raw());
    assertEquals("[\"a\",\"b\"]", all.body().path("tags").toString());
    Api.Reply added = at(ann, "2.26", "PUT", "/" + id + "/tags/c", null);
    assertEquals(201, added.status(), added.raw());
    assertTrue(added.headers().firstValue("Location").orElseThrow().endsWith("/servers/" + id + "/tags/c"));
    assertEquals(204, at(ann, "2.26", "PUT", "/" + id + "/tags/c", null).status(), "had it already");
    assertEquals(204, at(ann, "2.26", "GET", "/" + id + "/tags/c", null).status());
    assertEquals(404, at(ann, "2.26", "GET", "/" + id + "/tags/zz", null).status());
    assertEquals(400, at(ann, "2.26", "PUT", "/" + id + "/tags/x%2Cy", null).status(), "no comma");
    assertEquals(400, at(ann, "2.26", "PUT", "/" + id + "/tags/" + "t".repeat(61), null).status(), "60 at most");
    assertEquals("[\"a\",\"b\",\"c\"]", shown(ann, "2.26", id).path("tags").toString());

    assertEquals(List.of("tagged"), tagged("tags=a,c"));
    assertEquals(List.of(), tagged("tags=a,zz"));
    assertEquals(List.of("tagged"), tagged("tags-any=zz,b"));
    assertEquals(List.of(), tagged("not-tags=a,b"));
    assertEquals(List.of("tagged"), tagged("not-tags=a,zz"));
    assertEquals(List.of(), tagged("not-tags-any=zz,c"));
    assertEquals(List.of("tagged"), tagged("not-tags-any=zz"));
    Api.Reply before = at(ann, "2.25", "GET", "?name=tagged&tags=zz", null);
    assertEquals(List.of("tagged"), before.body().path("servers").findValuesAsText("name"), "ignored before 2.26");

    // the attack: another project's member reads and changes Ann's tags
    assertEquals(404, at(bob, "2.26", "GET", "/" + id + "/tags", null).status());
    assertEquals(404, at(bob, "2.26", "PUT", "/" + id + "/tags", "{\"tags\": [\"mine\"]}").status());
    assertEquals(404, at(bob, "2.26", "PUT", "/" + id + "/tags/mine", null).status());
    assertEquals(404, at(bob, "2.26", "DELETE", "/" + id + "/tags", null).status());
    assertEquals(List.of(), bob.atVersion("2.26", "GET", "/compute/v2.1/servers?all_tenants=1&tags=a", null)
        .body().path("servers").findValuesAsText("id"));

    StringBuilder fifty = new StringBuilder();
    for (int i = 0; i < 50; i++) fifty.append(i == 0 ? "" : ", ").append("\"t").append(i).append('"');
    assertEquals(400, at(ann, "2.26", "PUT", "/" + id + "/tags", "{\"tags\": [" + fifty + ", \"t50\"]}").status());
    assertEquals(200, at(ann, "2.26", "PUT", "/" + id + "/tags", "{\"tags\": [" + fifty + "]}").status());
    Api.Reply tooMany = at(ann, "2.26", "PUT", "/" + id + "/tags/t50", null);
    assertEquals(400, tooMany.status(), tooMany.raw());
    assertEquals(204, at(ann, "2.26", "DELETE", "/" + id + "/tags/t1", null).status());
    assertEquals(404, at(ann, "2.26", "DELETE", "/" + id + "/tags/t1", null).status());
    assertEquals(204, at(ann, "2.26", "DELETE", "/" + id + "/tags", null).status());
    assertEquals("[]", at(ann, "2.26", "GET", "/" + id + "/tags", null).body().path("tags").toString());
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
