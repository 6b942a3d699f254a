package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Neutron's routers over real HTTP: gateway, interfaces by subnet and by port, routes, quota, and other projects kept out. */
class RouterRoutesTest extends ApiRouteTest {
  static final String ROUTERS = "/network/v2.0/routers";

  private String network(String token, String extra) {
    return json(api.run(post(NetworkRoutesTest.NETWORKS, token, "{\"network\": {\"name\": \"n\"" + extra + "}}")), 201)
        .path("network").path("id").asText();
  }

  private String subnet(String token, String network, String cidr) {
    return json(api.run(post(SubnetRoutesTest.SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + network
        + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\"}}")), 201).path("subnet").path("id").asText();
  }

  private String external() {
    String ext = network(admin, ", \"router:external\": true");
    subnet(admin, ext, "172.24.0.0/24");
    return ext;
  }

  private JsonNode router(String token, String body) {
    return json(api.run(post(ROUTERS, token, "{\"router\": {\"name\": \"r\"" + body + "}}")), 201).path("router");
  }

  private JsonNode portsOf(String token, String router, String owner) {
    return json(api.run(get(PortRoutesTest.PORTS + "?device_id=" + router
        + (owner.isEmpty() ? "" : "&device_owner=" + owner), token)), 200).path("ports");
  }

  @Test
  void aRouterGetsAGatewayInterfacesAndRoutesAndGivesTheirPortsBack() {
    String ext = external();
    String net = network(member, "");
    String sub = subnet(member, net, "10.1.0.0/24");
    JsonNode r = router(member, ", \"external_gateway_info\": {\"network_id\": \"" + ext + "\"}");
    String id = r.path("id").asText();
    assertEquals(ext, r.path("external_gateway_info").path("network_id").asText());
    assertTrue(r.path("external_gateway_info").path("enable_snat").asBoolean(), "SNAT is on by default");
    assertTrue(r.path("external_gateway_info").path("external_fixed_ips").get(0).path("ip_address").asText()
        .startsWith("172.24.0."), r.toString());
    assertEquals(project, r.path("project_id").asText());

    JsonNode added = json(api.run(put(ROUTERS + "/" + id + "/add_router_interface", member,
        "{\"subnet_id\": \"" + sub + "\"}")), 200);
    assertEquals(sub, added.path("subnet_id").asText());
    JsonNode ifPorts = portsOf(member, id, "network:router_interface");
    assertEquals(1, ifPorts.size());
    assertEquals(added.path("port_id").asText(), ifPorts.get(0).path("id").asText());
    assertEquals("10.1.0.1", ifPorts.get(0).path("fixed_ips").get(0).path("ip_address").asText(),
        "the interface holds the subnet's gateway address");
    assertEquals(1, portsOf(member, id, "network:router_gateway").size());
    assertEquals("BadRequest", neutronError(api.run(put(ROUTERS + "/" + id + "/add_router_interface", member,
        "{\"subnet_id\": \"" + sub + "\"}")), 400)[0]);

    // routes: a next hop in an attached subnet only
    assertEquals("InvalidRoutes", neutronError(api.run(put(ROUTERS + "/" + id, member, "{\"router\": {\"routes\": "
        + "[{\"destination\": \"10.20.0.0/24\", \"nexthop\": \"10.9.0.5\"}]}}")), 400)[0]);
    JsonNode routed = json(api.run(put(ROUTERS + "/" + id, member, "{\"router\": {\"routes\": "
        + "[{\"destination\": \"10.20.0.0/24\", \"nexthop\": \"10.1.0.5\"}]}}")), 200).path("router");
    assertEquals("10.1.0.5", routed.path("routes").get(0).path("nexthop").asText());
    JsonNode more = json(api.run(put(ROUTERS + "/" + id + "/add_extraroutes", member, "{\"router\": {\"routes\": "
        + "[{\"destination\": \"10.30.0.0/24\", \"nexthop\": \"10.1.0.6\"}]}}")), 200).path("router");
    assertEquals(2, more.path("routes").size());
    JsonNode fewer = json(api.run(put(ROUTERS + "/" + id + "/remove_extraroutes", member, "{\"router\": {\"routes\": "
        + "[{\"destination\": \"10.30.0.0/24\", \"nexthop\": \"10.1.0.6\"}]}}")), 200).path("router");
    assertEquals(1, fewer.path("routes").size());
    json(api.run(put(ROUTERS + "/" + id, member, "{\"router\": {\"routes\": []}}")), 200);

    assertTrue(json(api.run(get(ROUTERS + "?name=r", member)), 200).path("routers").findValuesAsText("id").contains(id));
    assertEquals("RouterInUse", neutronError(api.run(delete(ROUTERS + "/" + id, member)), 409)[0]);
    json(api.run(put(ROUTERS + "/" + id + "/remove_router_interface", member, "{\"subnet_id\": \"" + sub + "\"}")), 200);
    assertEquals(0, portsOf(member, id, "network:router_interface").size(), "the interface's port is deleted");
    // a removed interface frees its subnet at once
    assertEquals(204, api.run(delete(SubnetRoutesTest.SUBNETS + "/" + sub, member)).statusCode());

    // the gateway cleared, then deleted: its port goes back too
    JsonNode cleared = json(api.run(put(ROUTERS + "/" + id, member, "{\"router\": {\"external_gateway_info\": {}}}")),
        200).path("router");
    assertTrue(cleared.path("external_gateway_info").isNull(), cleared.toString());
    assertEquals(204, api.run(delete(ROUTERS + "/" + id, member)).statusCode());
    assertEquals("RouterNotFound", neutronError(api.run(get(ROUTERS + "/" + id, member)), 404)[0]);
    assertEquals(0, portsOf(admin, id, "").size());
  }

