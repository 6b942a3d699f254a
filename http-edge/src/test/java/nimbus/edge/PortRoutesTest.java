package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Neutron's ports: addresses from their network, binding attributes for admins, the network's owner's policy. */
class PortRoutesTest extends ApiRouteTest {
  static final String PORTS = "/network/v2.0/ports";

  String network;
  String subnet;

  void setUp(String token) {
    network = json(api.run(post(NetworkRoutesTest.NETWORKS, token, "{\"network\": {\"name\": \"pn\"}}")), 201)
        .path("network").path("id").asText();
    subnet = json(api.run(post(SubnetRoutesTest.SUBNETS, token, "{\"subnet\": {\"network_id\": \"" + network
        + "\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}")), 201).path("subnet").path("id").asText();
  }

  JsonNode port(String token, String extra) {
    return json(api.run(post(PORTS, token, "{\"port\": {\"network_id\": \"" + network + "\"" + extra + "}}")), 201)
        .path("port");
  }

  @Test
  void aPortGetsAnAddressAndAMacAndIsShownAsNeutronDoes() {
    setUp(member);
    JsonNode made = port(member, ", \"name\": \"p1\"");
    assertEquals("DOWN", made.path("status").asText());
    assertTrue(made.path("mac_address").asText().startsWith("fa:16:3e:"), made.toString());
    assertEquals("[{\"subnet_id\":\"" + subnet + "\",\"ip_address\":\"10.1.0.3\"}]", made.path("fixed_ips").toString(),
        ".1 is the gateway, .2 the DHCP server's");
    assertEquals("normal", made.path("binding:vnic_type").asText());
    assertFalse(made.has("binding:host_id"), "binding details are the admin's");
    String id = made.path("id").asText();
    assertEquals(made, json(api.run(get(PORTS + "/" + id, member)), 200).path("port"));
    JsonNode byAdmin = json(api.run(get(PORTS + "/" + id, admin)), 200).path("port");
    assertEquals("unbound", byAdmin.path("binding:vif_type").asText());
    assertEquals("", byAdmin.path("binding:host_id").asText());

    JsonNode second = port(member, ", \"fixed_ips\": [{\"subnet_id\": \"" + subnet + "\", \"ip_address\": \"10.1.0.50\"}]");
    assertEquals("10.1.0.50", second.path("fixed_ips").get(0).path("ip_address").asText());
    assertEquals("IpAddressAlreadyAllocated", neutronError(api.run(post(PORTS, member, "{\"port\": {\"network_id\": \""
        + network + "\", \"fixed_ips\": [{\"ip_address\": \"10.1.0.50\"}]}}")), 409)[0]);
    assertEquals(List.of(second.path("id").asText()), json(api.run(get(PORTS + "?fixed_ips=ip_address%3D10.1.0.50",
        member)), 200).path("ports").findValuesAsText("id"));

    JsonNode changed = json(api.run(put(PORTS + "/" + id, member, "{\"port\": {\"name\": \"p2\", "
        + "\"admin_state_up\": false, \"device_id\": \"dev\", \"allowed_address_pairs\": [{\"ip_address\": "
        + "\"10.1.0.100\"}]}}")), 200).path("port");
    assertEquals("p2", changed.path("name").asText());
    assertFalse(changed.path("admin_state_up").asBoolean());
    assertEquals(made.path("mac_address"), changed.path("allowed_address_pairs").get(0).path("mac_address"));
    assertEquals(409, api.run(delete(NetworkRoutesTest.NETWORKS + "/" + network, member)).statusCode());
    assertEquals(204, api.run(delete(PORTS + "/" + id, member)).statusCode());
    assertEquals(204, api.run(delete(PORTS + "/" + second.path("id").asText(), member)).statusCode());
    assertEquals("PortNotFound", neutronError(api.run(get(PORTS + "/" + id, member)), 404)[0]);
    // a delete answered is done: the network has no port left
    assertEquals(204, api.run(delete(NetworkRoutesTest.NETWORKS + "/" + network, member)).statusCode());
  }

