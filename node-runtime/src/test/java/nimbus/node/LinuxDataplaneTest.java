package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.nio.file.attribute.PosixFilePermissions;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.Lease;
import nimbus.node.dataplane.LinuxCommands;
import nimbus.node.dataplane.LinuxDataplane;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.node.dataplane.RecordingDataplane;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux dataplane for real, inside a network namespace of its own (a simulated host): the
 * bridge with its address comes up, dnsmasq serves static leases on it, doing it twice changes
 * nothing, and each server gets an address of its own.
 */
class LinuxDataplaneTest {
  private final ProcessRunner run = new ProcessRunner();
  private final String netns = "nimbus-t-" + UUID.randomUUID().toString().substring(0, 8);
  /** A second simulated host on this machine, for the test that needs two. */
  private final String otherNetns = netns + "-b";
  private final LocalNetwork network = new LocalNetwork("nbr-test", "10.123.0.0/24");
  /** The machine's DHCP directory: dnsmasq must be able to read it once it has dropped root. */
  private Path state;

  @TempDir
  Path privateDir;

  @BeforeEach
  void makeHost() throws Exception {
    state = Files.createTempDirectory("nimbus-dhcp", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    run.run(List.of("ip", "netns", "add", netns), Duration.ofSeconds(10));
  }

  @AfterEach
  void removeHost() {
    ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("--interface=nbr-test "))
        .forEach(ProcessHandle::destroy);
    run.run(List.of("ip", "netns", "delete", netns), Duration.ofSeconds(10));
    if (Files.exists(Path.of("/run/netns", otherNetns))) {
      run.run(List.of("ip", "netns", "delete", otherNetns), Duration.ofSeconds(10));
    }
    run.run(List.of("rm", "-rf", state.toString()), Duration.ofSeconds(10));
  }

  private String inHost(String... command) {
    List<String> all = new java.util.ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(List.of(command));
    return run.run(all, Duration.ofSeconds(10));
  }

