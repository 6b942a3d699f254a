package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import nimbus.storage.NbdExport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD firewall for real: a storage host's namespace with an underlay bridge (a compute host, a
 * machine that is none, each its own namespace behind a veth) and a host-local network's bridge
 * (a guest's namespace behind a veth, as libvirt joins a tap); a real {@code qemu-storage-daemon}
 * serves an export on the host's underlay address, {@link NbdGuard} writes the rules with this
 * machine's nftables in the host's namespace, and QEMU's own NBD client ({@code qemu-img info})
 * connects from each. Everything is named {@code nbdf-}.
 */
class NbdGuardNamespaceTest {
  private static final String PREFIX = "nbdf-";
  private static final String HOST = PREFIX + "host";
  private static final String COMPUTE = PREFIX + "compute";
  private static final String STRANGER = PREFIX + "stranger";
  private static final String GUEST = PREFIX + "guest";
  private static final String SELF = "10.253.0.1";
  private static final String COMPUTE_IP = "10.253.0.2";
  private static final String STRANGER_IP = "10.253.0.3";
  private static final NbdPorts PORTS = new NbdPorts(42200, 42209);
  private static final CommandRunner ROOT = new ProcessRunner();
  private static final CommandRunner IN_HOST = (command, timeout) -> {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", HOST));
    all.addAll(command);
    return ROOT.run(all, timeout);
  };
  private static final NbdExport EXPORT = new NbdExport(SELF, 42204, "0123456789abcdef0123456789abcdef");

  @TempDir
  Path dir;

  @BeforeEach
  void aStorageHostWithAnUnderlayAndAHostLocalNetwork() throws Exception {
    removeAll();
    for (String ns : List.of(HOST, COMPUTE, STRANGER, GUEST)) sh("ip netns add " + ns);
    sh("ip -n " + HOST + " link set lo up");
    bridge("nbdf-ul", SELF + "/24");
    bridge("nbdf-local", "10.254.0.1/24");
    plug(COMPUTE, "nbdf-c", "nbdf-ul", COMPUTE_IP + "/24", "10.253.0.1");
    plug(STRANGER, "nbdf-s", "nbdf-ul", STRANGER_IP + "/24", "10.253.0.1");
    plug(GUEST, "nbdf-g", "nbdf-local", "10.254.0.2/24", "10.254.0.1");
    Path file = dir.resolve("volume");
    ROOT.run(List.of("qemu-img", "create", "-q", "-f", "raw", file.toString(), "1M"), Duration.ofSeconds(30));
    IN_HOST.run(NbdCommands.serve(file, EXPORT, dir.resolve("daemon.pid")), Duration.ofSeconds(30));
  }

  @AfterEach
  void removeEverything() throws Exception {
    Path pid = dir.resolve("daemon.pid");
    if (Files.exists(pid)) {
      ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(p -> {
        p.destroyForcibly();
        p.onExit().join();
      });
    }
    removeAll();
  }

  @Test
  void onlyTheComputeHostsReachTheExportsAsTheyJoinAndLeave() {
    assertTrue(connects(STRANGER), "without the rules, anyone on the underlay reaches the daemon (so the test can fail)");
    assertTrue(connects(GUEST), "and so does a guest of the host-local network");

    AtomicReference<NbdGuard.Members> members = new AtomicReference<>(
        new NbdGuard.Members(Set.of(SELF, COMPUTE_IP), true));
    NbdGuard guard = new NbdGuard(PORTS, IN_HOST, members::get);
    guard.protect();
    assertTrue(connects(COMPUTE), "a compute host connects");
    assertTrue(connects(HOST), "and the host itself, on its own address");
    assertFalse(connects(STRANGER), "a machine on the underlay that is no compute host does not");
    assertFalse(connects(GUEST), "nor a guest of the host-local network, routed to the host's address");
    assertTrue(reaches(STRANGER, "ping -c 1 -W 2 " + SELF), "only the NBD ports are closed to it");

    // a host joins: the set changes, the chains stay
    String chains = IN_HOST.run(List.of("nft", "list", "chain", "inet", NbdFirewall.TABLE, "nbd"), Duration.ofSeconds(10));
    members.set(new NbdGuard.Members(Set.of(SELF, COMPUTE_IP, STRANGER_IP), true));
    guard.protect();
    assertTrue(connects(STRANGER), "a host that joined connects");
    assertEquals(chains, IN_HOST.run(List.of("nft", "list", "chain", "inet", NbdFirewall.TABLE, "nbd"), Duration.ofSeconds(10)));

    // the agent starts again, before its view of the cluster is complete: nobody is taken out
    NbdGuard restarted = new NbdGuard(PORTS, IN_HOST, members::get);
    members.set(new NbdGuard.Members(Set.of(SELF), false));
    restarted.protect();
    assertTrue(connects(COMPUTE) && connects(STRANGER), "the hosts let in before are still let in");
    // once it is, a host that left is out
    members.set(new NbdGuard.Members(Set.of(SELF, COMPUTE_IP), true));
    restarted.protect();
    assertTrue(connects(COMPUTE));
    assertFalse(connects(STRANGER), "a host that left connects no more");

    // the table removed behind the agent's back: its next reconciliation writes it again
    IN_HOST.run(List.of("nft", "delete", "table", "inet", NbdFirewall.TABLE), Duration.ofSeconds(10));
    assertTrue(connects(STRANGER));
    restarted.protect();
    assertTrue(connects(COMPUTE));
    assertFalse(connects(STRANGER), "in force again");
  }

  /** Whether QEMU's NBD client in namespace {@code ns} opens the export within a few seconds (a dropped SYN never answers). */
  private static boolean connects(String ns) {
    return reaches(ns, "timeout 4 qemu-img info -f raw " + EXPORT.uri());
  }

  private static boolean reaches(String ns, String command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(List.of(command.split(" ")));
    try {
      Process p = new ProcessBuilder(all).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void bridge(String name, String address) {
    sh("ip -n " + HOST + " link add " + name + " type bridge");
    sh("ip -n " + HOST + " addr add " + address + " dev " + name);
    sh("ip -n " + HOST + " link set " + name + " up");
  }

  private static void plug(String ns, String veth, String bridge, String address, String gateway) {
    sh("ip -n " + HOST + " link add " + veth + " type veth peer name eth0 netns " + ns);
    sh("ip -n " + HOST + " link set " + veth + " master " + bridge + " up");
    sh("ip -n " + ns + " addr add " + address + " dev eth0");
    sh("ip -n " + ns + " link set eth0 up");
    sh("ip -n " + ns + " link set lo up");
    sh("ip -n " + ns + " route add default via " + gateway);
  }

  private static void removeAll() {
    for (String ns : ROOT.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10)).lines().map(l -> l.split(" ")[0]).toList()) {
      if (ns.startsWith(PREFIX)) sh("ip netns delete " + ns);
    }
  }

  private static String sh(String command) {
    return ROOT.run(List.of(command.split(" ")), Duration.ofSeconds(10));
  }
}
