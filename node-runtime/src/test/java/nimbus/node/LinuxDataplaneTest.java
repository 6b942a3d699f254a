package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.node.agent.ProcessRunner;
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
 * bridge with its address comes up and dnsmasq serves DHCP on it, and doing it twice changes
 * nothing.
 */
class LinuxDataplaneTest {
  private final ProcessRunner run = new ProcessRunner();
  private final String netns = "nimbus-t-" + UUID.randomUUID().toString().substring(0, 8);
  private final LocalNetwork network = new LocalNetwork("nbr-test", "10.123.0.0/24");
  @TempDir
  Path state;

  @BeforeEach
  void makeHost() {
    run.run(List.of("ip", "netns", "add", netns), Duration.ofSeconds(10));
  }

  @AfterEach
  void removeHost() throws Exception {
    Path pid = state.resolve("dnsmasq-nbr-test.pid");
    if (Files.exists(pid)) {
      ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroy);
    }
    run.run(List.of("ip", "netns", "delete", netns), Duration.ofSeconds(10));
  }

  private String inHost(String... command) {
    List<String> all = new java.util.ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(List.of(command));
    return run.run(all, Duration.ofSeconds(10));
  }

  @Test
  void buildsTheBridgeAndServesDhcpOnIt() throws Exception {
    LinuxDataplane dataplane = new LinuxDataplane(network, Optional.of(netns), run, state);
    dataplane.ensureLocalNetwork();
    String link = inHost("ip", "-o", "link", "show", "dev", "nbr-test");
    assertTrue(link.contains("state UP") || link.contains("UNKNOWN") || link.contains(",UP"), link);
    assertTrue(inHost("ip", "-o", "-4", "addr", "show", "dev", "nbr-test").contains("10.123.0.1/24"));
    long pid = Long.parseLong(Files.readString(state.resolve("dnsmasq-nbr-test.pid")).trim());
    ProcessHandle dnsmasq = ProcessHandle.of(pid).orElseThrow();
    assertTrue(dnsmasq.isAlive());
    assertTrue(dnsmasq.info().commandLine().orElse("").contains("--dhcp-range=10.123.0.10,10.123.0.254,12h"));

    dataplane.ensureLocalNetwork(); // again: nothing new
    assertEquals(pid, Long.parseLong(Files.readString(state.resolve("dnsmasq-nbr-test.pid")).trim()));
    assertEquals(1, inHost("ip", "-o", "-4", "addr", "show", "dev", "nbr-test").lines().count());
    assertEquals(Optional.of("nbr-test"), dataplane.serverBridge());
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
    assertTrue(recording.serverBridge().isEmpty(), "a recording dataplane gives servers no NIC");
    LocalNetwork small = new LocalNetwork("b", "192.168.7.16/28");
    assertEquals("192.168.7.17/28", small.gatewayWithPrefix());
    assertEquals("192.168.7.26", small.dhcpStart());
    assertEquals("192.168.7.30", small.dhcpEnd());
  }
}
