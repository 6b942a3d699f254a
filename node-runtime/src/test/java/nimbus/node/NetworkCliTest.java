package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code openstack} CLI (Debian's python3-openstackclient) on Neutron's networks,
 * subnets and ports of an all-in-one node, by name as users type them, and on servers' NICs:
 * {@code server create --network}, {@code server add port} and {@code remove port}, the
 * addresses {@code server show} lists.
 */
class NetworkCliTest {
  private static OpenstackCli cli;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("cli-net-user", "pw-net", "cli-net", "member");
    a.createUserInProject("cli-net-other", "pw-other", "cli-net-2", "member");
    cli = new OpenstackCli(n, n.settings().dataDir())
        .cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin")
        .cloud("user", "cli-net-user", "pw-net", "cli-net")
        .cloud("other", "cli-net-other", "pw-other", "cli-net-2");
  });

  private static JsonNode json(String cloud, String... args) throws Exception {
    return cli.json(cloud, args);
  }

  @Test
  void theCliWorksNetworksSubnetsAndPorts() throws Exception {
    JsonNode net = json("user", "network", "create", "cli-net-a");
    assertEquals("cli-net-a", net.path("name").asText());
    assertEquals("ACTIVE", net.path("status").asText());
    assertEquals(1450, net.path("mtu").asInt());
    String netId = net.path("id").asText();
    assertTrue(json("user", "network", "list").findValuesAsText("ID").contains(netId));
    assertEquals(netId, json("user", "network", "show", "cli-net-a").path("id").asText());
    cli.run("user", "network", "set", "--name", "cli-net-b", "cli-net-a");
    assertEquals("cli-net-b", json("user", "network", "show", netId).path("name").asText());
    assertEquals("vxlan", json("admin", "network", "show", netId).path("provider:network_type").asText());

    JsonNode subnet = json("user", "subnet", "create", "--network", "cli-net-b", "--subnet-range", "10.0.0.0/24",
        "cli-sub");
    assertEquals("10.0.0.1", subnet.path("gateway_ip").asText());
    String subnetId = subnet.path("id").asText();
    assertTrue(json("user", "subnet", "list").findValuesAsText("ID").contains(subnetId));
    assertEquals("10.0.0.0/24", json("user", "subnet", "show", "cli-sub").path("cidr").asText());
    cli.run("user", "subnet", "set", "--name", "cli-sub-2", "--dns-nameserver", "9.9.9.9", "cli-sub");
    JsonNode changed = json("user", "subnet", "show", subnetId);
    assertEquals("cli-sub-2", changed.path("name").asText());
    assertTrue(changed.path("dns_nameservers").toString().contains("9.9.9.9"), changed.toString());

    JsonNode port = json("user", "port", "create", "--network", "cli-net-b", "--fixed-ip",
        "subnet=cli-sub-2,ip-address=10.0.0.42", "cli-port");
    String portId = port.path("id").asText();
    assertTrue(port.path("fixed_ips").toString().contains("10.0.0.42"), port.toString());
    JsonNode auto = json("user", "port", "create", "--network", netId, "cli-port-auto");
    assertTrue(auto.path("fixed_ips").toString().contains("10.0.0.3"), auto.toString()); // .2: the DHCP server's
    List<String> ports = json("user", "port", "list").findValuesAsText("ID");
    assertTrue(ports.containsAll(List.of(portId, auto.path("id").asText())), ports.toString());
    assertEquals("DOWN", json("user", "port", "show", "cli-port").path("status").asText());
    cli.run("user", "port", "set", "--name", "cli-port-2", "--description", "mine", "cli-port");
    JsonNode renamed = json("user", "port", "show", portId);
    assertEquals("cli-port-2", renamed.path("name").asText());
    assertEquals("mine", renamed.path("description").asText());

    // a port's addresses change with `port set --fixed-ip` (all asked, the old one kept by its address)
    cli.run("user", "port", "set", "--fixed-ip", "subnet=cli-sub-2,ip-address=10.0.0.43", "cli-port-2");
    String both = json("user", "port", "show", portId).path("fixed_ips").toString();
    assertTrue(both.contains("10.0.0.42") && both.contains("10.0.0.43"), both);

    // a subnet from a subnet pool: a CIDR of the pool's default length, given back when the subnet goes
    JsonNode pool = json("user", "subnet", "pool", "create", "--pool-prefix", "10.60.0.0/16", "--default-prefix-length",
        "26", "cli-pool");
    assertEquals("[\"10.60.0.0/16\"]", pool.path("prefixes").toString().replace(" ", ""));
    JsonNode fromPool = json("user", "subnet", "create", "--network", "cli-net-b", "--subnet-pool", "cli-pool",
        "cli-pool-sub");
    assertEquals("10.60.0.0/26", fromPool.path("cidr").asText());
    assertTrue(json("user", "subnet", "pool", "list").findValuesAsText("ID").contains(pool.path("id").asText()));
    assertFalse(json("other", "subnet", "pool", "list").findValuesAsText("ID").contains(pool.path("id").asText()));
    cli.run("user", "subnet", "delete", "cli-pool-sub");
    cli.run("user", "subnet", "pool", "delete", "cli-pool");
    assertFalse(json("user", "subnet", "pool", "list").findValuesAsText("ID").contains(pool.path("id").asText()));

    // another project sees none of it
    assertFalse(json("other", "network", "list").findValuesAsText("ID").contains(netId));
    assertFalse(json("other", "port", "list").findValuesAsText("ID").contains(portId));

    cli.run("user", "port", "delete", "cli-port-2", "cli-port-auto");
    assertFalse(json("user", "port", "list").findValuesAsText("ID").contains(portId));
    cli.run("user", "subnet", "delete", "cli-sub-2");
    assertFalse(json("user", "subnet", "list").findValuesAsText("ID").contains(subnetId));
    cli.run("user", "network", "delete", "cli-net-b");
    assertFalse(json("user", "network", "list").findValuesAsText("ID").contains(netId));
  }

  @Test
  void theCliPutsServersOnNetworksAndAddsAndRemovesPorts() throws Exception {
    String netId = json("user", "network", "create", "cli-srv-net").path("id").asText();
    json("user", "subnet", "create", "--network", "cli-srv-net", "--subnet-range", "10.3.0.0/24", "cli-srv-sub");
    JsonNode server = json("user", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--network", "cli-srv-net", "--wait", "cli-srv");
    String serverId = server.path("id").asText();
    JsonNode shown = json("user", "server", "show", "cli-srv");
    assertEquals("ACTIVE", shown.path("status").asText());
    assertTrue(shown.path("addresses").toString().contains("cli-srv-net") && shown.path("addresses").toString().contains("10.3.0."),
        "server show lists the address on its network: " + shown.path("addresses"));

    String extra = json("user", "port", "create", "--network", netId, "--fixed-ip", "subnet=cli-srv-sub,ip-address=10.3.0.77",
        "cli-extra").path("id").asText();
    cli.run("user", "server", "add", "port", "cli-srv", "cli-extra");
    Eventually.until(Duration.ofSeconds(30), () -> json("user", "server", "show", serverId).path("addresses").toString()
        .contains("10.3.0.77"));
    assertEquals(serverId, json("user", "port", "show", extra).path("device_id").asText());
    cli.run("user", "server", "remove", "port", "cli-srv", "cli-extra");
    Eventually.until(Duration.ofSeconds(30), () -> !json("user", "server", "show", serverId).path("addresses").toString()
        .contains("10.3.0.77"));
    Eventually.until(Duration.ofSeconds(30), () -> json("user", "port", "show", extra).path("device_id").asText().isEmpty());

    cli.run("user", "server", "delete", "--wait", "cli-srv");
    cli.run("user", "port", "delete", "cli-extra");
    Eventually.until(Duration.ofSeconds(30), () -> {
      cli.run("user", "network", "delete", "cli-srv-net"); // once the server's own port has gone with it
      return true;
    });
    assertFalse(json("user", "network", "list").findValuesAsText("ID").contains(netId));
  }
}
