package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import nimbus.node.agent.ProcessRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dataplane of a real Linux host: iproute2 builds the bridge, dnsmasq serves DHCP on it
 * with a static lease per server. The leases are files (one per server, named by its id) in the
 * machine's DHCP directory, so they outlive the node and dnsmasq alike, and the one dnsmasq of
 * the bridge serves them all.
 */
public final class LinuxDataplane implements Dataplane {
  private static final Logger log = LoggerFactory.getLogger(LinuxDataplane.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern SERVER_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private final LocalNetwork network;
  private final LinuxCommands commands;
  private final ProcessRunner processes;
  private final Path stateDir;
  private final Path hostsDir;
  private final Path pidFile;
  /** The network namespace the bridge is in (bridges of the same name in others are other hosts'). */
  private final Path namespace;

  /** {@code dhcpDir}: where the bridges' leases are kept (a directory per bridge). */
  public LinuxDataplane(LocalNetwork network, Optional<String> netns, ProcessRunner processes, Path dhcpDir) {
    this.network = network;
    this.commands = new LinuxCommands(network, netns);
    this.processes = processes;
    this.stateDir = dhcpDir.resolve(network.bridge());
    this.hostsDir = stateDir.resolve("hosts");
    this.pidFile = stateDir.resolve("dnsmasq.pid");
    this.namespace = netns.map(n -> Path.of("/run/netns", n)).orElse(Path.of("/proc/self/ns/net"));
  }

  @Override
  public void ensureLocalNetwork() {
    if (!succeeds(commands.showBridge())) {
      processes.run(commands.addBridge(), TIMEOUT);
      log.info("created bridge {}", network.bridge());
    }
    processes.run(commands.setAddress(), TIMEOUT);
    processes.run(commands.bringUp(), TIMEOUT);
    makeReadableByDnsmasq();
    if (dnsmasq().isEmpty()) {
      processes.run(commands.startDnsmasq(pidFile, stateDir.resolve("dnsmasq.leases"),
          hostsDir), TIMEOUT);
      log.info("DHCP for {} on {}: static leases from {}", network.cidr(), network.bridge(), hostsDir);
    }
  }

  /** dnsmasq reads the host files after it has dropped root: it must be able to reach them. */
  private void makeReadableByDnsmasq() {
    DnsmasqFiles.makeReadable(hostsDir);
  }

  /**
   * Our dnsmasq, if it runs. Another one serving this bridge (left by an earlier node on this
   * machine, with leases that are not ours) is stopped: two would answer the same request. A
   * dnsmasq in another network namespace serves another bridge, whatever its name (another
   * simulated host's on this machine): it is not looked at.
   */
  private Optional<ProcessHandle> dnsmasq() {
    String ours = "--dhcp-hostsdir=" + hostsDir + " ";
    String bridge = "--interface=" + network.bridge() + " ";
    Optional<ProcessHandle> found = Optional.empty();
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      String line = p.info().commandLine().orElse("") + " ";
      if (!line.contains("dnsmasq") || !line.contains(bridge) || !inOurNamespace(p)) continue;
      if (line.contains(ours) && found.isEmpty()) {
        found = Optional.of(p);
      } else {
        log.info("stopping dnsmasq {} on {}: it serves leases other than this node's", p.pid(), network.bridge());
        p.destroy();
        try {
          p.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          p.destroyForcibly();
        }
      }
    }
    return found;
  }

  /** Whether {@code p} runs in this bridge's network namespace (no: it is gone, or we may not look). */
  private boolean inOurNamespace(ProcessHandle p) {
    try {
      Object ours = Files.readAttributes(namespace, BasicFileAttributes.class).fileKey();
      Object its = Files.readAttributes(Path.of("/proc", String.valueOf(p.pid()), "ns", "net"),
          BasicFileAttributes.class).fileKey();
      return ours != null && ours.equals(its);
    } catch (IOException e) {
      return false;
    }
  }

  /** The dnsmasq this dataplane started, by its pid file (ensureLocalNetwork made sure it is ours). */
  private Optional<ProcessHandle> ourDnsmasq() {
    try {
      return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty(); // none running: it reads every host file when it starts
    }
  }

  @Override
  public synchronized Optional<Lease> plug(String serverId) {
    Path file = hostFile(serverId);
    Map<String, Lease> leases = leases();
    Lease lease = leases.get(serverId);
    if (lease != null) return Optional.of(lease);
    Set<String> used = leases.values().stream().map(Lease::ip).collect(Collectors.toSet());
    String ip = network.freeAddress(used).orElseThrow(() -> new IllegalStateException(
        "the local network " + network.cidr() + " of host bridge " + network.bridge() + " has no free address"));
    lease = new Lease(network.bridge(), LocalNetwork.macOf(ip), ip);
    try {
      // written beside the directory and moved in whole: dnsmasq reads files as they appear
      Path partial = Files.writeString(stateDir.resolve(".lease-" + serverId), LinuxCommands.dhcpHost(lease));
      Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the lease of server " + serverId + ": " + e.getMessage(), e);
    }
    return Optional.of(lease);
  }

  @Override
  public synchronized void unplug(String serverId) {
    try {
      if (!Files.deleteIfExists(hostFile(serverId))) return;
    } catch (IOException e) {
      throw new IllegalStateException("cannot remove the lease of server " + serverId + ": " + e.getMessage(), e);
    }
    ourDnsmasq().ifPresent(p -> processes.run(LinuxCommands.reloadDnsmasq(p.pid()), TIMEOUT));
  }

  @Override
  public synchronized Set<String> leasedServers() {
    return leases().keySet();
  }

  private Path hostFile(String serverId) {
    if (!SERVER_ID.matcher(serverId).matches()) throw new IllegalArgumentException("not a server id: " + serverId);
    return hostsDir.resolve(serverId);
  }

  /** The leases by server id, as the host files say. */
  private Map<String, Lease> leases() {
    Map<String, Lease> out = new HashMap<>();
    if (!Files.isDirectory(hostsDir)) return out;
    try (Stream<Path> files = Files.list(hostsDir)) {
      for (Path f : files.toList()) {
        String[] macAndIp = Files.readString(f).strip().split(",");
        if (macAndIp.length == 2) out.put(f.getFileName().toString(), new Lease(network.bridge(), macAndIp[0], macAndIp[1]));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the leases in " + hostsDir + ": " + e.getMessage(), e);
    }
    return out;
  }

  private boolean succeeds(List<String> command) {
    try {
      processes.run(command, TIMEOUT);
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }
}