  @Test
  void aUsersPortBecomesAnInterfaceUnlessAnotherDeviceHasIt() {
    String net = network(member, "");
    String sub = subnet(member, net, "10.2.0.0/24");
    String id = router(member, "").path("id").asText();
    String port = json(api.run(post(PortRoutesTest.PORTS, member, "{\"port\": {\"network_id\": \"" + net + "\"}}")), 201)
        .path("port").path("id").asText();
    JsonNode added = json(api.run(put(ROUTERS + "/" + id + "/add_router_interface", member,
        "{\"port_id\": \"" + port + "\"}")), 200);
    assertEquals(port, added.path("port_id").asText());
    assertEquals(sub, added.path("subnet_id").asText());
    JsonNode shown = json(api.run(get(PortRoutesTest.PORTS + "/" + port, member)), 200).path("port");
    assertEquals(id, shown.path("device_id").asText());
    assertEquals("network:router_interface", shown.path("device_owner").asText());

    String used = json(api.run(post(PortRoutesTest.PORTS, member, "{\"port\": {\"network_id\": \"" + net
        + "\", \"device_id\": \"some-server\"}}")), 201).path("port").path("id").asText();
    String other = router(member, "").path("id").asText();
    assertEquals("PortInUse", neutronError(api.run(put(ROUTERS + "/" + other + "/add_router_interface", member,
        "{\"port_id\": \"" + used + "\"}")), 409)[0]);
    assertEquals("BadRequest", neutronError(api.run(put(ROUTERS + "/" + other + "/add_router_interface", member,
        "{\"subnet_id\": \"" + sub + "\", \"port_id\": \"" + used + "\"}")), 400)[0]);
    json(api.run(put(ROUTERS + "/" + id + "/remove_router_interface", member, "{\"port_id\": \"" + port + "\"}")), 200);
    assertEquals("PortNotFound", neutronError(api.run(get(PortRoutesTest.PORTS + "/" + port, member)), 404)[0],
        "Neutron deletes the port it detaches");
  }

  @Test
  void anotherProjectsRoutersSubnetsAndPortsAreAsAbsent() {
    String net = network(member, "");
    String sub = subnet(member, net, "10.3.0.0/24");
    String port = json(api.run(post(PortRoutesTest.PORTS, member, "{\"port\": {\"network_id\": \"" + net + "\"}}")), 201)
        .path("port").path("id").asText();
    String mine = router(member, "").path("id").asText();
    String theirs = router(stranger, "").path("id").asText();
    assertEquals("RouterNotFound", neutronError(api.run(get(ROUTERS + "/" + mine, stranger)), 404)[0]);
    assertEquals("RouterNotFound", neutronError(api.run(put(ROUTERS + "/" + mine, stranger,
        "{\"router\": {\"name\": \"x\"}}")), 404)[0]);
    assertEquals("RouterNotFound", neutronError(api.run(delete(ROUTERS + "/" + mine, stranger)), 404)[0]);
    assertEquals("RouterNotFound", neutronError(api.run(put(ROUTERS + "/" + mine + "/add_router_interface", stranger,
        "{\"subnet_id\": \"" + sub + "\"}")), 404)[0]);
    assertFalse(json(api.run(get(ROUTERS, stranger)), 200).path("routers").findValuesAsText("id").contains(mine));
    // on its own router, another project's subnet or port is not there
    assertEquals("SubnetNotFound", neutronError(api.run(put(ROUTERS + "/" + theirs + "/add_router_interface", stranger,
        "{\"subnet_id\": \"" + sub + "\"}")), 404)[0]);
    assertEquals("PortNotFound", neutronError(api.run(put(ROUTERS + "/" + theirs + "/add_router_interface", stranger,
        "{\"port_id\": \"" + port + "\"}")), 404)[0]);
    assertEquals("", json(api.run(get(PortRoutesTest.PORTS + "/" + port, member)), 200).path("port").path("device_id")
        .asText());
  }

