package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import nimbus.network.IpNet;
import org.junit.jupiter.api.Test;

/**
 * Neutron's subnet pools: their attributes, subnets taking CIDRs from them that never overlap,
 * Neutron's refusals, and projects kept apart (a shared pool is usable by all, writable by its own).
 */
class SubnetPoolRoutesTest extends ApiRouteTest {
  static final String POOLS = "/network/v2.0/subnetpools";

  JsonNode pool(String token, String body) {
    return json(api.run(post(POOLS, token, "{\"subnetpool\": {" + body + "}}")), 201).path("subnetpool");
  }

  String poolSubnet(String token, String network, String extra, int status) {
    var result = api.run(post(SubnetRoutesTest.SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + network
        + "\", \"ip_version\": 4" + extra + "}}"));
    if (status != 201) return neutronError(result, status)[0];
    return json(result, 201).path("subnet").path("cidr").asText();
  }

  @Test
  void aPoolIsCreatedListedShownUpdatedAndDeletedWithNeutronsAttributes() {
    JsonNode made = pool(member, "\"name\": \"pool-a\", \"prefixes\": [\"10.40.0.0/16\", \"10.40.1.0/24\"], "
        + "\"default_prefixlen\": 26");
    assertEquals("[\"10.40.0.0/16\"]", made.path("prefixes").toString(), "prefixes compacted");
    assertEquals(4, made.path("ip_version").asInt());
    assertEquals(26, made.path("default_prefixlen").asInt());
    assertEquals(8, made.path("min_prefixlen").asInt());
    assertEquals(32, made.path("max_prefixlen").asInt());
    assertFalse(made.path("is_default").asBoolean() || made.path("shared").asBoolean());
    assertTrue(made.path("address_scope_id").isNull() && made.path("default_quota").isNull());
    assertEquals(project, made.path("project_id").asText());
    assertEquals(project, made.path("tenant_id").asText());
    assertEquals(0, made.path("revision_number").asInt());
    assertTrue(made.has("created_at") && made.has("updated_at") && made.path("tags").isArray());
    String id = made.path("id").asText();
    assertEquals(made, json(api.run(get(POOLS + "/" + id, reader)), 200).path("subnetpool"));
    List<String> listed = json(api.run(get(POOLS + "?name=pool-a", member)), 200).path("subnetpools")
        .findValuesAsText("id");
    assertEquals(List.of(id), listed);

    JsonNode changed = json(api.run(put(POOLS + "/" + id, member, "{\"subnetpool\": {\"name\": \"pool-b\", "
        + "\"prefixes\": [\"10.40.0.0/16\", \"10.41.0.0/16\"], \"min_prefixlen\": 12}}")), 200).path("subnetpool");
    assertEquals("pool-b", changed.path("name").asText());
    assertEquals("[\"10.40.0.0/16\",\"10.41.0.0/16\"]", changed.path("prefixes").toString());
    assertEquals(1, changed.path("revision_number").asInt());
    String[] shrink = neutronError(api.run(put(POOLS + "/" + id, member, "{\"subnetpool\": {\"prefixes\": "
        + "[\"10.40.0.0/17\"]}}")), 400);
    assertEquals("IllegalSubnetPoolPrefixUpdate", shrink[0]);
    assertEquals("Cannot update read-only attribute ip_version", neutronError(api.run(put(POOLS + "/" + id, member,
        "{\"subnetpool\": {\"ip_version\": 6}}")), 400)[1]);
    assertEquals(204, api.run(delete(POOLS + "/" + id, member)).statusCode());
    assertEquals("SubnetPoolNotFound", neutronError(api.run(get(POOLS + "/" + id, member)), 404)[0]);
  }

  @Test
  void badPoolsGetNeutronsErrors() {
    assertEquals("Failed to parse request. Required attribute 'prefixes' not specified",
        neutronError(api.run(post(POOLS, member, "{\"subnetpool\": {\"name\": \"x\"}}")), 400)[1]);
    assertEquals("EmptySubnetPoolPrefixList", neutronError(api.run(post(POOLS, member,
        "{\"subnetpool\": {\"prefixes\": []}}")), 400)[0]);
    assertEquals("PrefixVersionMismatch", neutronError(api.run(post(POOLS, member,
        "{\"subnetpool\": {\"prefixes\": [\"10.0.0.0/8\", \"fd00::/48\"]}}")), 400)[0]);
    assertEquals("IllegalSubnetPoolPrefixBounds", neutronError(api.run(post(POOLS, member,
        "{\"subnetpool\": {\"prefixes\": [\"10.0.0.0/8\"], \"min_prefixlen\": 24, \"default_prefixlen\": 16}}")),
        400)[0]);
    assertEquals("HTTPBadRequest", neutronError(api.run(post(POOLS, member,
        "{\"subnetpool\": {\"prefixes\": [\"not-a-cidr\"]}}")), 400)[0]);
    assertEquals("HTTPBadRequest", neutronError(api.run(post(POOLS, member,
        "{\"subnetpool\": {\"prefixes\": [\"10.0.0.0/8\"], \"default_prefixlen\": \"big\"}}")), 400)[0]);
    assertEquals("SubnetPoolNotFound", neutronError(api.run(get(POOLS + "/not-a-uuid", member)), 404)[0]);
  }

