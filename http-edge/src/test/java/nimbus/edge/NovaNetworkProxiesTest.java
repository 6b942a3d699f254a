package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import nimbus.network.SecurityGroupEntity;
import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/**
 * Nova's deprecated proxies to Neutron over the API's routes: {@code os-security-groups},
 * {@code os-security-group-rules}, {@code os-floating-ips}, {@code os-floating-ip-pools} and the
 * floating IP server actions, in Nova's formats and codes, on the very groups and floating IPs
 * Neutron's API shows, and each attack by another project answered as absent.
 */
class NovaNetworkProxiesTest extends ApiRouteTest {
  static final String GROUPS = "/compute/v2.1/os-security-groups";
  static final String RULES = "/compute/v2.1/os-security-group-rules";
  static final String FIPS = "/compute/v2.1/os-floating-ips";

  private JsonNode group(String token, String name) {
    return json(api.run(post(GROUPS, token, "{\"security_group\": {\"name\": \"" + name + "\", \"description\": "
        + "\"d\"}}")), 200).path("security_group");
  }

  private static String tcp(String parent, int from, int to, String cidr) {
    return "{\"security_group_rule\": {\"parent_group_id\": \"" + parent + "\", \"ip_protocol\": \"tcp\", "
        + "\"from_port\": " + from + ", \"to_port\": " + to + ", \"cidr\": \"" + cidr + "\"}}";
  }

  private static String rule(String parent, String protocol, Object from, Object to) {
    return "{\"security_group_rule\": {\"parent_group_id\": \"" + parent + "\", \"ip_protocol\": \"" + protocol
        + "\", \"from_port\": " + from + ", \"to_port\": " + to + "}}";
  }

  @Test
  void aGroupMadeThroughNovaIsNeutronsGroupWithNovasViewsChecksAndCodes() {
    JsonNode made = group(member, "web");
    String id = made.path("id").asText();
    assertEquals("web", made.path("name").asText());
    assertEquals("d", made.path("description").asText());
    assertEquals(project, made.path("tenant_id").asText());
    assertTrue(made.path("rules").isArray(), made.toString());
    JsonNode neutron = json(api.run(get(SecurityGroupRoutesTest.GROUPS + "/" + id, member)), 200).path("security_group");
    assertEquals("web", neutron.path("name").asText(), "Neutron's API shows the group Nova made");

    JsonNode listed = json(api.run(get(GROUPS, reader)), 200).path("security_groups");
    List<String> names = new java.util.ArrayList<>();
    listed.forEach(g -> names.add(g.path("name").asText()));
    assertEquals(List.of("default", "web"), names, "the project's, by project and name");
    assertEquals(SecurityGroupEntity.defaultGroupId(project), listed.get(0).path("id").asText());
    assertEquals(1, json(api.run(get(GROUPS + "?limit=1&offset=1", reader)), 200).path("security_groups").size());

    JsonNode renamed = json(api.run(put(GROUPS + "/" + id, member, "{\"security_group\": {\"name\": \"www\", "
        + "\"description\": \"e\"}}")), 200).path("security_group");
    assertEquals("www", renamed.path("name").asText());
    assertEquals("www", json(api.run(get(SecurityGroupRoutesTest.GROUPS + "/" + id, member)), 200)
        .path("security_group").path("name").asText());
    assertEquals("www", json(api.run(get(GROUPS + "/" + id, reader)), 200).path("security_group").path("name").asText());

    assertEquals("name is not a string or unicode", novaError(api.run(post(GROUPS, member,
        "{\"security_group\": {\"description\": \"d\"}}")), 400, "badRequest"));
    assertEquals("Missing parameter security_group", novaError(api.run(post(GROUPS, member, "{\"x\": {}}")), 400,
        "badRequest"));
    assertEquals("The request body can't be empty", novaError(api.run(post(GROUPS, member, "{}")), 400, "badRequest"));
    assertEquals("description has 256 characters, more than 255.", novaError(api.run(post(GROUPS, member,
        "{\"security_group\": {\"name\": \"n\", \"description\": \"" + "x".repeat(256) + "\"}}")), 400, "badRequest"));
    assertEquals("Security group id should be uuid", novaError(api.run(get(GROUPS + "/nope", member)), 400,
        "badRequest"));
    assertEquals(403, api.run(post(GROUPS, reader, "{\"security_group\": {\"name\": \"r\", \"description\": \"\"}}"))
        .statusCode(), "a reader may not");
    assertEquals(400, api.run(delete(GROUPS + "/" + SecurityGroupEntity.defaultGroupId(project), member)).statusCode(),
        "Neutron's 409 for the default group is Nova's 400");

    var deleted = api.run(delete(GROUPS + "/" + id, member));
    assertEquals(202, deleted.statusCode(), deleted.entityString());
    assertEquals("Security group " + id + " does not exist", novaError(api.run(get(GROUPS + "/" + id, member)), 404,
        "itemNotFound"));
    assertEquals(404, api.run(get(SecurityGroupRoutesTest.GROUPS + "/" + id, member)).statusCode());
  }

