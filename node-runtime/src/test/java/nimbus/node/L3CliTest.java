package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code openstack} CLI on routers and floating IPs of an all-in-one node: a gateway on
 * an external network, interfaces by subnet and by port, static routes, ports listed by router,
 * a floating IP set on a port and unset, all deleted again.
 */
class L3CliTest {
  private static OpenstackCli cli;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("cli-l3-user", "pw-l3", "cli-l3", "member");
    a.createUserInProject("cli-l3-other", "pw-l3-other", "cli-l3-2", "member");
    cli = new OpenstackCli(n, n.settings().dataDir())
        .cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin")
        .cloud("user", "cli-l3-user", "pw-l3", "cli-l3")
        .cloud("other", "cli-l3-other", "pw-l3-other", "cli-l3-2");
  });

  private static JsonNode json(String cloud, String... args) throws Exception {
    return cli.json(cloud, args);
  }

  @Test
  void theCliWorksRoutersAndFloatingIps() throws Exception {
    String publicId = json("admin", "network", "create", "--external", "cli-public").path("id").asText();
    json("admin", "subnet", "create", "--network", "cli-public", "--subnet-range", "172.30.0.0/24", "cli-public-sub");
    json("user", "network", "create", "cli-l3-a");
    json("user", "subnet", "create", "--network", "cli-l3-a", "--subnet-range", "10.40.0.0/24", "cli-l3-sub-a");
    json("user", "network", "create", "cli-l3-b");
    json("user", "subnet", "create", "--network", "cli-l3-b", "--subnet-range", "10.41.0.0/24", "cli-l3-sub-b");
    String userPort = json("user", "port", "create", "--network", "cli-l3-b", "cli-l3-rport").path("id").asText();

    String routerId = json("user", "router", "create", "cli-router").path("id").asText();
    cli.run("user", "router", "set", "--external-gateway", "cli-public", "cli-router");
    JsonNode router = json("user", "router", "show", "cli-router");
    assertTrue(router.path("external_gateway_info").toString().contains(publicId), router.toString());
    cli.run("user", "router", "add", "subnet", "cli-router", "cli-l3-sub-a");
    cli.run("user", "router", "add", "port", "cli-router", "cli-l3-rport");
    List<String> routerPorts = json("user", "port", "list", "--router", "cli-router").findValuesAsText("ID");
    assertEquals(3, routerPorts.size(), "gateway, subnet interface and the user's port: " + routerPorts);
    assertTrue(routerPorts.contains(userPort));

    cli.run("user", "router", "set", "--route", "destination=10.50.0.0/24,gateway=10.40.0.5", "cli-router");
    assertTrue(json("user", "router", "show", routerId).path("routes").toString().contains("10.50.0.0/24"));
    cli.run("user", "router", "unset", "--route", "destination=10.50.0.0/24,gateway=10.40.0.5", "cli-router");
    assertFalse(json("user", "router", "show", routerId).path("routes").toString().contains("10.50.0.0/24"));

    String guestPort = json("user", "port", "create", "--network", "cli-l3-a", "cli-l3-guest").path("id").asText();
    JsonNode fip = json("user", "floating", "ip", "create", "cli-public");
    String fipId = fip.path("id").asText();
    assertTrue(fip.path("floating_ip_address").asText().startsWith("172.30.0."), fip.toString());
    cli.run("user", "floating", "ip", "set", "--port", "cli-l3-guest", fipId);
    JsonNode set = json("user", "floating", "ip", "show", fipId);
    assertEquals(guestPort, set.path("port_id").asText());
    assertEquals(routerId, set.path("router_id").asText());
    assertFalse(json("other", "floating", "ip", "list").findValuesAsText("ID").contains(fipId));
    cli.run("user", "floating", "ip", "unset", "--port", fipId);
    assertTrue(json("user", "floating", "ip", "show", fipId).path("port_id").isNull());
    cli.run("user", "floating", "ip", "delete", fipId);
    assertFalse(json("user", "floating", "ip", "list").findValuesAsText("ID").contains(fipId));

    cli.run("user", "router", "remove", "subnet", "cli-router", "cli-l3-sub-a");
    cli.run("user", "router", "remove", "port", "cli-router", "cli-l3-rport");
    cli.run("user", "router", "delete", "cli-router");
    assertFalse(json("user", "router", "list").findValuesAsText("ID").contains(routerId));
    assertTrue(json("admin", "port", "list", "--device-id", routerId).isEmpty(), "the router's ports are gone");
  }

  @Test
  void aRouterAskedIntoAZoneRunsOnAHostOfItAndShowsTheZone() throws Exception {
    JsonNode made = json("user", "router", "create", "--availability-zone-hint", "nova", "cli-router-az");
    assertEquals(List.of("nova"), textsOf(made.path("availability_zone_hints")), made.toString());
    String id = made.path("id").asText();
    Eventually.until(java.time.Duration.ofSeconds(30), () ->
        textsOf(json("user", "router", "show", id).path("availability_zones")).equals(List.of("nova")));
    AssertionError unknown = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () ->
        cli.run("user", "router", "create", "--availability-zone-hint", "no-such-zone", "cli-router-nowhere"));
    assertTrue(unknown.getMessage().contains("AvailabilityZone no-such-zone could not be found"), unknown.getMessage());
    JsonNode zones = json("user", "availability", "zone", "list", "--network", "--long");
    assertTrue(zones.findValuesAsText("Zone Resource").contains("router"), zones.toString());
    cli.run("user", "router", "delete", id);
  }

  /** A list column as the CLI prints it in JSON (a list, or its items joined by commas). */
  private static List<String> textsOf(JsonNode column) {
    if (column.isArray()) {
      List<String> out = new java.util.ArrayList<>();
      column.forEach(e -> out.add(e.asText()));
      return out;
    }
    return column.asText().isEmpty() ? List.of() : List.of(column.asText().split(",\\s*"));
  }
}
