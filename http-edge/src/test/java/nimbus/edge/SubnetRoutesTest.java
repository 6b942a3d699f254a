package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Neutron's subnets: on their network, made and changed by its owner, seen where the network is shared. */
class SubnetRoutesTest extends ApiRouteTest {
  static final String SUBNETS = "/network/v2.0/subnets";

  String network(String token, boolean shared) {
    return json(api.run(post(NetworkRoutesTest.NETWORKS, token, "{\"network\": {\"name\": \"n\""
        + (shared ? ", \"shared\": true" : "") + "}}")), 201).path("network").path("id").asText();
  }

  JsonNode subnet(String token, String networkId, String extra) {
    return json(api.run(post(SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + networkId
        + "\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"" + extra + "}}")), 201).path("subnet");
  }

  @Test
  void aSubnetGetsNeutronsDefaultsAndShowsOnItsNetwork() {
    String net = network(member, false);
    JsonNode made = subnet(member, net, ", \"name\": \"s1\"");
    assertEquals("10.0.0.1", made.path("gateway_ip").asText());
    assertEquals("[{\"start\":\"10.0.0.2\",\"end\":\"10.0.0.254\"}]", made.path("allocation_pools").toString());
    assertTrue(made.path("enable_dhcp").asBoolean());
    assertTrue(made.path("ipv6_ra_mode").isNull() && made.path("subnetpool_id").isNull());
    assertEquals(project, made.path("tenant_id").asText());
    String id = made.path("id").asText();
    assertEquals(made, json(api.run(get(SUBNETS + "/" + id, reader)), 200).path("subnet"));
    assertEquals("[\"" + id + "\"]", json(api.run(get(NetworkRoutesTest.NETWORKS + "/" + net, member)), 200)
        .path("network").path("subnets").toString());
    JsonNode fields = json(api.run(get(SUBNETS + "?fields=id&fields=network_id&network_id=" + net, member)), 200);
    assertEquals("[{\"id\":\"" + id + "\",\"network_id\":\"" + net + "\"}]", fields.path("subnets").toString());

    JsonNode changed = json(api.run(put(SUBNETS + "/" + id, member, "{\"subnet\": {\"name\": \"s2\", "
        + "\"dns_nameservers\": [\"8.8.8.8\"], \"enable_dhcp\": false}}")), 200).path("subnet");
    assertEquals("s2", changed.path("name").asText());
    assertEquals("[\"8.8.8.8\"]", changed.path("dns_nameservers").toString());
    assertEquals("Cannot update read-only attribute cidr", neutronError(api.run(put(SUBNETS + "/" + id, member,
        "{\"subnet\": {\"cidr\": \"10.1.0.0/24\"}}")), 400)[1]);
    assertEquals(204, api.run(delete(SUBNETS + "/" + id, member)).statusCode());
    assertEquals("SubnetNotFound", neutronError(api.run(get(SUBNETS + "/" + id, member)), 404)[0]);
  }

  @Test
  void noGatewayExplicitPoolsAndNeutronsRefusals() {
    String net = network(member, false);
    JsonNode none = subnet(member, net, ", \"gateway_ip\": null, \"allocation_pools\": "
        + "[{\"start\": \"10.0.0.3\", \"end\": \"10.0.0.7\"}]");
    assertTrue(none.path("gateway_ip").isNull(), none.toString());
    assertEquals("[{\"start\":\"10.0.0.3\",\"end\":\"10.0.0.7\"}]", none.path("allocation_pools").toString());
    String[] overlap = neutronError(api.run(post(SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/25\"}}")), 400);
    assertEquals("InvalidInput", overlap[0]);
    assertTrue(overlap[1].contains("overlaps with another subnet"), overlap[1]);
    String[] hostBits = neutronError(api.run(post(SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 4, \"cidr\": \"10.9.0.5/24\"}}")), 400);
    assertTrue(hostBits[1].startsWith("Invalid input for cidr."), hostBits[1]);
    assertEquals("GatewayConflictWithAllocationPools", neutronError(api.run(post(SUBNETS, member,
        "{\"subnet\": {\"network_id\": \"" + net + "\", \"ip_version\": 4, \"cidr\": \"10.8.0.0/24\", "
            + "\"gateway_ip\": \"10.8.0.5\", \"allocation_pools\": [{\"start\": \"10.8.0.2\", \"end\": \"10.8.0.9\"}]}}")),
        409)[0]);
    assertEquals("Failed to parse request. Required attribute 'network_id' not specified", neutronError(api.run(
        post(SUBNETS, member, "{\"subnet\": {\"ip_version\": 4, \"cidr\": \"10.7.0.0/24\"}}")), 400)[1]);
  }

  @Test
  void ipv6SubnetsTakeNeutronsModesAndSlaacPortsTheirEui64() {
    String net = network(member, false);
    JsonNode slaac = json(api.run(post(SUBNETS, member, "{\"subnet\": {\"network_id\": \"" + net
        + "\", \"ip_version\": 6, \"cidr\": \"2001:db8:5::/64\", \"ipv6_ra_mode\": \"slaac\", "
        + "\"ipv6_address_mode\": \"slaac\"}}")), 201).path("subnet");
    assertEquals("slaac", slaac.path("ipv6_ra_mode").asText());
    assertEquals("slaac", slaac.path("ipv6_address_mode").asText());
    assertEquals("2001:db8:5::1", slaac.path("gateway_ip").asText());
    JsonNode port = json(api.run(post("/network/v2.0/ports", member, "{\"port\": {\"network_id\": \"" + net
        + "\", \"mac_address\": \"fa:16:3e:12:34:56\"}}")), 201).path("port");
    assertEquals("[{\"subnet_id\":\"" + slaac.path("id").asText() + "\",\"ip_address\":\"2001:db8:5:0:f816:3eff:fe12:3456\"}]",
        port.path("fixed_ips").toString(), "the port's EUI-64 in the prefix");
    String[] own = neutronError(api.run(post("/network/v2.0/ports", member, "{\"port\": {\"network_id\": \"" + net
        + "\", \"fixed_ips\": [{\"ip_address\": \"2001:db8:5::10\"}]}}")), 400);
    assertEquals("AllocationOnAutoAddressSubnet", own[0]);
    assertEquals("Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set.", neutronError(api.run(put(SUBNETS + "/"
        + slaac.path("id").asText(), member, "{\"subnet\": {\"enable_dhcp\": false}}")), 400)[1]);

    String other = network(member, false);
    String v6 = "{\"subnet\": {\"network_id\": \"" + other + "\", \"ip_version\": 6, \"cidr\": \"2001:db8:6::/64\"";
    assertEquals("Invalid input for operation: ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to "
        + "'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value.",
        neutronError(api.run(post(SUBNETS, member, v6 + ", \"ipv6_ra_mode\": \"slaac\", "
            + "\"ipv6_address_mode\": \"dhcpv6-stateful\"}}")), 400)[1]);
    assertEquals("Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is "
        + "set to False.", neutronError(api.run(post(SUBNETS, member, v6 + ", \"ipv6_address_mode\": \"slaac\", "
            + "\"enable_dhcp\": false}}")), 400)[1]);
    assertEquals("Invalid input for operation: Invalid CIDR 2001:db8:7::/80 for IPv6 address mode. OpenStack uses the "
        + "EUI-64 address format, which requires the prefix to be /64.", neutronError(api.run(post(SUBNETS, member,
        v6.replace("2001:db8:6::/64", "2001:db8:7::/80") + ", \"ipv6_ra_mode\": \"dhcpv6-stateless\"}}")), 400)[1]);
    String[] unknown = neutronError(api.run(post(SUBNETS, member, v6 + ", \"ipv6_ra_mode\": \"radvd\"}}")), 400);
    assertEquals("HTTPBadRequest", unknown[0], "refused as Neutron's attribute validation refuses it");
    assertTrue(unknown[1].startsWith("Invalid input for ipv6_ra_mode. Reason: ") && unknown[1].contains("radvd"), unknown[1]);
    JsonNode stateful = json(api.run(post(SUBNETS, member, v6 + ", \"ipv6_address_mode\": \"dhcpv6-stateful\"}}")),
        201).path("subnet");
    JsonNode statefulPort = json(api.run(post("/network/v2.0/ports", member, "{\"port\": {\"network_id\": \""
        + other + "\"}}")), 201).path("port");
    assertTrue(statefulPort.path("fixed_ips").path(0).path("ip_address").asText().startsWith("2001:db8:6::"),
        "stateful: from the pool, like IPv4: " + statefulPort + " on " + stateful);
  }

  @Test
  void onlyTheNetworksOwnerMakesSubnetsAndOthersSeeThemWhenShared() {
    String mine = network(member, false);
    assertEquals("NetworkNotFound", neutronError(api.run(post(SUBNETS, stranger, "{\"subnet\": {\"network_id\": \""
        + mine + "\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"}}")), 404)[0]);
    String shared = network(admin, true);
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(SUBNETS, stranger, "{\"subnet\": {\"network_id\": \""
        + shared + "\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"}}")), 403)[0]);
    String onShared = subnet(admin, shared, "").path("id").asText();
    String onMine = subnet(member, mine, "").path("id").asText();
    assertEquals(200, api.run(get(SUBNETS + "/" + onShared, stranger)).statusCode());
    assertEquals("SubnetNotFound", neutronError(api.run(get(SUBNETS + "/" + onMine, stranger)), 404)[0]);
    List<String> seen = json(api.run(get(SUBNETS, stranger)), 200).path("subnets").findValuesAsText("id");
    assertTrue(seen.contains(onShared), seen.toString());
    assertFalse(seen.contains(onMine), seen.toString());
    assertEquals("PolicyNotAuthorized", neutronError(api.run(delete(SUBNETS + "/" + onShared, stranger)), 403)[0]);
    assertEquals(204, api.run(delete(NetworkRoutesTest.NETWORKS + "/" + shared, admin)).statusCode());
    assertEquals("SubnetNotFound", neutronError(api.run(get(SUBNETS + "/" + onShared, admin)), 404)[0],
        "a network goes with its subnets");
  }
}
