package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real {@code openstack} CLI against an all-in-one node: volume create, list, show, set and delete. */
class VolumeCliTest {
  private static OpenstackCli cli;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("cli-vol-user", "pw-vol", "cli-vol", "member");
    cli = new OpenstackCli(n, n.settings().dataDir()).cloud("user", "cli-vol-user", "pw-vol", "cli-vol");
  });

  private static String status(String name) throws Exception {
    return cli.json("user", "volume", "show", name).path("status").asText();
  }

  @Test
  void theCliCreatesListsShowsRenamesAndDeletesAVolume() throws Exception {
    JsonNode created = cli.json("user", "volume", "create", "--size", "1", "v");
    assertEquals("v", created.path("name").asText());
    assertEquals(1, created.path("size").asInt());
    String id = created.path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("v").equals("available"));
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "list").findValuesAsText("ID").contains(id));
    cli.run("user", "volume", "set", "--name", "v2", "--description", "renamed", "v");
    JsonNode shown = cli.json("user", "volume", "show", "v2");
    assertEquals(id, shown.path("id").asText());
    assertEquals("renamed", shown.path("description").asText());
    cli.run("user", "volume", "delete", "v2");
    Eventually.until(Duration.ofSeconds(30), () -> !cli.json("user", "volume", "list").findValuesAsText("ID").contains(id));
    assertFalse(cli.run("user", "volume", "list").contains("v2"));
  }
}
