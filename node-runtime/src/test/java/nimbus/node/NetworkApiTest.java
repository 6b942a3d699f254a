package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Neutron's networks, subnets and ports through the real HTTP API of an all-in-one node: their
 * whole life, projects kept apart, the port quota, and addresses handed out under a crowd of
 * concurrent creates (never one address twice).
 */
class NetworkApiTest {
  private static final String V2 = "/network/v2.0";
  private static Api admin;
  private static Api alice;
  private static Api bob;
  private static String aliceProject;
  private static Node node;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    admin = a;
    a.createUserInProject("net-alice", "pw-alice", "net-one", "member");
    a.createUserInProject("net-bob", "pw-bob", "net-two", "member");
    alice = a.as("net-alice", "pw-alice", "net-one");
    bob = a.as("net-bob", "pw-bob", "net-two");
    aliceProject = alice.get(V2 + "/quotas/project").body().path("project").path("project_id").asText();
  });

  private static String create(Api api, String collection, String resource, String body) {
    Api.Reply r = api.post(V2 + "/" + collection, body);
    assertEquals(201, r.status(), r.raw());
    return r.body().path(resource).path("id").asText();
  }

  private static String network(Api api, String name) {
    return create(api, "networks", "network", "{\"network\": {\"name\": \"" + name + "\"}}");
  }

  private static String subnet(Api api, String network, String cidr, String extra) {
    return create(api, "subnets", "subnet", "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4, "
        + "\"cidr\": \"" + cidr + "\"" + extra + "}}");
  }

  private static Api.Reply port(Api api, String network) {
    return api.post(V2 + "/ports", "{\"port\": {\"network_id\": \"" + network + "\"}}");
  }

  @Test
  void networksSubnetsAndPortsLiveAndDieAndOtherProjectsSeeNone() {
    String net = network(alice, "life");
    String sub = subnet(alice, net, "10.10.0.0/24", ", \"name\": \"life-sub\"");
    Api.Reply made = port(alice, net);
    assertEquals(201, made.status(), made.raw());
    String port = made.body().path("port").path("id").asText();
    // .1 is the gateway, .2 the DHCP server's (as Neutron's DHCP port)
    assertEquals("10.10.0.3", made.body().path("port").path("fixed_ips").get(0).path("ip_address").asText());

    assertEquals(List.of(net), alice.get(V2 + "/networks?name=life").body().path("networks").findValuesAsText("id"));
    assertEquals(List.of(sub), alice.get(V2 + "/subnets?network_id=" + net).body().path("subnets").findValuesAsText("id"));
    assertEquals(List.of(port), alice.get(V2 + "/ports?network_id=" + net).body().path("ports").findValuesAsText("id"));
    assertEquals("life-2", alice.send("PUT", V2 + "/networks/" + net, "{\"network\": {\"name\": \"life-2\"}}")
        .body().path("network").path("name").asText());
    assertEquals("life-sub-2", alice.send("PUT", V2 + "/subnets/" + sub, "{\"subnet\": {\"name\": \"life-sub-2\"}}")
        .body().path("subnet").path("name").asText());
    assertEquals("p", alice.send("PUT", V2 + "/ports/" + port, "{\"port\": {\"name\": \"p\"}}")
        .body().path("port").path("name").asText());

    // another project: nothing to see, nothing to touch, not even that they exist
    Map<String, String> mine = Map.of("network", "/networks/" + net, "subnet", "/subnets/" + sub, "port", "/ports/" + port);
    for (var e : mine.entrySet()) {
      String path = V2 + e.getValue();
      assertEquals(404, bob.get(path).status(), path);
      assertEquals(404, bob.send("PUT", path, "{\"" + e.getKey() + "\": {\"name\": \"x\"}}").status(), path);
      assertEquals(404, bob.delete(path).status(), path);
    }
    assertFalse(bob.get(V2 + "/networks").body().path("networks").findValuesAsText("id").contains(net));
    assertFalse(bob.get(V2 + "/subnets").body().path("subnets").findValuesAsText("id").contains(sub));
    assertFalse(bob.get(V2 + "/ports").body().path("ports").findValuesAsText("id").contains(port));
    assertEquals(404, bob.post(V2 + "/ports", "{\"port\": {\"network_id\": \"" + net + "\"}}").status());

    Api.Reply inUse = alice.delete(V2 + "/networks/" + net);
    assertEquals(409, inUse.status(), inUse.raw());
    assertEquals("NetworkInUse", inUse.body().path("NeutronError").path("type").asText());
    assertEquals("Unable to complete operation on network " + net + ". There are one or more ports still in use on "
        + "the network, id for these ports is: " + port + ".", inUse.body().path("NeutronError").path("message").asText());
    assertEquals(204, alice.delete(V2 + "/ports/" + port).status());
    assertEquals(204, alice.delete(V2 + "/subnets/" + sub).status());
    assertEquals(204, alice.delete(V2 + "/networks/" + net).status());
    assertEquals(404, alice.get(V2 + "/networks/" + net).status());
    assertFalse(alice.get(V2 + "/networks").body().path("networks").findValuesAsText("id").contains(net));
  }

  private static Api.Reply server(Api api, String name, String networks) {
    return api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\"" + networks + "}}");
  }

  /** A server's config drive describes its port on its network as Nova's network_data.json does. */
  @Test
  void aConfigDriveDescribesTheServersPortsAndSubnets() throws Exception {
    admin.createUserInProject("net-dave", "pw-dave", "net-four", "member");
    Api dave = admin.as("net-dave", "pw-dave", "net-four");
    String net = network(dave, "static");
    subnet(dave, net, "10.50.0.0/24", ", \"enable_dhcp\": false, \"dns_nameservers\": [\"10.50.0.53\"], "
        + "\"host_routes\": [{\"destination\": \"192.168.0.0/16\", \"nexthop\": \"10.50.0.254\"}]");
    Api.Reply made = server(dave, "described", ", \"config_drive\": true");
    assertEquals(202, made.status(), made.raw());
    String id = made.body().path("server").path("id").asText();
    dave.awaitStatus(id, "ACTIVE", Duration.ofSeconds(30));
    JsonNode port = dave.get(V2 + "/ports?device_id=" + id).body().path("ports").get(0);

    Path iso = node.settings().host().instancesDir().resolve(id).resolve("disk.config");
    Process read = new ProcessBuilder("isoinfo", "-R", "-i", iso.toString(), "-x", "/openstack/latest/network_data.json")
        .redirectErrorStream(true).start();
    JsonNode data = Api.JSON.readTree(read.getInputStream().readAllBytes());
    assertEquals(0, read.waitFor());
    JsonNode link = data.path("links").get(0);
    assertEquals(port.path("mac_address").asText(), link.path("ethernet_mac_address").asText(), data.toString());
    assertEquals(port.path("id").asText(), link.path("vif_id").asText());
    assertEquals(1450, link.path("mtu").asInt(), "a VXLAN network's MTU");
    JsonNode v4 = data.path("networks").get(0);
    assertEquals("ipv4", v4.path("type").asText(), "no DHCP on the subnet: the address itself");
    assertEquals(net, v4.path("network_id").asText());
    assertEquals(port.path("fixed_ips").get(0).path("ip_address").asText(), v4.path("ip_address").asText());
    assertEquals("255.255.255.0", v4.path("netmask").asText());
    assertEquals("10.50.0.1", v4.path("routes").get(0).path("gateway").asText());
    assertEquals("192.168.0.0", v4.path("routes").get(1).path("network").asText());
    assertEquals("10.50.0.53", data.path("services").get(0).path("address").asText());
    assertEquals(204, dave.delete("/compute/v2.1/servers/" + id).status());
  }

  @Test
  void serversGetTheirProjectsNetworkAsNovaGivesItAndTheirPortsGoWithThem() {
    admin.createUserInProject("net-carol", "pw-carol", "net-three", "member");
    Api carol = admin.as("net-carol", "pw-carol", "net-three");
    String net = network(carol, "only");
    subnet(carol, net, "10.40.0.0/24", "");
    // no networks named, one network: that one (Nova's rule)
    Api.Reply made = server(carol, "picked", "");
    assertEquals(202, made.status(), made.raw());
    String id = made.body().path("server").path("id").asText();
    JsonNode active = carol.awaitStatus(id, "ACTIVE", Duration.ofSeconds(30));
    String address = active.path("addresses").path("only").path(0).path("addr").asText();
    assertTrue(address.startsWith("10.40.0."), active.path("addresses").toString());
    assertEquals(address, carol.get("/compute/v2.1/servers/" + id + "/ips/only").body().path("only").path(0).path("addr")
        .asText());
    JsonNode ports = carol.get(V2 + "/ports?device_id=" + id).body().path("ports");
    assertEquals(1, ports.size(), ports.toString());
    assertEquals("compute:nova", ports.get(0).path("device_owner").asText());

    // Nova's refusals: a malformed id, a network the project cannot see, two networks and none named
    Api.Reply malformed = server(carol, "bad", ", \"networks\": [{\"uuid\": \"a-b-c-d-e-f-g-h-i-j\"}]");
    assertEquals(400, malformed.status(), malformed.raw());
    String bobs = network(bob, "not-carols");
    subnet(bob, bobs, "10.41.0.0/24", "");
    Api.Reply unseen = server(carol, "unseen", ", \"networks\": [{\"uuid\": \"" + bobs + "\"}]");
    assertEquals(400, unseen.status(), unseen.raw());
    assertEquals("Network " + bobs + " could not be found.", unseen.body().path("badRequest").path("message").asText());
    String second = network(carol, "second");
    subnet(carol, second, "10.42.0.0/24", "");
    Api.Reply ambiguous = server(carol, "which", "");
    assertEquals(409, ambiguous.status(), ambiguous.raw());
    assertEquals("Multiple possible networks found, use a Network ID to be more specific.",
        ambiguous.body().path("conflictingRequest").path("message").asText());

    // the port it made goes with it, and the network can go then
    assertEquals(204, carol.delete("/compute/v2.1/servers/" + id).status());
    Eventually.await(Duration.ofSeconds(30), () -> carol.get(V2 + "/ports?device_id=" + id).body().path("ports").isEmpty()
        ? true : null);
    assertEquals(204, carol.delete(V2 + "/networks/" + net).status());
  }

  @Test
  void thePortQuotaHoldsAndAPortDeletedGivesItsPlaceBack() {
    Api.Reply set = admin.send("PUT", V2 + "/quotas/" + aliceProject, "{\"quota\": {\"port\": 2}}");
    assertEquals(200, set.status(), set.raw());
    try {
      String net = network(alice, "quota");
      subnet(alice, net, "10.20.0.0/24", "");
      String first = port(alice, net).body().path("port").path("id").asText();
      assertEquals(201, port(alice, net).status());
      Api.Reply third = port(alice, net);
      assertEquals(409, third.status(), third.raw());
      assertEquals("OverQuota", third.body().path("NeutronError").path("type").asText());
      assertEquals("Quota exceeded for resources: ['port'].", third.body().path("NeutronError").path("message").asText());
      assertEquals(204, alice.delete(V2 + "/ports/" + first).status());
      Api.Reply next = port(alice, net);
      assertEquals(201, next.status(), next.raw());
      JsonNode usage = alice.get(V2 + "/quotas/" + aliceProject + "/details").body().path("quota").path("port");
      assertEquals(2, usage.path("used").asInt(), usage.toString());
    } finally {
      assertEquals(204, admin.delete(V2 + "/quotas/" + aliceProject).status());
    }
  }

  @Test
  void twoHundredConcurrentPortsGetDistinctAddressesOrACleanRefusal() throws Exception {
    String net = network(bob, "crowd");
    // 150 addresses in the pool for 200 ports: both outcomes happen (no DHCP server to take one of them)
    subnet(bob, net, "10.30.0.0/24", ", \"enable_dhcp\": false, "
        + "\"allocation_pools\": [{\"start\": \"10.30.0.10\", \"end\": \"10.30.0.159\"}]");
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<Api.Reply>> replies = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) replies.add(pool.submit(() -> port(bob, net)));
      List<String> addresses = new ArrayList<>();
      int refused = 0;
      for (Future<Api.Reply> f : replies) {
        Api.Reply r = f.get();
        if (r.status() == 201) {
          JsonNode ips = r.body().path("port").path("fixed_ips");
          assertEquals(1, ips.size(), r.raw());
          addresses.add(ips.get(0).path("ip_address").asText());
        } else {
          assertEquals(409, r.status(), r.raw());
          assertEquals("IpAddressGenerationFailure", r.body().path("NeutronError").path("type").asText(), r.raw());
          assertEquals("No more IP addresses available on network " + net + ".",
              r.body().path("NeutronError").path("message").asText());
          refused++;
        }
      }
      assertEquals(150, addresses.size());
      assertEquals(50, refused);
      Set<String> distinct = new HashSet<>(addresses);
      assertEquals(150, distinct.size(), "an address went to two ports");
      for (int host = 10; host <= 159; host++) assertTrue(distinct.contains("10.30.0." + host), "10.30.0." + host);
      // the read side agrees: 150 ports, each with its own address
      JsonNode listed = bob.get(V2 + "/ports?network_id=" + net + "&fields=fixed_ips").body().path("ports");
      assertEquals(150, listed.size());
      assertEquals(distinct, new HashSet<>(listed.findValuesAsText("ip_address")));
    } finally {
      pool.shutdownNow();
    }
  }
}
