package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code openstack} CLI on security groups and their rules, on ports' groups and port
 * security, and on servers' groups, by name as users type them.
 */
class SecurityGroupCliTest {
  private static OpenstackCli cli;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("cli-sg-user", "pw-sg", "cli-sg", "member");
    a.createUserInProject("cli-sg-other", "pw-sg-other", "cli-sg-2", "member");
    cli = new OpenstackCli(n, n.settings().dataDir())
        .cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin")
        .cloud("user", "cli-sg-user", "pw-sg", "cli-sg")
        .cloud("other", "cli-sg-other", "pw-sg-other", "cli-sg-2");
  });

  private static JsonNode json(String cloud, String... args) throws Exception {
    return cli.json(cloud, args);
  }

  @Test
  void theCliWorksSecurityGroupsRulesAndPortsInThem() throws Exception {
    JsonNode web = json("user", "security", "group", "create", "--description", "web servers", "web");
    String webId = web.path("id").asText();
    assertEquals("web", web.path("name").asText());
    List<String> names = json("user", "security", "group", "list").findValuesAsText("Name");
    assertTrue(names.containsAll(List.of("default", "web")), names.toString());
    assertEquals(webId, json("user", "security", "group", "show", "web").path("id").asText());
    cli.run("user", "security", "group", "set", "--name", "www", "--description", "changed", "web");
    JsonNode renamed = json("user", "security", "group", "show", webId);
    assertEquals("www", renamed.path("name").asText());
    assertEquals("changed", renamed.path("description").asText());

    JsonNode ssh = json("user", "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "www");
    assertEquals("tcp", ssh.path("protocol").asText());
    assertEquals(22, ssh.path("port_range_min").asInt());
    assertEquals(22, ssh.path("port_range_max").asInt());
    assertEquals("ingress", ssh.path("direction").asText());
    JsonNode icmp = json("user", "security", "group", "rule", "create", "--protocol", "icmp", "www");
    assertEquals("icmp", icmp.path("protocol").asText());
    JsonNode fromDefault = json("user", "security", "group", "rule", "create", "--remote-group", "default", "www");
    assertEquals(json("user", "security", "group", "show", "default").path("id").asText(),
        fromDefault.path("remote_group_id").asText());
    List<String> rules = json("user", "security", "group", "rule", "list", "www").findValuesAsText("ID");
    assertEquals(5, rules.size(), rules.toString()); // two egress rules of its own, and these three
    cli.run("user", "security", "group", "rule", "delete", icmp.path("id").asText());
    assertFalse(json("user", "security", "group", "rule", "list", "www").findValuesAsText("ID")
        .contains(icmp.path("id").asText()));

    json("user", "network", "create", "sg-net");
    json("user", "subnet", "create", "--network", "sg-net", "--subnet-range", "10.3.0.0/24", "sg-sub");
    JsonNode port = json("user", "port", "create", "--network", "sg-net", "--security-group", "www", "sg-port");
    assertTrue(port.path("security_group_ids").toString().contains(webId), port.toString());
    cli.run("user", "port", "set", "--no-security-group", "sg-port");
    assertEquals("[]", json("user", "port", "show", "sg-port").path("security_group_ids").toString());
    cli.run("user", "port", "set", "--disable-port-security", "sg-port");
    assertFalse(json("user", "port", "show", "sg-port").path("port_security_enabled").asBoolean());

    // another project's group is not there for this one
    String theirs = json("other", "security", "group", "create", "theirs").path("id").asText();
    assertThrows(AssertionError.class, () -> cli.run("user", "security", "group", "show", theirs));
    assertThrows(AssertionError.class, () -> cli.run("user", "port", "create", "--network", "sg-net",
        "--security-group", theirs, "p"));

    cli.run("user", "security", "group", "delete", "www");
    assertFalse(json("user", "security", "group", "list").findValuesAsText("Name").contains("www"));
  }

  @Test
  void theCliPutsServersInGroupsAndTakesThemOut() throws Exception {
    String app = json("user", "security", "group", "create", "app").path("id").asText();
    json("user", "security", "group", "create", "ops");
    json("user", "network", "create", "sg-srv-net");
    json("user", "subnet", "create", "--network", "sg-srv-net", "--subnet-range", "10.4.0.0/24", "sg-srv-sub");
    String id = json("user", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE, "--network",
        "sg-srv-net", "--security-group", "app", "--wait", "sg-srv").path("id").asText();
    assertEquals("[{\"name\":\"app\"}]", groups(id));
    // this CLI looks a group up in Nova's proxy: by id, else by name in the project's list
    cli.run("user", "server", "add", "security", "group", "sg-srv", "ops");
    assertEquals("[{\"name\":\"app\"},{\"name\":\"ops\"}]", groups(id));
    cli.run("user", "server", "remove", "security", "group", "sg-srv", "app");
    assertEquals("[{\"name\":\"ops\"}]", groups(id));
    cli.run("user", "server", "add", "security", "group", "sg-srv", app);
    cli.run("user", "server", "remove", "security", "group", "sg-srv", app);
    assertThrows(AssertionError.class, () -> cli.run("user", "server", "remove", "security", "group", "sg-srv", app));
    // another project's group is not there for this project's server, nor this server for the other project
    String theirs = json("other", "security", "group", "create", "theirs").path("id").asText();
    assertThrows(AssertionError.class, () -> cli.run("user", "server", "add", "security", "group", "sg-srv", theirs));
    assertThrows(AssertionError.class, () -> cli.run("user", "server", "add", "security", "group", "sg-srv", "theirs"));
    String theirsToo = json("other", "security", "group", "create", "theirs-too").path("id").asText();
    assertThrows(AssertionError.class, () -> cli.run("other", "server", "add", "security", "group", id, theirsToo));
    assertEquals("[{\"name\":\"ops\"}]", groups(id));
    cli.run("user", "server", "delete", "--wait", "sg-srv");
  }

  private static String groups(String server) throws Exception {
    return json("user", "server", "show", server).path("security_groups").toString().replace(" ", "");
  }
}
