package nimbus.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import nimbus.compute.BootSource;
import nimbus.compute.HostAgentCommand.SpawnServer;
import nimbus.compute.InstanceMetadata;
import nimbus.compute.PowerState;
import nimbus.compute.Resources;
import nimbus.config.HostSettings;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.node.dataplane.RecordingDataplane;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.node.hypervisor.LibvirtHypervisor;
import nimbus.node.metadata.GuestNic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's config drive on a host: a real ISO made by genisoimage beside the server's files,
 * attached to its domain (libvirt's test driver) as a read-only cdrom, read back with isoinfo,
 * and gone with the server.
 */
class ConfigDriveAgentTest {
  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9vZm9v alice@laptop";
  private static final String USER_DATA = "#cloud-config\nruncmd: [echo hi]\n";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  Path dir;
  private final String serverId = UUID.randomUUID().toString();
  private final ScriptedCommands commands = new ScriptedCommands();
  private final ProcessRunner real = new ProcessRunner();
  private Hypervisor hypervisor;
  private ServerOperations operations;
  private Path instance;

  @BeforeEach
  void host() throws IOException {
    Path driver = Files.writeString(dir.resolve("host.xml"), """
        <node>
          <cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
          <memory>8388608</memory>
        </node>
        """);
    HostSettings settings = new HostSettings("cd-host", "test://" + driver, "test", dir.resolve("instances"),
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, 1.0, 1.0, 10, "recording",
        "nimbus-cd0", "10.99.0.0/24", dir.resolve("dhcp"), "nova", Duration.ofDays(1), "192.0.2.10");
    hypervisor = new LibvirtHypervisor(settings.hypervisorUri());
    operations = new ServerOperations(hypervisor, settings, commands,
        new RecordingDataplane(new LocalNetwork(settings.bridge(), settings.cidr())),
        new ImageCache(dir.resolve("instances/_base"), null), null);
    instance = settings.instancesDir().resolve(serverId);
  }

  @AfterEach
  void close() {
    hypervisor.close();
  }

  private SpawnServer server(boolean configDrive) {
    // a kernel-booted server: the test driver boots without the file, and no qemu-img runs
    BootSource boot = new BootSource("image", Optional.empty(), Optional.empty(),
        Optional.of(dir.resolve("vmlinuz").toString()), Optional.empty());
    InstanceMetadata metadata = new InstanceMetadata(serverId, "web \"1\"", "proj-1", "nova", Map.of("role", "db"),
        Optional.of("alice"), Optional.of(KEY),
        Optional.of(Base64.getEncoder().encodeToString(USER_DATA.getBytes(StandardCharsets.UTF_8))), configDrive);
    return new SpawnServer(serverId, "web", new Resources(1, 128, 0), boot, true, List.of(), true, metadata);
  }

  private static GuestNic nic() {
    return new GuestNic("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "fa:16:3e:00:00:01",
        "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", 1450, List.of(new GuestNic.Address("10.0.0.5", "10.0.0.0/24",
            Optional.of("10.0.0.1"), List.of(), List.of(), false, Optional.empty())));
  }

  /** The genisoimage of a spawn runs for real. */
  private void genisoimageRuns() {
    commands.then(call -> real.run(call.command(), call.timeout()));
  }

  private String fromIso(Path iso, String path) {
    return real.run(List.of("isoinfo", "-R", "-i", iso.toString(), "-x", path), Duration.ofSeconds(30));
  }

  private String definition() {
    return hypervisor.definition(ServerOperations.domainName(serverId)).orElseThrow();
  }

  @Test
  void aSpawnMakesTheIsoAttachesItAndDestroyRemovesIt() throws Exception {
    genisoimageRuns();
    assertEquals(PowerState.RUNNING, operations.spawn(server(true), List.of(), List.of(nic())));

    Path iso = instance.resolve("disk.config");
    assertTrue(Files.isRegularFile(iso));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(iso)),
        "the tenant's user data is no other host user's to read");
    List<String> command = commands.calls().get(0).command();
    assertEquals("genisoimage", command.get(0));
    assertEquals("config-2", command.get(command.indexOf("-V") + 1));
    assertTrue(real.run(List.of("isoinfo", "-d", "-i", iso.toString()), Duration.ofSeconds(30))
        .contains("Volume id: config-2"), "cloud-init finds the drive by its label");

    JsonNode md = JSON.readTree(fromIso(iso, "/openstack/latest/meta_data.json"));
    assertEquals(serverId, md.get("uuid").asText());
    assertEquals(KEY, md.get("public_keys").get("alice").asText());
    assertEquals("web \"1\"", md.get("name").asText());
    assertEquals(USER_DATA.strip(), fromIso(iso, "/openstack/latest/user_data"), "(the runner strips output)");
    assertEquals("10.0.0.5", JSON.readTree(fromIso(iso, "/openstack/latest/network_data.json"))
        .get("networks").get(0).get("ip_address").asText());
    assertEquals(KEY, JSON.readTree(fromIso(iso, "/ec2/latest/meta-data.json"))
        .get("public-keys").get("0").get("openssh-key").asText());
    // plain ISO 9660 names too, for a reader without Rock Ridge: lower case and dots kept, as
    // Nova's genisoimage options (-allow-lowercase -allow-multidot -l) make them
    assertEquals(serverId, JSON.readTree(real.run(List.of("isoinfo", "-i", iso.toString(), "-x",
        "/openstack/latest/meta_data.json;1"), Duration.ofSeconds(30))).get("uuid").asText());

    String definition = definition();
    assertTrue(definition.contains("device='cdrom'"), definition);
    assertTrue(definition.contains("<source file='" + iso + "'/>"), definition);
    assertTrue(definition.contains("<readonly/>"), definition);

    operations.destroy(serverId);
    assertFalse(Files.exists(iso));
    assertFalse(Files.exists(instance));
  }

  @Test
  void aSpawnSentAgainMakesTheDriveAgainAndLeavesNoScratchFiles() throws Exception {
    genisoimageRuns();
    operations.spawn(server(true), List.of(), List.of());
    genisoimageRuns();
    operations.spawn(server(true), List.of(), List.of());
    assertEquals(2, commands.calls().size());
    try (Stream<Path> files = Files.list(instance)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertTrue(names.contains("disk.config"), names.toString());
      assertTrue(names.stream().noneMatch(n -> n.startsWith("config-drive-") || n.endsWith(".new")), names.toString());
    }
    assertEquals(serverId, JSON.readTree(fromIso(instance.resolve("disk.config"), "/openstack/latest/meta_data.json"))
        .get("uuid").asText());
    // without NICs described, network_data.json is Nova's empty document
    assertEquals(0, JSON.readTree(fromIso(instance.resolve("disk.config"), "/openstack/latest/network_data.json")).size());
  }

  @Test
  void aServerThatAskedForNoDriveHasNone() throws Exception {
    operations.spawn(server(false), List.of(), List.of());
    assertEquals(List.of(), commands.calls(), "no genisoimage");
    assertFalse(Files.exists(instance.resolve("disk.config")));
    assertFalse(definition().contains("cdrom"), definition());
  }

  @Test
  void aFailedIsoFailsTheSpawnBeforeThereIsADomainAndLeavesNothingHalfMade() throws Exception {
    commands.thenFail("genisoimage: No space left on device");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> operations.spawn(server(true), List.of(), List.of()));
    assertTrue(e.getMessage().contains("No space left"), e.getMessage());
    assertTrue(hypervisor.state(ServerOperations.domainName(serverId)).isEmpty(), "no domain");
    try (Stream<Path> files = Files.list(instance)) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertTrue(names.stream().noneMatch(n -> n.startsWith("config-drive-") || n.startsWith("disk.config")),
          names.toString());
    }
  }
}