  @Test
  void subnetsTakeDistinctCidrsFromAPoolEvenAllAtOnceAndGiveThemBack() throws Exception {
    String pool = pool(member, "\"name\": \"p\", \"prefixes\": [\"10.50.0.0/23\"], \"default_prefixlen\": 26")
        .path("id").asText();
    String net = new SubnetRoutesTest().network(member, false);
    String net2 = new SubnetRoutesTest().network(member, false);
    // 8 blocks of /26 in a /23: ten subnets asking at once (on two networks, over real HTTP) get 8 distinct ones
    var binding = Http.get(cloud.classic()).newServerAt("127.0.0.1", 0).bind(cloud.api(Policy.defaults()))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<CompletableFuture<String>> asked = new ArrayList<>();
    try {
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + SubnetRoutesTest.SUBNETS);
      for (int i = 0; i < 10; i++) {
        String on = i % 2 == 0 ? net : net2;
        HttpRequest request = HttpRequest.newBuilder(uri).header("X-Auth-Token", member)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"subnet\": {\"network_id\": \"" + on + "\", \"ip_version\": 4, \"subnetpool_id\": \"" + pool
                    + "\"}}")).build();
        asked.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
          JsonNode body = Json.parseObject(r.body());
          return r.statusCode() == 201 ? body.path("subnet").path("cidr").asText()
              : r.statusCode() + " " + body.path("NeutronError").path("type").asText();
        }));
      }
      CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    List<IpNet> given = new ArrayList<>();
    int refused = 0;
    for (var a : asked) {
      String answer = a.get();
      if (answer.equals("409 SubnetAllocationError")) {
        refused++;
      } else {
        given.add(IpNet.parse(answer));
      }
    }
    assertEquals(8, given.size(), given.toString());
    assertEquals(2, refused);
    for (IpNet n : given) {
      assertEquals(26, n.prefix());
      assertEquals(1, given.stream().filter(o -> o.overlaps(n)).count(), n + " overlaps another");
    }
    assertEquals("SubnetPoolInUse", neutronError(api.run(delete(POOLS + "/" + pool, member)), 409)[0]);
    // a subnet deleted gives its CIDR back: the next one gets it
    JsonNode first = json(api.run(get(SubnetRoutesTest.SUBNETS + "?cidr=10.50.0.0/26", member)), 200)
        .path("subnets").get(0);
    assertEquals(pool, first.path("subnetpool_id").asText());
    assertEquals("10.50.0.1", first.path("gateway_ip").asText());
    assertEquals(204, api.run(delete(SubnetRoutesTest.SUBNETS + "/" + first.path("id").asText(), member)).statusCode());
    assertEquals("10.50.0.0/26", poolSubnet(member, net, ", \"subnetpool_id\": \"" + pool + "\"", 201));
    // a network deleted gives back all its subnets' CIDRs
    assertEquals(204, api.run(delete(NetworkRoutesTest.NETWORKS + "/" + net, member)).statusCode());
    assertEquals(204, api.run(delete(NetworkRoutesTest.NETWORKS + "/" + net2, member)).statusCode());
    awaitDeletable(pool);
  }

  /** A deleted network gives back its CIDRs as steps after its delete answered. */
  private void awaitDeletable(String pool) throws InterruptedException {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(cloud.system).awaitAssert(java.time.Duration.ofSeconds(10), () -> {
      assertEquals(204, api.run(delete(POOLS + "/" + pool, member)).statusCode());
      return null;
    });
  }

  @Test
  void aSubnetAsksForALengthOrACidrOrTheDefaultPool() {
    String pool = pool(member, "\"prefixes\": [\"10.60.0.0/16\"], \"min_prefixlen\": 20, \"max_prefixlen\": 28, "
        + "\"default_prefixlen\": 24").path("id").asText();
    String net = new SubnetRoutesTest().network(member, false);
    String on = ", \"subnetpool_id\": \"" + pool + "\"";
    assertEquals("10.60.0.0/28", poolSubnet(member, net, on + ", \"prefixlen\": 28", 201));
    assertEquals("10.60.16.0/20", poolSubnet(member, net, on + ", \"prefixlen\": \"20\"", 201));
    assertEquals("10.60.1.0/24", poolSubnet(member, net, on + ", \"cidr\": \"10.60.1.0/24\"", 201));
    assertEquals("MinPrefixSubnetAllocationError", poolSubnet(member, net, on + ", \"prefixlen\": 16", 400));
    assertEquals("MaxPrefixSubnetAllocationError", poolSubnet(member, net, on + ", \"prefixlen\": 30", 400));
    assertEquals("SubnetAllocationError", poolSubnet(member, net, on + ", \"cidr\": \"10.61.0.0/24\"", 409));
    assertEquals("BadRequest", poolSubnet(member, net, on + ", \"cidr\": \"10.60.2.0/24\", \"prefixlen\": 24", 400));
    assertEquals("BadRequest", poolSubnet(member, net, on + ", \"use_default_subnetpool\": true", 400));
    assertEquals("SubnetPoolNotFound", poolSubnet(member, net, ", \"subnetpool_id\": \"" + java.util.UUID.randomUUID()
        + "\"", 404));
    // an admin's default pool serves use_default_subnetpool
    String fallback = pool(admin, "\"prefixes\": [\"10.70.0.0/16\"], \"default_prefixlen\": 25, \"is_default\": true, "
        + "\"shared\": true").path("id").asText();
    try {
      assertTrue(poolSubnet(member, net, ", \"use_default_subnetpool\": true", 201).startsWith("10.70."));
      assertEquals("InvalidInput", neutronError(api.run(post(POOLS, admin, "{\"subnetpool\": {\"prefixes\": "
          + "[\"10.80.0.0/16\"], \"is_default\": true}}")), 400)[0], "one default per IP version");
    } finally {
      api.run(put(POOLS + "/" + fallback, admin, "{\"subnetpool\": {\"is_default\": false}}"));
    }
  }

  @Test
  void projectsCannotSeeOrChangeEachOthersPoolsAndUseOnlySharedOnes() {
    String mine = pool(member, "\"prefixes\": [\"10.90.0.0/16\"]").path("id").asText();
    String theirNet = new SubnetRoutesTest().network(stranger, false);
    // another project's pool is as absent: not shown, listed, changed, deleted or allocated from
    assertEquals("SubnetPoolNotFound", neutronError(api.run(get(POOLS + "/" + mine, stranger)), 404)[0]);
    assertFalse(json(api.run(get(POOLS, stranger)), 200).path("subnetpools").findValuesAsText("id").contains(mine));
    assertEquals("SubnetPoolNotFound", neutronError(api.run(put(POOLS + "/" + mine, stranger,
        "{\"subnetpool\": {\"name\": \"mine now\"}}")), 404)[0]);
    assertEquals("SubnetPoolNotFound", neutronError(api.run(delete(POOLS + "/" + mine, stranger)), 404)[0]);
    assertEquals("SubnetPoolNotFound", poolSubnet(stranger, theirNet, ", \"subnetpool_id\": \"" + mine + "\", "
        + "\"prefixlen\": 24", 404));
    // only admins share a pool; a shared one is usable by all, writable by its project only
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(POOLS, member, "{\"subnetpool\": {\"prefixes\": "
        + "[\"10.91.0.0/16\"], \"shared\": true}}")), 403)[0]);
    String shared = pool(admin, "\"prefixes\": [\"10.92.0.0/16\"], \"shared\": true, \"default_prefixlen\": 24")
        .path("id").asText();
    assertEquals(200, api.run(get(POOLS + "/" + shared, stranger)).statusCode());
    assertEquals("10.92.0.0/24", poolSubnet(stranger, theirNet, ", \"subnetpool_id\": \"" + shared + "\"", 201));
    assertEquals("PolicyNotAuthorized", neutronError(api.run(put(POOLS + "/" + shared, stranger,
        "{\"subnetpool\": {\"prefixes\": [\"10.0.0.0/8\"]}}")), 403)[0]);
    assertEquals("PolicyNotAuthorized", neutronError(api.run(delete(POOLS + "/" + shared, stranger)), 403)[0]);
  }
}
