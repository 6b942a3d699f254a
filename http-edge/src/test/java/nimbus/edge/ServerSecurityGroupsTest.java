package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import nimbus.network.SecurityGroupEntity;
import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/**
 * Nova's side of security groups over HTTP: a server's groups in its views and in
 * {@code os-security-groups}, {@code addSecurityGroup} and {@code removeSecurityGroup} on its
 * ports with Nova's answers, and projects kept apart (each attack answered as absent).
 */
class ServerSecurityGroupsTest extends ApiRouteTest {
  static final String SERVERS = "/compute/v2.1/servers";

  private String net() {
    String net = json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {\"name\": \"n\"}}")), 201)
        .path("network").path("id").asText();
    json(api.run(post(SubnetRoutesTest.SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}")), 201);
    return net;
  }

  private String group(String token, String name) {
    return json(api.run(post(SecurityGroupRoutesTest.GROUPS, token, "{\"security_group\": {\"name\": \"" + name
        + "\"}}")), 201).path("security_group").path("id").asText();
  }

  /** A server of the member's on {@code net} in the groups named, once its port is made. */
  private String server(String net, String groups) {
    JsonNode created = json(api.run(post(SERVERS, member, "{\"server\": {\"name\": \"s\", \"imageRef\": \""
        + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"1\", \"networks\": [{\"uuid\": \"" + net
        + "\"}], \"security_groups\": [" + groups + "]}}")), 202).path("server");
    String id = created.path("id").asText();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (groupNames(id).isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    return id;
  }

  private List<String> groupNames(String server) {
    List<String> names = new ArrayList<>();
    json(api.run(get(SERVERS + "/" + server, member)), 200).path("server").path("security_groups")
        .forEach(g -> names.add(g.path("name").asText()));
    return names;
  }

  private static String action(String name, String group) {
    return "{\"" + name + "\": {\"name\": \"" + group + "\"}}";
  }

  @Test
  void aGroupCanBeDeletedTheMomentItsLastServerIsGone() {
    String app = group(member, "app");
    String server = server(net(), "{\"name\": \"app\"}");
    assertEquals(409, api.run(delete(SecurityGroupRoutesTest.GROUPS + "/" + app, member)).statusCode(), "in use");
    assertEquals(204, api.run(delete(SERVERS + "/" + server, member)).statusCode());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (api.run(get(SERVERS + "/" + server, member)).statusCode() != 404) {
      assertTrue(System.nanoTime() < deadline, "the server is deleted within 20 s");
      Thread.onSpinWait();
    }
    // a server is gone once its ports are: out of their groups (what tempest's clean-up and
    // terraform's destroy rely on when they delete the group right after)
    var deleted = api.run(delete(SecurityGroupRoutesTest.GROUPS + "/" + app, member));
    assertEquals(204, deleted.statusCode(), deleted.entityString());
  }

  @Test
  void addAndRemoveChangeTheServersPortsAndItsViewsAsNovaAnswers() {
    String net = net();
    group(member, "app");
    String web = group(member, "web");
    JsonNode created = json(api.run(post(SERVERS, member, "{\"server\": {\"name\": \"s\", \"imageRef\": \""
        + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"1\", \"networks\": [{\"uuid\": \"" + net
        + "\"}], \"security_groups\": [{\"name\": \"app\"}]}}")), 202).path("server");
    assertEquals("[{\"name\":\"app\"}]", created.path("security_groups").toString(), "the create echoes its groups");
    String server = server(net, "{\"name\": \"app\"}");
    assertEquals(List.of("app"), groupNames(server));

    var added = api.run(post(SERVERS + "/" + server + "/action", member, action("addSecurityGroup", "web")));
    assertEquals(202, added.statusCode(), added.entityString());
    assertEquals("", added.entityString());
    assertEquals(List.of("app", "web"), groupNames(server));
    JsonNode port = json(api.run(get(PortRoutesTest.PORTS + "?device_id=" + server, member)), 200).path("ports").get(0);
    assertTrue(port.path("security_groups").toString().contains(web), port.toString());
    JsonNode detail = json(api.run(get(SERVERS + "/detail", member)), 200).path("servers");
    for (JsonNode s : detail) {
      if (s.path("id").asText().equals(server)) assertEquals(2, s.path("security_groups").size(), s.toString());
    }

    assertEquals("Duplicate items in the list: '" + web + "'", novaError(api.run(post(SERVERS + "/" + server
        + "/action", member, action("addSecurityGroup", web))), 400, "badRequest"));
    assertEquals("Security group nope is not found for project " + project, novaError(api.run(post(SERVERS + "/"
        + server + "/action", member, action("addSecurityGroup", "nope"))), 404, "itemNotFound"));
    assertEquals("Security group not specified", novaError(api.run(post(SERVERS + "/" + server + "/action", member,
        "{\"addSecurityGroup\": {}}")), 400, "badRequest"));
    assertEquals("Security group name cannot be empty", novaError(api.run(post(SERVERS + "/" + server + "/action",
        member, action("removeSecurityGroup", " "))), 400, "badRequest"));
    assertEquals(403, api.run(post(SERVERS + "/" + server + "/action", reader, action("addSecurityGroup", "web")))
        .statusCode(), "a reader may not");

    assertEquals(202, api.run(post(SERVERS + "/" + server + "/action", member, action("removeSecurityGroup", web)))
        .statusCode(), "by id");
    assertEquals(List.of("app"), groupNames(server));
    assertEquals("Security group web not associated with the instance " + server, novaError(api.run(post(SERVERS
        + "/" + server + "/action", member, action("removeSecurityGroup", "web"))), 404, "itemNotFound"));
    assertEquals(202, api.run(post(SERVERS + "/" + server + "/action", member, action("removeSecurityGroup", "app")))
        .statusCode());
    assertFalse(json(api.run(get(SERVERS + "/" + server, member)), 200).path("server").has("security_groups"),
        "Nova shows no key for a server in no group");
  }

  @Test
  void osSecurityGroupsListsTheServersGroupsWithTheirIngressRulesAsNova() {
    String net = net();
    String app = group(member, "app");
    json(api.run(post(SecurityGroupRoutesTest.RULES, member, "{\"security_group_rule\": {\"security_group_id\": \""
        + app + "\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22, "
        + "\"port_range_max\": 22, \"remote_ip_prefix\": \"10.0.0.0/8\"}}")), 201);
    json(api.run(post(SecurityGroupRoutesTest.RULES, member, "{\"security_group_rule\": {\"security_group_id\": \""
        + app + "\", \"direction\": \"ingress\", \"protocol\": \"udp\"}}")), 201);
    String server = server(net, "{\"name\": \"app\"}, {\"name\": \"default\"}");
    JsonNode groups = json(api.run(get(SERVERS + "/" + server + "/os-security-groups", reader)), 200)
        .path("security_groups");
    assertEquals(2, groups.size(), groups.toString());
    JsonNode a = groups.get(0);
    assertEquals("app", a.path("name").asText(), "sorted by project and name");
    assertEquals(project, a.path("tenant_id").asText());
    assertEquals(2, a.path("rules").size(), "ingress only: " + a);
    for (JsonNode r : a.path("rules")) {
      assertEquals(app, r.path("parent_group_id").asText());
      if (r.path("ip_protocol").asText().equals("tcp")) {
        assertEquals(22, r.path("from_port").asInt());
        assertEquals("{\"cidr\":\"10.0.0.0/8\"}", r.path("ip_range").toString());
      } else {
        assertEquals(1, r.path("from_port").asInt(), "any port of udp: Nova's 1-65535");
        assertEquals(65535, r.path("to_port").asInt());
        assertEquals("{\"cidr\":\"0.0.0.0/0\"}", r.path("ip_range").toString());
      }
    }
    JsonNode d = groups.get(1);
    assertEquals(SecurityGroupEntity.defaultGroupId(project), d.path("id").asText());
    JsonNode fromItself = d.path("rules").get(0);
    assertEquals("{\"name\":\"default\",\"tenant_id\":\"" + project + "\"}", fromItself.path("group").toString());
    assertTrue(fromItself.path("ip_protocol").isNull() && fromItself.path("from_port").isNull(), fromItself.toString());
  }

  @Test
  void anotherProjectsGroupsAndServersAreAsAbsent() {
    String net = net();
    String theirs = group(stranger, "theirs");
    String server = server(net, "{\"name\": \"default\"}");
    assertEquals("Security group " + theirs + " is not found for project " + project, novaError(api.run(post(SERVERS
        + "/" + server + "/action", member, action("addSecurityGroup", theirs))), 404, "itemNotFound"));
    assertEquals("Security group theirs is not found for project " + project, novaError(api.run(post(SERVERS
        + "/" + server + "/action", member, action("addSecurityGroup", "theirs"))), 404, "itemNotFound"));
    String mine = group(member, "mine");
    assertEquals("Instance " + server + " could not be found.", novaError(api.run(post(SERVERS + "/" + server
        + "/action", stranger, action("addSecurityGroup", mine))), 404, "itemNotFound"));
    assertEquals("Instance " + server + " could not be found.", novaError(api.run(post(SERVERS + "/" + server
        + "/action", stranger, action("removeSecurityGroup", "default"))), 404, "itemNotFound"));
    assertEquals(404, api.run(get(SERVERS + "/" + server + "/os-security-groups", stranger)).statusCode());
    assertEquals(List.of("default"), groupNames(server), "unchanged");
    assertEquals("Security group " + theirs + " does not exist", novaError(api.run(get(
        "/compute/v2.1/os-security-groups/" + theirs, member)), 404, "itemNotFound"));
    assertEquals("mine", json(api.run(get("/compute/v2.1/os-security-groups/" + mine, member)), 200)
        .path("security_group").path("name").asText(), "Nova's proxy shows the project's own");
  }
}