  @Test
  void rulesAreNeutronsIngressRulesCheckedAsNovaChecksThem() {
    String web = group(member, "web").path("id").asText();
    String app = group(member, "app").path("id").asText();
    JsonNode ssh = json(api.run(post(RULES, member, tcp(web, 22, 22, "10.0.0.0/8"))), 200).path("security_group_rule");
    assertEquals(web, ssh.path("parent_group_id").asText());
    assertEquals("tcp", ssh.path("ip_protocol").asText());
    assertEquals(22, ssh.path("from_port").asInt());
    assertEquals("{\"cidr\":\"10.0.0.0/8\"}", ssh.path("ip_range").toString());
    JsonNode neutron = json(api.run(get(SecurityGroupRoutesTest.RULES + "/" + ssh.path("id").asText(), member)), 200)
        .path("security_group_rule");
    assertEquals("ingress", neutron.path("direction").asText());
    assertEquals("IPv4", neutron.path("ethertype").asText());
    assertEquals(22, neutron.path("port_range_max").asInt());

    assertEquals("This rule already exists in group " + web, novaError(api.run(post(RULES, member,
        tcp(web, 22, 22, "10.0.0.0/8"))), 400, "badRequest"));
    JsonNode ping = json(api.run(post(RULES, member, "{\"security_group_rule\": {\"parent_group_id\": \"" + web
        + "\", \"ip_protocol\": \"icmp\", \"from_port\": -1, \"to_port\": -1, \"cidr\": \"::/0\"}}")), 200)
        .path("security_group_rule");
    assertEquals(-1, ping.path("from_port").asInt());
    assertEquals("IPv6", json(api.run(get(SecurityGroupRoutesTest.RULES + "/" + ping.path("id").asText(), member)), 200)
        .path("security_group_rule").path("ethertype").asText());
    JsonNode fromApp = json(api.run(post(RULES, member, "{\"security_group_rule\": {\"parent_group_id\": \"" + web
        + "\", \"ip_protocol\": \"udp\", \"group_id\": \"" + app + "\"}}")), 200).path("security_group_rule");
    assertEquals("{\"name\":\"app\",\"tenant_id\":\"" + project + "\"}", fromApp.path("group").toString());
    assertEquals(65535, fromApp.path("to_port").asInt(), "a group's rule opens the whole range");
    assertEquals(3, json(api.run(get(GROUPS + "/" + web, reader)), 200).path("security_group").path("rules").size());
    // a group with rules from groups (the default group's) takes more
    String defaultGroup = SecurityGroupEntity.defaultGroupId(project);
    assertEquals(200, api.run(post(RULES, member, tcp(defaultGroup, 22, 22, "10.0.0.0/8"))).statusCode());
    assertEquals(200, api.run(post(RULES, member, tcp(web, 80, 80, "10.0.0.0/8"))).statusCode());

    assertEquals("Invalid port range 256:-1. For ICMP, the type:code must be valid", novaError(api.run(post(RULES,
        member, rule(web, "icmp", 256, -1))), 400, "badRequest"));
    assertEquals("Invalid port range 0:22. Valid TCP ports should be between 1-65535", novaError(api.run(post(RULES,
        member, rule(web, "tcp", 0, 22))), 400, "badRequest"));
    assertEquals("Invalid port range 23:22. Former value cannot be greater than the later", novaError(api.run(
        post(RULES, member, rule(web, "tcp", 23, 22))), 400, "badRequest"));
    assertEquals("Invalid IP protocol gre.", novaError(api.run(post(RULES, member, rule(web, "gre", 1, 2))), 400,
        "badRequest"));
    assertEquals("Invalid input received: To and From ports must be integers", novaError(api.run(post(RULES, member,
        rule(web, "tcp", "\"a\"", 2))), 400, "badRequest"));
    assertEquals("Not enough parameters to build a valid rule.", novaError(api.run(post(RULES, member,
        "{\"security_group_rule\": {\"parent_group_id\": \"" + web + "\", \"ip_protocol\": \"tcp\"}}")), 400,
        "badRequest"));
    assertEquals("1.2.3.4/99 is not a valid IP network.", novaError(api.run(post(RULES, member,
        tcp(web, 1, 2, "1.2.3.4/99"))), 400, "badRequest"));
    assertEquals("Security group id should be uuid", novaError(api.run(post(RULES, member, tcp("x", 1, 2, "::/0"))),
        400, "badRequest"));
    assertEquals(404, api.run(post(RULES, member, tcp(java.util.UUID.randomUUID().toString(), 1, 2, "::/0")))
        .statusCode());

    assertEquals(202, api.run(delete(RULES + "/" + ssh.path("id").asText(), member)).statusCode());
    assertEquals(404, api.run(get(SecurityGroupRoutesTest.RULES + "/" + ssh.path("id").asText(), member)).statusCode());
    assertEquals(404, api.run(delete(RULES + "/" + ssh.path("id").asText(), member)).statusCode());
  }

