package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code openstack} CLI (Debian's python3-openstackclient) against an all-in-one node:
 * tokens, the catalog, the project/user/role workflow, and two users of two projects who cannot
 * see each other's servers.
 */
class OpenstackCliTest {
  private static Node node;
  private static OpenstackCli cli;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    cli = new OpenstackCli(n, n.settings().dataDir())
        .cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin")
        .cloud("one", "cli-user-one", "pw-one", "cli-one")
        .cloud("two", "cli-user-two", "pw-two", "cli-two");
  });

  private static String cli(String cloud, String... args) throws Exception {
    return cli.run(cloud, args);
  }

  private static JsonNode json(String cloud, String... args) throws Exception {
    return cli.json(cloud, args);
  }

  @Test
  void theCliWorksTheIdentityAndKeepsProjectsApart() throws Exception {
    JsonNode token = json("admin", "token", "issue");
    assertFalse(token.path("id").asText().isEmpty());
    assertFalse(token.path("project_id").asText().isEmpty());

    JsonNode catalog = json("admin", "catalog", "list");
    List<String> types = catalog.findValuesAsText("Type");
    assertTrue(types.containsAll(List.of("identity", "compute", "network", "volumev3", "image")), types.toString());

    String one = json("admin", "project", "create", "cli-one").path("id").asText();
    json("admin", "project", "create", "--description", "second", "cli-two");
    JsonNode user = json("admin", "user", "create", "--project", "cli-one", "--password", "pw-one", "cli-user-one");
    assertEquals(one, user.path("default_project_id").asText());
    json("admin", "user", "create", "--project", "cli-two", "--password", "pw-two", "cli-user-two");
    cli("admin", "role", "add", "--project", "cli-one", "--user", "cli-user-one", "member");
    cli("admin", "role", "add", "--project", "cli-two", "--user", "cli-user-two", "member");
    JsonNode assignments = json("admin", "role", "assignment", "list", "--user", "cli-user-one",
        "--project", "cli-one", "--names");
    assertEquals(1, assignments.size(), assignments.toString());
    assertEquals("member", assignments.get(0).path("Role").asText());
    assertEquals("cli-user-one@Default", assignments.get(0).path("User").asText());
    assertTrue(json("admin", "project", "list").findValuesAsText("Name").containsAll(List.of("admin", "cli-one", "cli-two")));
    assertTrue(json("admin", "user", "list").findValuesAsText("Name").containsAll(List.of("admin", "cli-user-one", "cli-user-two")));
    assertEquals("cli-two", json("admin", "project", "show", "cli-two").path("name").asText());

    // keypairs: one generated (its private key is printed once), one imported
    assertTrue(cli("one", "keypair", "create", "generated").contains("BEGIN RSA PRIVATE KEY"));
    Path publicKey = Files.writeString(NODE.data().resolve("imported.pub"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O test@nimbus\n");
    assertEquals("ea:e3:38:49:07:86:61:f4:61:71:31:be:fa:8a:af:2b", json("one", "keypair", "create",
        "--public-key", publicKey.toString(), "imported").path("fingerprint").asText());
    assertEquals(List.of("generated", "imported"), json("one", "keypair", "list").findValuesAsText("Name"));
    assertTrue(json("two", "keypair", "list").isEmpty(), "keypairs are their user's own");

    // each user creates a server with the CLI and lists only its own
    String serverOne = json("one", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--key-name", "imported", "--wait", "one-server").path("id").asText();
    assertEquals("imported", json("one", "server", "show", serverOne).path("key_name").asText());
    cli("one", "keypair", "delete", "generated");
    assertEquals(List.of("imported"), json("one", "keypair", "list").findValuesAsText("Name"));
    String serverTwo = json("two", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--wait", "two-server").path("id").asText();
    assertEquals("ACTIVE", json("one", "server", "show", serverOne).path("status").asText());
    Eventually.until(Duration.ofSeconds(20), () -> json("one", "server", "list", "-n").findValuesAsText("ID").contains(serverOne)
        && json("two", "server", "list", "-n").findValuesAsText("ID").contains(serverTwo));
    List<String> seenByOne = json("one", "server", "list", "-n").findValuesAsText("ID");
    List<String> seenByTwo = json("two", "server", "list", "-n").findValuesAsText("ID");
    assertFalse(seenByOne.contains(serverTwo), seenByOne.toString());
    assertFalse(seenByTwo.contains(serverOne), seenByTwo.toString());

    // the server's life through the CLI
    cli("one", "server", "stop", serverOne);
    Eventually.until(Duration.ofSeconds(20), () -> json("one", "server", "show", serverOne).path("status").asText().equals("SHUTOFF"));
    cli("one", "server", "start", serverOne);
    Eventually.until(Duration.ofSeconds(20), () -> json("one", "server", "show", serverOne).path("status").asText().equals("ACTIVE"));
    cli("one", "server", "reboot", "--hard", "--wait", serverOne);
    cli("one", "server", "pause", serverOne);
    Eventually.until(Duration.ofSeconds(20), () -> json("one", "server", "show", serverOne).path("status").asText().equals("PAUSED"));
    cli("one", "server", "unpause", serverOne);
    Eventually.until(Duration.ofSeconds(20), () -> json("one", "server", "show", serverOne).path("status").asText().equals("ACTIVE"));
    cli("one", "console", "log", "show", serverOne);
    // its metadata (Nova's server-metadata routes)
    cli("one", "server", "set", "--property", "role=web", "--property", "tier=1", serverOne);
    cli("one", "server", "unset", "--property", "tier", serverOne);
    JsonNode properties = json("one", "server", "show", serverOne).path("properties");
    assertEquals("web", properties.path("role").asText(), properties.toString());
    assertFalse(properties.has("tier"), properties.toString());
    AssertionError refused = assertThrows(AssertionError.class,
        () -> cli("two", "server", "set", "--property", "role=mine", serverOne), "another project's server");
    assertTrue(refused.getMessage().contains("No server with a name or ID"), refused.getMessage());
    cli("one", "server", "delete", "--wait", serverOne);
    assertFalse(json("one", "server", "list", "-n").findValuesAsText("ID").contains(serverOne));
    assertTrue(json("admin", "flavor", "list").findValuesAsText("Name").contains("m1.nano"));
    // a private flavor that only project one may use
    json("admin", "flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1", "--private", "cli.private");
    cli("admin", "flavor", "set", "--project", "cli-one", "cli.private");
    assertTrue(json("one", "flavor", "list").findValuesAsText("Name").contains("cli.private"));
    assertFalse(json("two", "flavor", "list").findValuesAsText("Name").contains("cli.private"));
    assertEquals(256, json("one", "flavor", "show", "cli.private").path("ram").asInt());
    cli("admin", "flavor", "delete", "cli.private");
    assertFalse(json("admin", "flavor", "list", "--all").findValuesAsText("Name").contains("cli.private"));
    assertEquals(List.of(node.settings().host().name()),
        json("admin", "hypervisor", "list").findValuesAsText("Hypervisor Hostname"));
    assertTrue(json("admin", "availability", "zone", "list", "--compute").findValuesAsText("Zone Name").contains("nova"));

    // taking the role away locks the user out of its project
    cli("two", "server", "delete", "--wait", serverTwo);
    cli("admin", "role", "remove", "--project", "cli-two", "--user", "cli-user-two", "member");
    assertTrue(json("admin", "role", "assignment", "list", "--user", "cli-user-two", "--names").isEmpty());
    cli("admin", "user", "delete", "cli-user-two");
    cli("admin", "project", "delete", "cli-two");
    assertFalse(json("admin", "project", "list").findValuesAsText("Name").contains("cli-two"));
  }

  /** Microversion 2.2 through the CLI: a typed keypair made, shown with its type and deleted. */
  @Test
  void theCliMakesTypedKeypairsAtTwoTwo() throws Exception {
    // the CLI prints a generated private key as it is (no table)
    assertTrue(cli("admin", "--os-compute-api-version", "2.2", "keypair", "create", "--type", "ssh", "typed-ssh")
        .contains("BEGIN RSA PRIVATE KEY"));
    JsonNode ssh = json("admin", "--os-compute-api-version", "2.2", "keypair", "show", "typed-ssh");
    assertEquals("ssh", ssh.path("type").asText(), ssh.toString());
    cli("admin", "--os-compute-api-version", "2.2", "keypair", "delete", "typed-ssh");
    assertFalse(json("admin", "keypair", "list").findValuesAsText("Name").contains("typed-ssh"));
  }

  /** 2.19's description and 2.26's tags, as the CLI sets, shows, filters by and unsets them. */
  @Test
  void theCliDescribesAndTagsServers() throws Exception {
    String id = json("admin", "--os-compute-api-version", "2.19", "server", "create", "--flavor", "m1.nano",
        "--image", Api.TEST_IMAGE, "--description", "the tagged one", "--wait", "cli-tagged").path("id").asText();
    assertEquals("the tagged one", json("admin", "--os-compute-api-version", "2.19", "server", "show", id)
        .path("description").asText());
    cli("admin", "--os-compute-api-version", "2.26", "server", "set", "--tag", "a", "--tag", "b", id);
    JsonNode tagged = json("admin", "--os-compute-api-version", "2.26", "server", "show", id);
    assertTrue(tagged.path("tags").toString().contains("a") && tagged.path("tags").toString().contains("b"),
        tagged.toString());
    assertEquals(List.of(id), json("admin", "--os-compute-api-version", "2.26", "server", "list", "--tags", "a")
        .findValuesAsText("ID"));
    assertEquals(List.of(), json("admin", "--os-compute-api-version", "2.26", "server", "list", "--tags", "a,zz")
        .findValuesAsText("ID"));
    cli("admin", "--os-compute-api-version", "2.26", "server", "unset", "--tag", "a", id);
    assertEquals(List.of(), json("admin", "--os-compute-api-version", "2.26", "server", "list", "--tags", "a")
        .findValuesAsText("ID"));
    assertEquals(List.of(id), json("admin", "--os-compute-api-version", "2.26", "server", "list", "--tags", "b")
        .findValuesAsText("ID"));
    cli("admin", "server", "delete", "--wait", id);
  }

  @Test
  void theCliCreatesAServerWithUserDataAndAConfigDrive() throws Exception {
    Path userData = Files.writeString(NODE.data().resolve("user-data.yaml"), "#cloud-config\nhostname: from-cli\n");
    Path publicKey = Files.writeString(NODE.data().resolve("config-drive.pub"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O drive@nimbus\n");
    json("admin", "keypair", "create", "--public-key", publicKey.toString(), "drive-key");
    String id = json("admin", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--key-name", "drive-key", "--user-data", userData.toString(), "--config-drive", "True", "--wait",
        "with-drive").path("id").asText();
    assertEquals("True", json("admin", "server", "show", id).path("config_drive").asText());
    // what the CLI sent arrived: the host's drive holds the user data as the file had it
    Path iso = node.settings().host().instancesDir().resolve(id).resolve("disk.config");
    Process read = new ProcessBuilder("isoinfo", "-R", "-i", iso.toString(), "-x", "/openstack/latest/user_data")
        .redirectErrorStream(true).start();
    assertEquals(Files.readString(userData), new String(read.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals(0, read.waitFor());
    cli("admin", "server", "delete", "--wait", id);
    cli("admin", "keypair", "delete", "drive-key");
  }

  @Test
  void theCliWorksImagesSnapshotsAndResizes() throws Exception {
    // an image made from a file, as a user would upload one
    Path file = TestImages.qcow2(NODE.data().resolve("cli-root.qcow2"), "32M");
    String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(Files.readAllBytes(file)));
    String imageId = json("admin", "image", "create", "--file", file.toString(), "--disk-format", "qcow2",
        "--container-format", "bare", "--public", "--property", "os_distro=nimbus", "cli-root").path("id").asText();
    JsonNode image = json("admin", "image", "show", "cli-root");
    assertEquals(imageId, image.path("id").asText());
    assertEquals("active", image.path("status").asText());
    assertEquals(md5, image.path("checksum").asText());
    assertEquals(Files.size(file), image.path("size").asLong());
    assertTrue(json("admin", "image", "list").findValuesAsText("Name").contains("cli-root"));
    cli("admin", "image", "set", "--property", "purpose=cli-test", "cli-root");
    assertTrue(json("admin", "image", "show", "cli-root").path("properties").toString().contains("cli-test"));
    Path saved = NODE.data().resolve("cli-root.saved");
    cli("admin", "image", "save", "--file", saved.toString(), "cli-root");
    assertEquals(-1L, Files.mismatch(file, saved), "the downloaded image is the uploaded file");

    json("admin", "flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1", "cli.one");
    json("admin", "flavor", "create", "--ram", "512", "--vcpus", "2", "--disk", "2", "cli.two");
    assertTrue(cli("admin", "keypair", "create", "cli-key").contains("BEGIN RSA PRIVATE KEY"));

    String server = json("admin", "server", "create", "--flavor", "cli.one", "--image", "cli-root",
        "--key-name", "cli-key", "--wait", "cli-vm").path("id").asText();
    JsonNode listed = json("admin", "server", "list", "--name", "cli-vm");
    assertEquals("cli-root", listed.get(0).path("Image").asText(), "the list names the server's image");
    assertEquals("cli.one", listed.get(0).path("Flavor").asText());
    assertEquals("ACTIVE", json("admin", "server", "show", server).path("status").asText());

    // a snapshot lands in the image service and is downloadable
    JsonNode snapshot = json("admin", "server", "image", "create", "--name", "cli-snap", "--wait", server);
    assertEquals("cli-snap", snapshot.path("name").asText());
    JsonNode snap = json("admin", "image", "show", "cli-snap");
    assertEquals("active", snap.path("status").asText());
    assertTrue(snap.path("size").asLong() > 0);
    assertTrue(snap.path("properties").toString().contains(server), "the snapshot names its server");

    // resize, then confirm
    cli("admin", "server", "resize", "--flavor", "cli.two", "--wait", server);
    JsonNode resized = json("admin", "server", "show", server);
    assertEquals("VERIFY_RESIZE", resized.path("status").asText());
    cli("admin", "server", "resize", "confirm", server);
    Eventually.until(Duration.ofSeconds(20), () -> json("admin", "server", "show", server).path("status").asText().equals("ACTIVE"));
    assertTrue(json("admin", "server", "show", server).path("flavor").asText().startsWith("cli.two"));
    String xml = node.hypervisor().definition("nimbus-" + server).orElseThrow();
    assertTrue(xml.contains("<memory unit='KiB'>524288</memory>"), xml);
    JsonNode hypervisor = json("admin", "hypervisor", "show", node.settings().host().name());
    assertTrue(hypervisor.path("memory_mb_used").asInt() >= 512);

    cli("admin", "server", "delete", "--wait", server);
    assertFalse(json("admin", "server", "list").findValuesAsText("ID").contains(server));
    cli("admin", "image", "delete", "cli-snap");
    assertFalse(json("admin", "image", "list").findValuesAsText("Name").contains("cli-snap"));
  }

  @Test
  void theCliShowsQuotasLimitsAndVersions() throws Exception {
    // every service's version and microversion range, as the version documents declare them
    Map<String, JsonNode> byService = new java.util.HashMap<>();
    json("admin", "versions", "show").forEach(v -> byService.put(v.path("Service Type").asText(), v));
    assertEquals("2.26", byService.get("compute").path("Max Microversion").asText(), byService.toString());
    assertEquals("2.1", byService.get("compute").path("Min Microversion").asText());
    assertTrue(byService.keySet().containsAll(List.of("identity", "image", "network", "block-storage")),
        byService.keySet().toString());
    // the absolute limits: compute's and the volume service's
    Map<String, Integer> limits = new java.util.HashMap<>();
    json("admin", "limits", "show", "--absolute").forEach(l -> limits.put(l.path("Name").asText(), l.path("Value").asInt()));
    assertTrue(limits.keySet().containsAll(List.of("maxTotalInstances", "maxTotalCores", "totalInstancesUsed",
        "maxTotalVolumes", "maxTotalVolumeGigabytes", "totalGigabytesUsed")), limits.toString());
    // one project's quotas from compute, network and volume together, the same as each service's limits say
    JsonNode quota = json("admin", "quota", "show", "admin");
    assertEquals(limits.get("maxTotalInstances"), quota.path("instances").asInt(), quota.toString());
    assertEquals(limits.get("maxTotalCores"), quota.path("cores").asInt(), quota.toString());
    assertEquals(limits.get("maxTotalVolumes"), quota.path("volumes").asInt(), quota.toString());
    assertEquals(limits.get("maxTotalVolumeGigabytes"), quota.path("gigabytes").asInt(), quota.toString());
    assertTrue(quota.path("networks").asInt() > 0 && quota.path("ports").asInt() > 0, quota.toString());
  }
}
