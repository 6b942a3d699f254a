package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import nimbus.network.SecurityGroupEntity;
import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/**
 * Neutron's security groups and rules over HTTP: the default group, Neutron's attributes and
 * refusals, ports in groups, and projects kept apart (each attack answered as absent).
 */
class SecurityGroupRoutesTest extends ApiRouteTest {
  static final String GROUPS = "/network/v2.0/security-groups";
  static final String RULES = "/network/v2.0/security-group-rules";

  JsonNode group(String token, String name) {
    return json(api.run(post(GROUPS, token, "{\"security_group\": {\"name\": \"" + name + "\"}}")), 201)
        .path("security_group");
  }

  JsonNode rule(String token, String groupId, String extra) {
    return json(api.run(post(RULES, token, "{\"security_group_rule\": {\"security_group_id\": \"" + groupId
        + "\", \"direction\": \"ingress\"" + extra + "}}")), 201).path("security_group_rule");
  }

  String[] ruleRefused(String groupId, String extra, int status) {
    return neutronError(api.run(post(RULES, member, "{\"security_group_rule\": {\"security_group_id\": \"" + groupId
        + "\", \"direction\": \"ingress\"" + extra + "}}")), status);
  }

  @Test
  void theDefaultGroupIsMadeOnFirstListLetsItsMembersInAndStays() {
    JsonNode listed = json(api.run(get(GROUPS, member)), 200).path("security_groups");
    assertEquals(1, listed.size(), listed.toString());
    JsonNode d = listed.get(0);
    assertEquals("default", d.path("name").asText());
    assertEquals(SecurityGroupEntity.defaultGroupId(project), d.path("id").asText());
    JsonNode rules = d.path("security_group_rules");
    assertEquals(4, rules.size());
    int fromItself = 0;
    for (JsonNode r : rules) {
      if (r.path("direction").asText().equals("ingress")) {
        assertEquals(d.path("id").asText(), r.path("remote_group_id").asText());
        fromItself++;
      } else {
        assertTrue(r.path("remote_group_id").isNull() && r.path("remote_ip_prefix").isNull());
      }
    }
    assertEquals(2, fromItself);
    assertEquals(1, json(api.run(get(GROUPS, member)), 200).path("security_groups").size(), "made once");
    String[] kept = neutronError(api.run(delete(GROUPS + "/" + d.path("id").asText(), member)), 409);
    assertEquals("SecurityGroupCannotRemoveDefault", kept[0]);
    assertEquals("SecurityGroupDefaultAlreadyExists", neutronError(api.run(post(GROUPS, member,
        "{\"security_group\": {\"name\": \"default\"}}")), 409)[0]);
    assertEquals("SecurityGroupCannotUpdateDefault", neutronError(api.run(put(GROUPS + "/" + d.path("id").asText(),
        member, "{\"security_group\": {\"name\": \"other\"}}")), 409)[0]);
  }

  @Test
  void aGroupIsCreatedShownRenamedListedAndDeleted() {
    JsonNode made = group(member, "web");
    assertEquals(2, made.path("security_group_rules").size(), "egress IPv4 and IPv6");
    assertTrue(made.path("stateful").asBoolean());
    var stateless = api.run(post(GROUPS, member, "{\"security_group\": {\"name\": \"s\", \"stateful\": false}}"));
    assertEquals(400, stateless.statusCode(), "a stateless group would be filtered statefully: refused");
    assertTrue(stateless.entityString().contains("Stateless security groups are not supported"), stateless.entityString());
    assertEquals(project, made.path("project_id").asText());
    assertTrue(made.has("created_at") && made.has("revision_number") && made.path("tags").isArray());
    String id = made.path("id").asText();
    assertEquals(made, json(api.run(get(GROUPS + "/" + id, reader)), 200).path("security_group"));
    JsonNode renamed = json(api.run(put(GROUPS + "/" + id, member, "{\"security_group\": {\"name\": \"web2\", "
        + "\"description\": \"d\"}}")), 200).path("security_group");
    assertEquals("web2", renamed.path("name").asText());
    assertEquals("d", renamed.path("description").asText());
    assertEquals(List.of(id), json(api.run(get(GROUPS + "?name=web2&fields=id", member)), 200)
        .path("security_groups").findValuesAsText("id"));
    assertEquals(204, api.run(delete(GROUPS + "/" + id, member)).statusCode());
    assertEquals("SecurityGroupNotFound", neutronError(api.run(get(GROUPS + "/" + id, member)), 404)[0]);
  }