  @Test
  void anotherProjectsGroupsAndRulesAreAsAbsent() {
    String mine = group(member, "mine").path("id").asText();
    String rule = json(api.run(post(RULES, member, tcp(mine, 80, 80, "0.0.0.0/0"))), 200)
        .path("security_group_rule").path("id").asText();
    String theirs = group(stranger, "theirs").path("id").asText();
    assertEquals(404, api.run(get(GROUPS + "/" + mine, stranger)).statusCode());
    assertEquals(404, api.run(put(GROUPS + "/" + mine, stranger, "{\"security_group\": {\"name\": \"x\", "
        + "\"description\": \"\"}}")).statusCode());
    assertEquals(404, api.run(delete(GROUPS + "/" + mine, stranger)).statusCode());
    assertFalse(json(api.run(get(GROUPS, stranger)), 200).path("security_groups").findValuesAsText("id").contains(mine));
    assertFalse(json(api.run(get(GROUPS + "?all_tenants=1", stranger)), 200).path("security_groups")
        .findValuesAsText("id").contains(mine), "all_tenants is for admins");
    assertTrue(json(api.run(get(GROUPS + "?all_tenants=1", admin)), 200).path("security_groups")
        .findValuesAsText("id").contains(mine));
    assertEquals(404, api.run(post(RULES, stranger, tcp(mine, 1, 2, "0.0.0.0/0"))).statusCode(),
        "a rule in another project's group");
    assertEquals(404, api.run(post(RULES, stranger, "{\"security_group_rule\": {\"parent_group_id\": \"" + theirs
        + "\", \"ip_protocol\": \"tcp\", \"group_id\": \"" + mine + "\"}}")).statusCode(),
        "a rule from another project's group");
    assertEquals(404, api.run(delete(RULES + "/" + rule, stranger)).statusCode());
    JsonNode kept = json(api.run(get(GROUPS + "/" + mine, member)), 200).path("security_group");
    assertEquals("mine", kept.path("name").asText());
    assertEquals(1, kept.path("rules").size(), kept.toString());
  }

  @Test
  void theProxiesAreGoneFrom236() {
    var ctx = new RequestContext(project, "u", java.util.Set.of("member"), false);
    var sharding = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(cloud.system);
    var listing = new nimbus.network.NetworkListing(nimbus.cluster.ReadSideDatabase.get(cloud.system));
    var blocking = ApiServer.blockingExecutor(cloud.system);
    var groups = new NovaSecurityGroupRoutes(sharding, listing, blocking, Duration.ofSeconds(5), Policy.defaults());
    var floatingIps = new NovaFloatingIpRoutes(sharding, listing, blocking, Duration.ofSeconds(5), Policy.defaults());
    for (String path : List.of("/os-security-groups", "/os-floating-ips", "/os-floating-ip-pools")) {
      var route = groups.concat(groups.route(ctx, Microversion.of("2.36")), floatingIps.route(ctx, Microversion.of("2.36")));
      assertEquals("The resource could not be found.", novaError(testRoute(route).run(
          org.apache.pekko.http.javadsl.model.HttpRequest.GET(path)), 404, "itemNotFound"), path);
      var before = groups.concat(groups.route(ctx, Microversion.of("2.35")), floatingIps.route(ctx, Microversion.of("2.35")));
      assertEquals(200, testRoute(before).run(org.apache.pekko.http.javadsl.model.HttpRequest.GET(path)).statusCode(),
          path);
    }
  }

