package nimbus.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Hypervisor hosts on this machine, as {@code scripts/namespace-hosts.sh} makes them: each a
 * network namespace on an underlay bridge, with a libvirtd of its own (real TCG guests) and a
 * Nimbus compute node, this test run's classes, that joins a control node the test started.
 * {@link #underlay} comes first (the control node listens for its cluster on
 * {@link #CONTROL_ADDRESS}, which the underlay brings), then {@link #up}; {@link #close} takes
 * everything down: nodes, guests, libvirtds, namespaces, the bridge and the cgroups. The
 * script's state and the hosts' logs stay in the state directory until the next run.
 */
final class NamespaceHosts implements AutoCloseable {
  /** The underlay's address in the root namespace, where the control node's cluster listens. */
  static final String CONTROL_ADDRESS = "10.252.0.1";
  private static final Path SCRIPT = Path.of("..", "scripts", "namespace-hosts.sh").toAbsolutePath().normalize();
  private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(3);

  private final Path state;
  private int count;
  private String join;
  private Path certs;
  private List<String> options = List.of();

  private NamespaceHosts(Path state) {
    this.state = state;
  }

  /**
   * Takes down what an earlier run with this state directory left (a run killed before it closed
   * its hosts), then makes the underlay.
   */
  static NamespaceHosts underlay(Path state) throws Exception {
    NamespaceHosts hosts = new NamespaceHosts(state);
    hosts.script("down");
    hosts.script("underlay", "--control-address", CONTROL_ADDRESS);
    return hosts;
  }

  /**
   * Starts {@code n} hosts ({@code host1} ... at {@link #address}) that join the cluster at
   * {@code join} with credentials made by {@code ClusterTls.issue} into {@code certs}; returns
   * when each host's node runs (the control node learns of each a little later: its agent reports).
   */
  void up(int n, String join, Path certs) throws Exception {
    count = n;
    this.join = join;
    this.certs = certs;
    List<String> args = new ArrayList<>(List.of("up", String.valueOf(n), "--control-address", CONTROL_ADDRESS,
        "--join", join, "--certs", certs.toString()));
    args.addAll(options);
    script(args.toArray(String[]::new));
  }

  /**
   * Hosts started from now on have an {@code eth1} on {@code bridge} in the root namespace (the
   * script makes it, and removes it on close), their physical network physnet1.
   */
  void providerSwitch(String bridge) {
    options = List.of("--provider-switch", bridge);
  }

  List<String> names() {
    return IntStream.rangeClosed(1, count).mapToObj(k -> "host" + k).toList();
  }

  /** Host {@code k}'s address on the underlay. */
  static String address(int k) {
    return "10.252.0." + (10 + k);
  }

  /** The state directory of a host: its configuration, logs, libvirt and /var/lib/nimbus. */
  Path dir(String host) {
    return state.resolve(host);
  }

  /** The names of the domains the host's own libvirtd has, running or not. */
  List<String> domains(String host) throws Exception {
    return virsh(host, "list", "--all", "--name").lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** virsh against the host's own libvirtd (through its socket, from the root namespace). */
  String virsh(String host, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("virsh", "-q", "-c",
        "qemu+unix:///system?socket=" + dir(host).resolve("run-libvirt/libvirt-sock")));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("virsh " + String.join(" ", args) + " of " + host + " failed: " + out);
    }
    return out;
  }

  /**
   * Kills the host's node with SIGKILL, as a crash would, leaving its libvirtd, guests, devices
   * and dnsmasqs as they are; returns once the process is gone.
   */
  void killNode(String host) throws Exception {
    long pid = Long.parseLong(Files.readString(dir(host).resolve("node.pid")).strip());
    ProcessHandle node = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("the node of " + host + " is not running"));
    String command = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline")); // Java's view is cut short
    if (!command.contains("nimbus.node.Main")) throw new AssertionError("pid " + pid + " of " + host + " is not its node");
    node.destroyForcibly(); // SIGKILL
    node.onExit().get(30, TimeUnit.SECONDS);
  }

  /**
   * Takes the host down as a power loss would: its node first, then every other process of the
   * host (those in its mount namespace: libvirtd, guests, the dnsmasqs and haproxys its node ran)
   * killed with SIGKILL, and its network namespace deleted, with the devices, nftables tables and
   * named namespaces (a router's) in it. Its disk, the state directory, stays; {@link #restartNodes}
   * boots it (the script's {@code up} makes the host afresh, as for a host that is down).
   */
  void powerOff(String host) throws Exception {
    Object mounts = mountNamespace(libvirtd(host));
    killNode(host);
    List<ProcessHandle> all = ProcessHandle.allProcesses().filter(p -> mounts.equals(mountNamespace(p.pid()))).toList();
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : all) p.onExit().get(30, TimeUnit.SECONDS);
    run("ip", "netns", "delete", host);
    // the host's ends of its underlay and provider veths go with its namespace, which the kernel
    // frees a moment later: the next up makes them again under the same names
    String suffix = "-h" + host.substring("host".length());
    Eventually.until(Duration.ofSeconds(30), () -> run("ip", "-o", "link", "show").lines()
        .map(l -> l.split(":\\s+", 3)[1].split("@")[0]).noneMatch(n -> n.endsWith(suffix)));
  }

  /** Runs a command in the host's network and mount namespaces (where its named namespaces are); answers its output. */
  String inHost(String host, String... command) throws Exception {
    List<String> args = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(libvirtd(host)), "-m", "-n", "--"));
    args.addAll(List.of(command));
    return run(args.toArray(String[]::new));
  }

  private static Object mountNamespace(long pid) {
    try {
      return Files.readAttributes(Path.of("/proc", String.valueOf(pid), "ns", "mnt"), BasicFileAttributes.class).fileKey();
    } catch (IOException gone) {
      return "gone";
    }
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  /**
   * Starts the nodes that are not running again ({@code up} as before), the hosts' guests running
   * on; a host that is down ({@link #powerOff}) boots.
   */
  void restartNodes() throws Exception {
    up(count, join, certs);
  }

  /** The pid of the host's libvirtd (its namespaces are the host's). */
  long libvirtd(String host) throws Exception {
    return Long.parseLong(Files.readString(dir(host).resolve("libvirtd.pid")).strip());
  }

  /** What {@code namespace-hosts.sh status} says (it fails when something is down). */
  String status() throws Exception {
    return script("status");
  }

  @Override
  public void close() throws Exception {
    script("down");
  }

  /**
   * Runs the script as {@code ./nimbus hosts} would, with this JVM's java and class path (the
   * classes under test, with its directories packed into jars and the class-data archive of
   * {@link NodeClassData}); its output goes to a file, so the nodes it leaves running hold no pipe
   * of ours.
   */
  private String script(String... args) throws Exception {
    Files.createDirectories(state);
    Path out = state.resolve("script.out");
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("NIMBUS_HOSTS_DIR", state.toString());
    pb.environment().put("NIMBUS_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    NodeClassData.Launch launch = NodeClassData.launch();
    pb.environment().put("NIMBUS_CLASSPATH", launch.classPath());
    List<String> options = new ArrayList<>(NodeProcess.JVM_OPTIONS);
    options.addAll(launch.jvmOptions());
    pb.environment().put("NIMBUS_JAVA_OPTS", String.join(" ", options));
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("namespace-hosts.sh " + String.join(" ", args) + " did not finish within "
          + SCRIPT_TIMEOUT + ":\n" + read(out));
    }
    String output = read(out);
    if (p.exitValue() != 0) {
      throw new AssertionError("namespace-hosts.sh " + String.join(" ", args) + " failed (" + p.exitValue() + "):\n"
          + output);
    }
    return output;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }
}