  @Test
  void rulesAreCheckedListedAndDeletedAsNeutronDoes() {
    String g = group(member, "rules").path("id").asText();
    JsonNode ssh = rule(member, g, ", \"protocol\": \"tcp\", \"port_range_min\": 22, \"port_range_max\": 22, "
        + "\"remote_ip_prefix\": \"10.0.0.7/24\"");
    assertEquals("tcp", ssh.path("protocol").asText());
    assertEquals("IPv4", ssh.path("ethertype").asText());
    assertEquals("10.0.0.7/24", ssh.path("remote_ip_prefix").asText());
    assertEquals("10.0.0.0/24", ssh.path("normalized_cidr").asText());
    String sshId = ssh.path("id").asText();
    assertEquals(ssh, json(api.run(get(RULES + "/" + sshId, member)), 200).path("security_group_rule"));
    String[] exists = ruleRefused(g, ", \"protocol\": \"6\", \"port_range_min\": 22, \"port_range_max\": 22, "
        + "\"remote_ip_prefix\": \"10.0.0.7/24\"", 409);
    assertEquals("SecurityGroupRuleExists", exists[0]);
    assertEquals("Security group rule already exists. Rule id is " + sshId + ".", exists[1]);
    assertEquals("SecurityGroupInvalidPortRange", ruleRefused(g, ", \"protocol\": \"tcp\", \"port_range_min\": 30, "
        + "\"port_range_max\": 20", 400)[0]);
    assertEquals("SecurityGroupProtocolRequiredWithPorts", ruleRefused(g, ", \"port_range_min\": 30", 400)[0]);
    assertEquals("SecurityGroupInvalidPortValue", ruleRefused(g, ", \"protocol\": \"tcp\", \"port_range_min\": 70000",
        400)[0]);
    assertEquals("SecurityGroupRuleInvalidProtocol", ruleRefused(g, ", \"protocol\": \"300\"", 400)[0]);
    assertEquals("SecurityGroupRuleInvalidEtherType", ruleRefused(g, ", \"ethertype\": \"IPv5\"", 400)[0]);
    assertEquals("SecurityGroupRuleParameterConflict", ruleRefused(g, ", \"remote_ip_prefix\": \"::/0\"", 400)[0]);
    assertEquals("SecurityGroupNotFound", ruleRefused(java.util.UUID.randomUUID().toString(), "", 404)[0]);
    assertEquals("SecurityGroupNotFound", ruleRefused(g, ", \"remote_group_id\": \""
        + java.util.UUID.randomUUID() + "\"", 404)[0]);
    JsonNode icmp = rule(member, g, ", \"protocol\": \"icmp\", \"remote_group_id\": \"" + g + "\"");
    assertEquals(g, icmp.path("remote_group_id").asText());

    List<String> listed = json(api.run(get(RULES + "?security_group_id=" + g + "&direction=ingress", member)), 200)
        .path("security_group_rules").findValuesAsText("id");
    assertEquals(2, listed.size(), listed.toString());
    assertTrue(listed.contains(sshId));
    assertEquals(4, json(api.run(get(GROUPS + "/" + g, member)), 200).path("security_group")
        .path("security_group_rules").size());
    assertEquals(204, api.run(delete(RULES + "/" + sshId, member)).statusCode());
    assertEquals("SecurityGroupRuleNotFound", neutronError(api.run(get(RULES + "/" + sshId, member)), 404)[0]);
  }