  // ---------------------------------------------------------------- floating IPs

  private String network(String token, String name, String extra) {
    return json(api.run(post(NetworkRoutesTest.NETWORKS, token, "{\"network\": {\"name\": \"" + name + "\"" + extra
        + "}}")), 201).path("network").path("id").asText();
  }

  private String subnet(String token, String network, String cidr) {
    return json(api.run(post(SubnetRoutesTest.SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + network
        + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\"}}")), 201).path("subnet").path("id").asText();
  }

  /** The types of the server's addresses on its one network, and that {@code floating} is there if a floating one is. */
  private static List<String> addressTypes(JsonNode server, String floating) {
    List<String> types = new java.util.ArrayList<>();
    server.path("addresses").forEach(list -> list.forEach(a -> {
      types.add(a.path("OS-EXT-IPS:type").asText());
      if (a.path("OS-EXT-IPS:type").asText().equals("floating")) assertEquals(floating, a.path("addr").asText());
    }));
    return types;
  }

  /** A server of the member's on {@code net}, once it has its address. */
  private String server(String net) {
    String id = json(api.run(post(ServerSecurityGroupsTest.SERVERS, member, "{\"server\": {\"name\": \"s\", "
        + "\"imageRef\": \"" + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"1\", \"networks\": "
        + "[{\"uuid\": \"" + net + "\"}]}}")), 202).path("server").path("id").asText();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (json(api.run(get(ServerSecurityGroupsTest.SERVERS + "/" + id, member)), 200).path("server")
        .path("addresses").isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    return id;
  }

  @Test
  void floatingIpsFromAPoolByNameAreNeutronsAndFollowTheServerActions() {
    String pool = "pool-" + project;
    String ext = network(admin, pool, ", \"router:external\": true");
    subnet(admin, ext, "172.27.0.0/24");
    String net = network(member, "n", "");
    String sub = subnet(member, net, "10.7.0.0/24");
    String router = json(api.run(post(RouterRoutesTest.ROUTERS, member, "{\"router\": {\"external_gateway_info\": "
        + "{\"network_id\": \"" + ext + "\"}}}")), 201).path("router").path("id").asText();
    json(api.run(put(RouterRoutesTest.ROUTERS + "/" + router + "/add_router_interface", member,
        "{\"subnet_id\": \"" + sub + "\"}")), 200);
    assertTrue(json(api.run(get("/compute/v2.1/os-floating-ip-pools", member)), 200).path("floating_ip_pools")
        .findValuesAsText("name").contains(pool));

    JsonNode fip = json(api.run(post(FIPS, member, "{\"pool\": \"" + pool + "\"}")), 200).path("floating_ip");
    String id = fip.path("id").asText();
    String address = fip.path("ip").asText();
    assertTrue(address.startsWith("172.27.0."), fip.toString());
    assertEquals(pool, fip.path("pool").asText());
    assertTrue(fip.path("instance_id").isNull() && fip.path("fixed_ip").isNull(), fip.toString());
    assertEquals(address, json(api.run(get(FloatingIpRoutesTest.FIPS + "/" + id, member)), 200).path("floatingip")
        .path("floating_ip_address").asText(), "Neutron's API shows the floating IP Nova allocated");
    assertEquals(List.of(id), json(api.run(get(FIPS, reader)), 200).path("floating_ips").findValuesAsText("id"));
    assertEquals("Floating IP pool not found.", novaError(api.run(post(FIPS, member, "{\"pool\": \"no-such-pool\"}")),
        404, "itemNotFound"));
    assertEquals("Invalid ID received nope.", novaError(api.run(get(FIPS + "/nope", member)), 400, "badRequest"));

    String server = server(net);
    String action = ServerSecurityGroupsTest.SERVERS + "/" + server + "/action";
    var added = api.run(post(action, member, "{\"addFloatingIp\": {\"address\": \"" + address + "\"}}"));
    assertEquals(202, added.statusCode(), added.entityString());
    JsonNode shown = json(api.run(get(FIPS + "/" + id, reader)), 200).path("floating_ip");
    assertEquals(server, shown.path("instance_id").asText());
    assertTrue(shown.path("fixed_ip").asText().startsWith("10.7.0."), shown.toString());
    assertEquals("floating IP not found", novaError(api.run(post(action, member,
        "{\"addFloatingIp\": {\"address\": \"172.27.0.250\"}}")), 404, "itemNotFound"));
    assertEquals(400, api.run(post(action, member, "{\"addFloatingIp\": {\"address\": \"x\"}}")).statusCode());
    // Nova's addresses list it after the fixed address it translates to, in the server and the list
    assertEquals(List.of("fixed", "floating"), addressTypes(json(api.run(get(ServerSecurityGroupsTest.SERVERS + "/"
        + server, member)), 200).path("server"), address));
    JsonNode listed = json(api.run(get(ServerSecurityGroupsTest.SERVERS + "/detail", member)), 200).path("servers");
    for (JsonNode s : listed) {
      if (s.path("id").asText().equals(server)) assertEquals(List.of("fixed", "floating"), addressTypes(s, address));
    }

    assertEquals(202, api.run(post(action, member, "{\"removeFloatingIp\": {\"address\": \"" + address + "\"}}"))
        .statusCode());
    assertTrue(json(api.run(get(FloatingIpRoutesTest.FIPS + "/" + id, member)), 200).path("floatingip")
        .path("port_id").isNull());
    assertEquals(List.of("fixed"), addressTypes(json(api.run(get(ServerSecurityGroupsTest.SERVERS + "/"
        + server, member)), 200).path("server"), address));
    assertEquals("Floating IP " + address + " is not associated with instance " + server + ".", novaError(api.run(
        post(action, member, "{\"removeFloatingIp\": {\"address\": \"" + address + "\"}}")), 409,
        "conflictingRequest"));

    assertEquals(202, api.run(delete(FIPS + "/" + id, member)).statusCode());
    assertEquals("Floating IP not found for ID " + id, novaError(api.run(get(FIPS + "/" + id, member)), 404,
        "itemNotFound"));
    assertEquals(404, api.run(get(FloatingIpRoutesTest.FIPS + "/" + id, member)).statusCode());
  }

  @Test
  void anotherProjectsFloatingIpsAndServersAreAsAbsent() {
    String pool = "pool-" + project;
    String ext = network(admin, pool, ", \"router:external\": true");
    subnet(admin, ext, "172.28.0.0/24");
    String net = network(member, "n", "");
    subnet(member, net, "10.8.0.0/24");
    JsonNode fip = json(api.run(post(FIPS, member, "{\"pool\": \"" + pool + "\"}")), 200).path("floating_ip");
    String id = fip.path("id").asText();
    String address = fip.path("ip").asText();
    assertEquals(404, api.run(get(FIPS + "/" + id, stranger)).statusCode());
    assertEquals(404, api.run(delete(FIPS + "/" + id, stranger)).statusCode());
    assertFalse(json(api.run(get(FIPS, stranger)), 200).path("floating_ips").findValuesAsText("id").contains(id));
    String server = server(net);
    String theirs = json(api.run(post(FIPS, stranger, "{\"pool\": \"" + pool + "\"}")), 200).path("floating_ip")
        .path("ip").asText();
    String action = ServerSecurityGroupsTest.SERVERS + "/" + server + "/action";
    assertEquals("Instance " + server + " could not be found.", novaError(api.run(post(action, stranger,
        "{\"addFloatingIp\": {\"address\": \"" + theirs + "\"}}")), 404, "itemNotFound"), "onto another's server");
    assertEquals("floating IP not found", novaError(api.run(post(action, member,
        "{\"addFloatingIp\": {\"address\": \"" + theirs + "\"}}")), 404, "itemNotFound"), "another's floating IP");
    assertEquals(404, api.run(post(action, stranger, "{\"removeFloatingIp\": {\"address\": \"" + address + "\"}}"))
        .statusCode());
    assertEquals(200, api.run(get(FIPS + "/" + id, member)).statusCode(), "still there");
  }
}