  @Test
  void aPortsAddressesAndMacChangeAllOrNothing() {
    setUp(member);
    JsonNode p = port(member, ", \"fixed_ips\": [{\"ip_address\": \"10.1.0.10\"}]");
    String id = p.path("id").asText();
    String other = port(member, ", \"fixed_ips\": [{\"ip_address\": \"10.1.0.11\"}]").path("id").asText();
    String ip = "{\"subnet_id\": \"" + subnet + "\", \"ip_address\": \"%s\"}";
    // a second address, the first kept (asked by subnet alone, as Neutron keeps it)
    JsonNode two = json(api.run(put(PORTS + "/" + id, member, "{\"port\": {\"fixed_ips\": [{\"subnet_id\": \""
        + subnet + "\"}, " + ip.formatted("10.1.0.20") + "]}}")), 200).path("port");
    assertEquals(List.of("10.1.0.10", "10.1.0.20"), two.path("fixed_ips").findValuesAsText("ip_address"));
    // one taken by another port: refused, and the port keeps both it had
    assertEquals("IpAddressAlreadyAllocated", neutronError(api.run(put(PORTS + "/" + id, member,
        "{\"port\": {\"fixed_ips\": [" + ip.formatted("10.1.0.30") + ", " + ip.formatted("10.1.0.11") + "]}}")),
        409)[0]);
    assertEquals(List.of("10.1.0.10", "10.1.0.20"), json(api.run(get(PORTS + "/" + id, member)), 200).path("port")
        .path("fixed_ips").findValuesAsText("ip_address"));
    assertTrue(json(api.run(get(PORTS + "?fixed_ips=ip_address%3D10.1.0.30", member)), 200).path("ports").isEmpty());
    // down to one: the other goes back to the network, and another port can take it
    json(api.run(put(PORTS + "/" + id, member, "{\"port\": {\"fixed_ips\": [" + ip.formatted("10.1.0.20")
        + "]}}")), 200);
    JsonNode took = json(api.run(put(PORTS + "/" + other, member, "{\"port\": {\"fixed_ips\": ["
        + ip.formatted("10.1.0.10") + "]}}")), 200).path("port");
    assertEquals(List.of("10.1.0.10"), took.path("fixed_ips").findValuesAsText("ip_address"));
    // none at all
    assertTrue(json(api.run(put(PORTS + "/" + id, member, "{\"port\": {\"fixed_ips\": []}}")), 200).path("port")
        .path("fixed_ips").isEmpty());

    // the MAC: the admin's to change (Neutron's policy), and only while the port is bound to no host
    assertEquals("PolicyNotAuthorized", neutronError(api.run(put(PORTS + "/" + id, member,
        "{\"port\": {\"mac_address\": \"fa:16:3e:aa:bb:cc\"}}")), 403)[0]);
    assertEquals("fa:16:3e:aa:bb:cc", json(api.run(put(PORTS + "/" + id, admin,
        "{\"port\": {\"mac_address\": \"FA-16-3E-AA-BB-CC\"}}")), 200).path("port").path("mac_address").asText());
    assertEquals("MacAddressInUse", neutronError(api.run(put(PORTS + "/" + other, admin,
        "{\"port\": {\"mac_address\": \"fa:16:3e:aa:bb:cc\"}}")), 409)[0]);
    json(api.run(put(PORTS + "/" + id, admin, "{\"port\": {\"binding:host_id\": \"host-1\"}}")), 200);
    assertEquals("PortBound", neutronError(api.run(put(PORTS + "/" + id, admin,
        "{\"port\": {\"mac_address\": \"fa:16:3e:aa:bb:cd\"}}")), 409)[0]);
    // another project's port is not there to re-address
    assertEquals("PortNotFound", neutronError(api.run(put(PORTS + "/" + other, stranger, "{\"port\": {\"fixed_ips\": ["
        + ip.formatted("10.1.0.40") + "]}}")), 404)[0]);
  }

  @Test
  void anotherProjectsPortsAreHiddenAndAddressesAreTheNetworkOwners() {
    setUp(member);
    String id = port(member, "").path("id").asText();
    assertEquals("PortNotFound", neutronError(api.run(get(PORTS + "/" + id, stranger)), 404)[0]);
    assertEquals("PortNotFound", neutronError(api.run(delete(PORTS + "/" + id, stranger)), 404)[0]);
    assertFalse(json(api.run(get(PORTS, stranger)), 200).path("ports").findValuesAsText("id").contains(id));
    assertEquals("NetworkNotFound", neutronError(api.run(post(PORTS, stranger, "{\"port\": {\"network_id\": \""
        + network + "\"}}")), 404)[0]);
    // on an admin's shared network, a project's port may not pick its address or MAC
    String shared = json(api.run(post(NetworkRoutesTest.NETWORKS, admin, "{\"network\": {\"shared\": true}}")), 201)
        .path("network").path("id").asText();
    String sharedSubnet = json(api.run(post(SubnetRoutesTest.SUBNETS, admin, "{\"subnet\": {\"network_id\": \""
        + shared + "\", \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}")), 201).path("subnet").path("id").asText();
    String[] denied = neutronError(api.run(post(PORTS, stranger, "{\"port\": {\"network_id\": \"" + shared
        + "\", \"fixed_ips\": [{\"subnet_id\": \"" + sharedSubnet + "\", \"ip_address\": \"10.2.0.9\"}]}}")), 403);
    assertEquals("(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and "
        + "rule:create_port:fixed_ips:ip_address))) is disallowed by policy", denied[1]);
    assertEquals("PolicyNotAuthorized", neutronError(api.run(post(PORTS, stranger, "{\"port\": {\"network_id\": \""
        + shared + "\", \"mac_address\": \"fa:16:3e:00:00:01\"}}")), 403)[0]);
    JsonNode theirs = json(api.run(post(PORTS, stranger, "{\"port\": {\"network_id\": \"" + shared + "\"}}")), 201)
        .path("port");
    assertEquals(sharedSubnet, theirs.path("fixed_ips").get(0).path("subnet_id").asText());
    // the network's owner sees the ports on it
    assertTrue(json(api.run(get(PORTS + "?network_id=" + shared, admin)), 200).path("ports").findValuesAsText("id")
        .contains(theirs.path("id").asText()));
  }

  @Test
  void anAdminBindsAPortToAHost() {
    setUp(admin);
    JsonNode bound = port(admin, ", \"binding:host_id\": \"host-1\", \"device_owner\": \"compute:nova\"");
    assertEquals("host-1", bound.path("binding:host_id").asText());
    assertEquals("bridge", bound.path("binding:vif_type").asText());
    String[] denied = neutronError(api.run(post(PORTS, member, "{\"port\": {\"network_id\": \""
        + json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {}}")), 201).path("network").path("id")
            .asText() + "\", \"binding:host_id\": \"host-1\"}}")), 403);
    assertEquals("(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy", denied[1]);
  }
}
