package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Neutron's floating IPs over real HTTP: allocated from an external network, associated through a router, kept from other projects. */
class FloatingIpRoutesTest extends ApiRouteTest {
  static final String FIPS = "/network/v2.0/floatingips";

  private String network(String token, String extra) {
    return json(api.run(post(NetworkRoutesTest.NETWORKS, token, "{\"network\": {\"name\": \"n\"" + extra + "}}")), 201)
        .path("network").path("id").asText();
  }

  private String subnet(String token, String network, String cidr) {
    return json(api.run(post(SubnetRoutesTest.SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + network
        + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\"}}")), 201).path("subnet").path("id").asText();
  }

  private String port(String token, String network) {
    return json(api.run(post(PortRoutesTest.PORTS, token, "{\"port\": {\"network_id\": \"" + network + "\"}}")), 201)
        .path("port").path("id").asText();
  }

  @Test
  void aFloatingIpIsAllocatedAssociatedThroughTheRouterMovedAndReleased() {
    String ext = network(admin, ", \"router:external\": true");
    subnet(admin, ext, "172.25.0.0/24");
    String net = network(member, "");
    String sub = subnet(member, net, "10.5.0.0/24");
    String portA = port(member, net);
    String portB = port(member, net);

    JsonNode fip = json(api.run(post(FIPS, member, "{\"floatingip\": {\"floating_network_id\": \"" + ext + "\"}}")), 201)
        .path("floatingip");
    String id = fip.path("id").asText();
    assertTrue(fip.path("floating_ip_address").asText().startsWith("172.25.0."), fip.toString());
    assertEquals("DOWN", fip.path("status").asText());
    assertTrue(fip.path("port_id").isNull());

    // no router joins the port's subnet to the external network yet
    assertEquals("ExternalGatewayForFloatingIPNotFound", neutronError(api.run(put(FIPS + "/" + id, member,
        "{\"floatingip\": {\"port_id\": \"" + portA + "\"}}")), 404)[0]);
    String router = json(api.run(post(RouterRoutesTest.ROUTERS, member, "{\"router\": {\"external_gateway_info\": "
        + "{\"network_id\": \"" + ext + "\"}}}")), 201).path("router").path("id").asText();
    json(api.run(put(RouterRoutesTest.ROUTERS + "/" + router + "/add_router_interface", member,
        "{\"subnet_id\": \"" + sub + "\"}")), 200);

    JsonNode associated = json(api.run(put(FIPS + "/" + id, member, "{\"floatingip\": {\"port_id\": \"" + portA
        + "\"}}")), 200).path("floatingip");
    assertEquals(portA, associated.path("port_id").asText());
    assertEquals(router, associated.path("router_id").asText());
    assertTrue(associated.path("fixed_ip_address").asText().startsWith("10.5.0."));
    assertEquals(java.util.List.of(id), json(api.run(get(FIPS + "?port_id=" + portA, member)), 200).path("floatingips")
        .findValuesAsText("id"));
    // moved to another port of the same subnet
    JsonNode moved = json(api.run(put(FIPS + "/" + id, member, "{\"floatingip\": {\"port_id\": \"" + portB
        + "\"}}")), 200).path("floatingip");
    assertEquals(portB, moved.path("port_id").asText());
    // a deleted port's floating IP is let go, as Neutron does
    assertEquals(204, api.run(delete(PortRoutesTest.PORTS + "/" + portB, member)).statusCode());
    assertTrue(json(api.run(get(FIPS + "/" + id, member)), 200).path("floatingip").path("port_id").isNull());
    json(api.run(put(FIPS + "/" + id, member, "{\"floatingip\": {\"port_id\": \"" + portA + "\"}}")), 200);
    assertEquals("RouterInterfaceInUseByFloatingIP", neutronError(api.run(put(RouterRoutesTest.ROUTERS + "/" + router
        + "/remove_router_interface", member, "{\"subnet_id\": \"" + sub + "\"}")), 409)[0]);
    JsonNode off = json(api.run(put(FIPS + "/" + id, member, "{\"floatingip\": {\"port_id\": null}}")), 200)
        .path("floatingip");
    assertTrue(off.path("port_id").isNull());
    assertTrue(off.path("router_id").isNull());
    assertEquals(204, api.run(delete(FIPS + "/" + id, member)).statusCode());
    assertEquals("FloatingIPNotFound", neutronError(api.run(get(FIPS + "/" + id, member)), 404)[0]);
  }

  @Test
  void anotherProjectsFloatingIpsAndPortsAreAsAbsent() {
    String ext = network(admin, ", \"router:external\": true");
    subnet(admin, ext, "172.26.0.0/24");
    String net = network(member, "");
    subnet(member, net, "10.6.0.0/24");
    String mine = port(member, net);
    String id = json(api.run(post(FIPS, member, "{\"floatingip\": {\"floating_network_id\": \"" + ext + "\"}}")), 201)
        .path("floatingip").path("id").asText();
    assertEquals("FloatingIPNotFound", neutronError(api.run(get(FIPS + "/" + id, stranger)), 404)[0]);
    assertEquals("FloatingIPNotFound", neutronError(api.run(put(FIPS + "/" + id, stranger,
        "{\"floatingip\": {\"port_id\": null}}")), 404)[0]);
    assertEquals("FloatingIPNotFound", neutronError(api.run(delete(FIPS + "/" + id, stranger)), 404)[0]);
    assertFalse(json(api.run(get(FIPS, stranger)), 200).path("floatingips").findValuesAsText("id").contains(id));
    // the stranger's own floating IP may not point at this project's port
    String theirs = json(api.run(post(FIPS, stranger, "{\"floatingip\": {\"floating_network_id\": \"" + ext + "\"}}")),
        201).path("floatingip").path("id").asText();
    assertEquals("PortNotFound", neutronError(api.run(put(FIPS + "/" + theirs, stranger,
        "{\"floatingip\": {\"port_id\": \"" + mine + "\"}}")), 404)[0]);
    // not from an internal network, and only admins pick the address
    assertEquals("BadRequest", neutronError(api.run(post(FIPS, member, "{\"floatingip\": {\"floating_network_id\": \""
        + net + "\"}}")), 400)[0]);
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(FIPS, member, "{\"floatingip\": "
        + "{\"floating_network_id\": \"" + ext + "\", \"floating_ip_address\": \"172.26.0.50\"}}")), 403)[0]);
  }
}