  @Test
  void buildsTheBridgeAndServesStaticLeasesOnIt() throws Exception {
    LinuxDataplane dataplane = new LinuxDataplane(network, Optional.of(netns), run, state);
    dataplane.ensureLocalNetwork();
    String link = inHost("ip", "-o", "link", "show", "dev", "nbr-test");
    assertTrue(link.contains("state UP") || link.contains("UNKNOWN") || link.contains(",UP"), link);
    assertTrue(inHost("ip", "-o", "-4", "addr", "show", "dev", "nbr-test").contains("10.123.0.1/24"));
    ProcessHandle dnsmasq = dnsmasq();
    String line = dnsmasq.info().commandLine().orElse("");
    assertTrue(line.contains("--dhcp-range=10.123.0.0,static,255.255.255.0,12h"), line);
    assertTrue(line.contains("--dhcp-hostsdir=" + state.resolve("nbr-test/hosts")), line);

    dataplane.ensureLocalNetwork(); // again: nothing new
    assertEquals(dnsmasq.pid(), dnsmasq().pid());
    assertEquals(1, inHost("ip", "-o", "-4", "addr", "show", "dev", "nbr-test").lines().count());

    Lease a = dataplane.plug("server-a").orElseThrow();
    Lease b = dataplane.plug("server-b").orElseThrow();
    assertEquals(new Lease("nbr-test", "fa:16:3e:7b:00:0a", "10.123.0.10"), a);
    assertEquals("10.123.0.11", b.ip());
    assertEquals(a, dataplane.plug("server-a").orElseThrow(), "a server keeps its lease");
    assertEquals("fa:16:3e:7b:00:0a,10.123.0.10", Files.readString(state.resolve("nbr-test/hosts/server-a")).strip());
    dataplane.unplug("server-a");
    assertFalse(Files.exists(state.resolve("nbr-test/hosts/server-a")));
    assertEquals("10.123.0.10", dataplane.plug("server-c").orElseThrow().ip(), "a freed address is given again");
    assertThrows(IllegalArgumentException.class, () -> dataplane.plug("../escape"));
    assertEquals(java.util.Set.of("server-b", "server-c"), dataplane.leasedServers());

    // a node that follows on this machine with leases of its own takes the bridge's DHCP over
    Path other = Files.createDirectories(state.resolve("next-node"));
    new LinuxDataplane(network, Optional.of(netns), run, other).ensureLocalNetwork();
    assertTrue(dnsmasq.onExit().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS) != null);
    assertTrue(dnsmasq().info().commandLine().orElse("").contains("--dhcp-hostsdir=" + other.resolve("nbr-test/hosts")));
  }

  /**
   * Two hosts on one machine (network namespaces), each with a bridge of the same name and
   * leases of its own: neither node takes the other's DHCP for a leftover of its own bridge.
   */
  @Test
  void aDnsmasqOfAnotherHostsBridgeOfTheSameNameIsLeftAlone() throws Exception {
    run.run(List.of("ip", "netns", "add", otherNetns), Duration.ofSeconds(10));
    new LinuxDataplane(network, Optional.of(netns), run, Files.createDirectories(state.resolve("host-a")))
        .ensureLocalNetwork();
    ProcessHandle first = dnsmasq();
    LinuxDataplane other = new LinuxDataplane(network, Optional.of(otherNetns), run,
        Files.createDirectories(state.resolve("host-b")));
    other.ensureLocalNetwork();
    other.ensureLocalNetwork(); // and again, now that its own runs
    List<ProcessHandle> both = ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains("--interface=nbr-test ")).toList();
    assertEquals(2, both.size(), "one dnsmasq per host: " + both);
    assertTrue(first.isAlive(), "the first host's dnsmasq still serves its bridge");
    assertTrue(both.stream().anyMatch(p -> p.info().commandLine().orElse("")
        .contains("--dhcp-hostsdir=" + state.resolve("host-b/nbr-test/hosts") + " ")));
  }

  @Test
  void aDhcpDirectoryDnsmasqCannotReadIsRefusedWithTheFix() {
    LinuxDataplane dataplane = new LinuxDataplane(network, Optional.of(netns), run, privateDir.resolve("dhcp"));
    IllegalStateException e = assertThrows(IllegalStateException.class, dataplane::ensureLocalNetwork);
    assertTrue(e.getMessage().contains(privateDir + " is not searchable by others"), e.getMessage());
    assertTrue(e.getMessage().contains("nimbus.host.local-network.dhcp-dir"), e.getMessage());
  }

  /** The one dnsmasq serving the test bridge. */
  private static ProcessHandle dnsmasq() {
    List<ProcessHandle> found = ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains("dnsmasq")
            && p.info().commandLine().orElse("").contains("--interface=nbr-test "))
        .toList();
    assertEquals(1, found.size(), "dnsmasq processes on the bridge: " + found);
    return found.get(0);
  }

  @Test
  void theCommandsAndTheRecordingAgree() {
    LinuxCommands commands = new LinuxCommands(network, Optional.empty());
    assertEquals(List.of("ip", "link", "add", "name", "nbr-test", "type", "bridge"), commands.addBridge());
    assertEquals(List.of("ip", "addr", "replace", "10.123.0.1/24", "dev", "nbr-test"), commands.setAddress());
    assertEquals("ip", new LinuxCommands(network, Optional.of("h1")).bringUp().get(0));
    assertEquals(List.of("ip", "netns", "exec", "h1"), new LinuxCommands(network, Optional.of("h1")).bringUp().subList(0, 4));
    RecordingDataplane recording = new RecordingDataplane(network);
    recording.ensureLocalNetwork();
    assertEquals(commands.addBridge(), recording.recorded().get(0));
    assertEquals(4, recording.recorded().size());
    assertTrue(recording.plug("s").isEmpty(), "a recording dataplane gives servers no NIC");
    LocalNetwork small = new LocalNetwork("b", "192.168.7.16/28");
    assertEquals("192.168.7.17/28", small.gatewayWithPrefix());
    assertEquals("192.168.7.26", small.dhcpStart());
    assertEquals("192.168.7.30", small.dhcpEnd());
    assertEquals("255.255.255.240", small.netmask());
    assertEquals(Optional.of("192.168.7.30"), small.freeAddress(java.util.Set.of("192.168.7.26", "192.168.7.27",
        "192.168.7.28", "192.168.7.29")));
    assertEquals(Optional.empty(), small.freeAddress(java.util.Set.of("192.168.7.26", "192.168.7.27",
        "192.168.7.28", "192.168.7.29", "192.168.7.30")), "the broadcast address is never given");
    assertEquals("fa:16:3e:a8:07:1a", LocalNetwork.macOf("192.168.7.26"));
  }
}