  @Test
  void quotasLimitGroupsAndRulesAndShowTheirDefaults() {
    JsonNode defaults = json(api.run(get("/network/v2.0/quotas/" + project + "/default", member)), 200).path("quota");
    assertEquals(10, defaults.path("security_group").asInt());
    assertEquals(100, defaults.path("security_group_rule").asInt());
    assertEquals(200, api.run(put("/network/v2.0/quotas/" + project, admin, "{\"quota\": {\"security_group\": 1, "
        + "\"security_group_rule\": 3}}")).statusCode());
    String g = group(member, "one").path("id").asText();
    assertEquals("OverQuota", neutronError(api.run(post(GROUPS, member, "{\"security_group\": {\"name\": "
        + "\"two\"}}")), 409)[0]);
    rule(member, g, ", \"protocol\": \"udp\", \"port_range_min\": 53, \"port_range_max\": 53");
    assertEquals("OverQuota", ruleRefused(g, ", \"protocol\": \"udp\", \"port_range_min\": 54, "
        + "\"port_range_max\": 54", 409)[0]);
    assertEquals(204, api.run(delete(GROUPS + "/" + g, member)).statusCode());
    group(member, "again");
  }

  @Test
  void portsJoinTheirGroupsAndAGroupInUseStays() {
    String net = json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {\"name\": \"sgn\"}}")), 201)
        .path("network").path("id").asText();
    json(api.run(post(SubnetRoutesTest.SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}")), 201);
    JsonNode plain = port(net, "");
    assertEquals("[\"" + SecurityGroupEntity.defaultGroupId(project) + "\"]", plain.path("security_groups").toString());
    assertTrue(plain.path("port_security_enabled").asBoolean());
    String g = group(member, "app").path("id").asText();
    JsonNode inG = port(net, ", \"security_groups\": [\"" + g + "\"]");
    assertEquals("[\"" + g + "\"]", inG.path("security_groups").toString());
    String portId = inG.path("id").asText();
    // a port is answered once it is in its groups: a group with members cannot go
    assertEquals("SecurityGroupInUse", neutronError(api.run(delete(GROUPS + "/" + g, member)), 409)[0]);

    assertEquals("PortSecurityPortHasSecurityGroup", neutronError(api.run(put(PortRoutesTest.PORTS + "/" + portId,
        member, "{\"port\": {\"port_security_enabled\": false}}")), 409)[0]);
    JsonNode off = json(api.run(put(PortRoutesTest.PORTS + "/" + portId, member, "{\"port\": {\"security_groups\": [], "
        + "\"port_security_enabled\": false}}")), 200).path("port");
    assertEquals("[]", off.path("security_groups").toString());
    assertTrue(!off.path("port_security_enabled").asBoolean());
    assertEquals("AddressPairAndPortSecurityRequired", neutronError(api.run(put(PortRoutesTest.PORTS + "/" + portId,
        member, "{\"port\": {\"allowed_address_pairs\": [{\"ip_address\": \"10.9.0.200\"}]}}")), 409)[0]);
    assertEquals("PortSecurityAndIPRequiredForSecurityGroups", neutronError(api.run(post(PortRoutesTest.PORTS, member,
        "{\"port\": {\"network_id\": \"" + net + "\", \"port_security_enabled\": false, \"security_groups\": [\""
            + g + "\"]}}")), 400)[0]);
    assertEquals(204, api.run(delete(GROUPS + "/" + g, member)).statusCode());
  }

  @Test
  void anotherProjectsGroupsAndRulesAreAsAbsent() {
    JsonNode theirs = group(stranger, "theirs");
    String theirId = theirs.path("id").asText();
    String theirRule = theirs.path("security_group_rules").get(0).path("id").asText();
    assertEquals("SecurityGroupNotFound", neutronError(api.run(get(GROUPS + "/" + theirId, member)), 404)[0]);
    assertEquals("SecurityGroupNotFound", neutronError(api.run(delete(GROUPS + "/" + theirId, member)), 404)[0]);
    assertEquals("SecurityGroupNotFound", neutronError(api.run(put(GROUPS + "/" + theirId, member,
        "{\"security_group\": {\"name\": \"mine\"}}")), 404)[0]);
    assertEquals("SecurityGroupRuleNotFound", neutronError(api.run(get(RULES + "/" + theirRule, member)), 404)[0]);
    assertEquals("SecurityGroupRuleNotFound", neutronError(api.run(delete(RULES + "/" + theirRule, member)), 404)[0]);
    assertEquals("SecurityGroupNotFound", ruleRefused(theirId, "", 404)[0]);
    String mine = group(member, "mine").path("id").asText();
    assertEquals("SecurityGroupNotFound", ruleRefused(mine, ", \"remote_group_id\": \"" + theirId + "\"", 404)[0]);
    assertTrue(json(api.run(get(GROUPS, member)), 200).path("security_groups").findValuesAsText("id")
        .stream().noneMatch(theirId::equals));
    assertTrue(json(api.run(get(RULES, member)), 200).path("security_group_rules").findValuesAsText("id")
        .stream().noneMatch(theirRule::equals));
    String net = json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {\"name\": \"an\"}}")), 201)
        .path("network").path("id").asText();
    assertEquals("SecurityGroupNotFound", neutronError(api.run(post(PortRoutesTest.PORTS, member,
        "{\"port\": {\"network_id\": \"" + net + "\", \"security_groups\": [\"" + theirId + "\"]}}")), 404)[0]);
    assertEquals(200, api.run(get(GROUPS + "/" + theirId, stranger)).statusCode(), "still there");
  }

  @Test
  void aServersPortsAreInTheGroupsItNamesAndAnUnknownOneIsNovasBadRequest() {
    String net = json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {\"name\": \"srv\"}}")), 201)
        .path("network").path("id").asText();
    json(api.run(post(SubnetRoutesTest.SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 4, \"cidr\": \"10.8.0.0/24\"}}")), 201);
    String g = group(member, "app").path("id").asText();
    String image = ImageSeeds.idOf("nimbus-test-guest");
    String unknown = novaError(api.run(post("/compute/v2.1/servers", member, "{\"server\": {\"name\": \"s\", "
        + "\"imageRef\": \"" + image + "\", \"flavorRef\": \"1\", \"networks\": [{\"uuid\": \"" + net + "\"}], "
        + "\"security_groups\": [{\"name\": \"nope\"}]}}")), 400, "badRequest");
    assertEquals("Security group nope not found for project " + project + ".", unknown);
    String server = json(api.run(post("/compute/v2.1/servers", member, "{\"server\": {\"name\": \"s\", "
        + "\"imageRef\": \"" + image + "\", \"flavorRef\": \"1\", \"networks\": [{\"uuid\": \"" + net + "\"}], "
        + "\"security_groups\": [{\"name\": \"app\"}]}}")), 202).path("server").path("id").asText();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    JsonNode ports = json(api.run(get(PortRoutesTest.PORTS + "?device_id=" + server, member)), 200).path("ports");
    while (ports.isEmpty() && System.nanoTime() < deadline) {
      ports = json(api.run(get(PortRoutesTest.PORTS + "?device_id=" + server, member)), 200).path("ports");
    }
    assertEquals(1, ports.size(), ports.toString());
    assertEquals("[\"" + g + "\"]", ports.get(0).path("security_groups").toString());
  }

  private JsonNode port(String net, String extra) {
    return json(api.run(post(PortRoutesTest.PORTS, member, "{\"port\": {\"network_id\": \"" + net + "\"" + extra
        + "}}")), 201).path("port");
  }
}