  @Test
  void theGatewayMustBeAnExternalNetworkAndOnlyAdminsMakeOneOrPickSnat() {
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(NetworkRoutesTest.NETWORKS, member,
        "{\"network\": {\"name\": \"x\", \"router:external\": true}}")), 403)[0]);
    String internal = network(member, "");
    String[] notExternal = neutronError(api.run(post(ROUTERS, member, "{\"router\": {\"external_gateway_info\": "
        + "{\"network_id\": \"" + internal + "\"}}}")), 400);
    assertEquals("BadRequest", notExternal[0]);
    assertTrue(notExternal[1].contains("Network " + internal + " is not a valid external network"), notExternal[1]);
    assertEquals("NetworkNotFound", neutronError(api.run(post(ROUTERS, member, "{\"router\": {\"external_gateway_info\": "
        + "{\"network_id\": \"" + java.util.UUID.randomUUID() + "\"}}}")), 404)[0]);
    String ext = external();
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(ROUTERS, member, "{\"router\": "
        + "{\"external_gateway_info\": {\"network_id\": \"" + ext + "\", \"enable_snat\": false}}}")), 403)[0]);
    JsonNode bare = json(api.run(post(ROUTERS, admin, "{\"router\": {\"project_id\": \"" + project + "\", "
        + "\"external_gateway_info\": {\"network_id\": \"" + ext + "\", \"enable_snat\": false}}}")), 201).path("router");
    assertFalse(bare.path("external_gateway_info").path("enable_snat").asBoolean());
  }

  @Test
  void aProjectHoldsNoMoreRoutersThanItsQuota() {
    json(api.run(put("/network/v2.0/quotas/" + project, admin, "{\"quota\": {\"router\": 1}}")), 200);
    router(member, "");
    assertEquals("OverQuota", neutronError(api.run(post(ROUTERS, member, "{\"router\": {\"name\": \"two\"}}")), 409)[0]);
    assertEquals(List.of(1), List.of(json(api.run(get(ROUTERS, member)), 200).path("routers").size()));
  }

  @Test
  void zoneHintsMustBeDistinctStringsOfZonesHostsReport() {
    JsonNode plain = router(member, "");
    assertEquals(0, plain.path("availability_zone_hints").size(), plain.toString());
    assertEquals(0, plain.path("availability_zones").size(), "not placed: no host, no zone");
    // this cloud has no host: no zone exists
    String[] unknown = neutronError(api.run(post(ROUTERS, member,
        "{\"router\": {\"name\": \"r\", \"availability_zone_hints\": [\"nowhere\"]}}")), 404);
    assertEquals("AvailabilityZoneNotFound", unknown[0]);
    assertEquals("AvailabilityZone nowhere could not be found.", unknown[1]);
    for (String bad : List.of("\"az1\"", "[\"az1\", \"az1\"]", "[1]", "[\"" + "z".repeat(256) + "\"]")) {
      neutronError(api.run(post(ROUTERS, member,
          "{\"router\": {\"name\": \"r\", \"availability_zone_hints\": " + bad + "}}")), 400);
    }
    String id = plain.path("id").asText();
    neutronError(api.run(put(ROUTERS + "/" + id, member,
        "{\"router\": {\"availability_zone_hints\": [\"nova\"]}}")), 400);
    JsonNode extensions = json(api.run(get("/network/v2.0/extensions", member)), 200).path("extensions");
    assertTrue(extensions.findValuesAsText("alias").containsAll(List.of("availability_zone", "router_availability_zone")));
    JsonNode zones = json(api.run(get("/network/v2.0/availability_zones", member)), 200).path("availability_zones");
    assertEquals("network", zones.get(0).path("resource").asText(), zones.toString());
    assertFalse(zones.findValuesAsText("resource").contains("router"), "no host, no router zone: " + zones);
  }
}
