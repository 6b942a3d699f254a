package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import nimbus.node.agent.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dnsmasq per tenant network on this host ({@link TenantDhcp}), its files in
 * {@code ROOT/NETWORK-ID/}: started when the network has a DHCP subnet, told of every change
 * of its leases or options at once (SIGHUP), restarted when its command line must change, and
 * stopped with the network. Blocking.
 */
final class TenantDnsmasq {
  private static final Logger log = LoggerFactory.getLogger(TenantDnsmasq.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  private final Path root;
  private final boolean metadata;

  /** {@code metadata}: guests are told the route to the metadata service. */
  TenantDnsmasq(CommandRunner run, Path root, boolean metadata) {
    this.run = run;
    this.root = root;
    this.metadata = metadata;
  }

  Path dir(String networkId) {
    return root.resolve(networkId);
  }

  void ensure(HostNetwork network) {
    Path dir = dir(network.networkId());
    Path hosts = TenantDhcp.hostsDir(dir);
    DnsmasqFiles.makeReadable(dir); // made first by the port records, maybe under a stricter umask
    DnsmasqFiles.makeReadable(hosts);
    boolean changed = DnsmasqFiles.write(TenantDhcp.optionsFile(dir), TenantDhcp.options(network, metadata));
    changed |= writeLeases(hosts, network.served());
    if (network.subnets().isEmpty()) { // nothing to serve from: no address on the bridge
      stop(network.networkId());
      return;
    }
    List<String> args = TenantDhcp.arguments(network, dir);
    Optional<ProcessHandle> running = running(network);
    if (running.isPresent() && arguments(running.get()).equals(args.subList(1, args.size()))) {
      if (changed) run.run(LinuxCommands.reloadDnsmasq(running.get().pid()), TIMEOUT);
      return;
    }
    running.ifPresent(TenantDnsmasq::end); // its subnets changed
    run.run(args, TIMEOUT);
    log.info("DHCP for network {} on {}: static leases from {}", network.networkId(), network.segment().bridge(), hosts);
  }

  /** A file per served port, named by it; others removed. Answers whether anything changed. */
  private static boolean writeLeases(Path hosts, List<TenantPort> served) {
    Map<String, String> wanted = new HashMap<>();
    served.forEach(p -> TenantDhcp.hostLine(p).ifPresent(line -> wanted.put(p.portId(), line)));
    boolean changed = false;
    try (Stream<Path> files = Files.list(hosts)) {
      for (Path f : files.toList()) {
        if (!wanted.containsKey(f.getFileName().toString())) changed |= Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the leases in " + hosts + ": " + e.getMessage(), e);
    }
    for (Map.Entry<String, String> lease : wanted.entrySet()) {
      changed |= DnsmasqFiles.write(hosts.resolve(lease.getKey()), lease.getValue());
    }
    return changed;
  }

  /**
   * This network's dnsmasq, if it runs. Another serving its bridge (left by an earlier node on
   * this machine, with leases that are not ours) is stopped: two would answer the same request.
   */
  private Optional<ProcessHandle> running(HostNetwork network) {
    String ours = "--dhcp-hostsdir=" + TenantDhcp.hostsDir(dir(network.networkId()));
    String bridge = "--interface=" + network.segment().bridge();
    Optional<ProcessHandle> found = Optional.empty();
    for (ProcessHandle p : dnsmasqs()) {
      List<String> args = arguments(p);
      if (!args.contains(bridge) && !args.contains(ours)) continue;
      if (args.contains(ours) && args.contains(bridge) && found.isEmpty()) {
        found = Optional.of(p);
      } else {
        log.info("stopping dnsmasq {} on {}: it serves leases other than this node's", p.pid(), network.segment().bridge());
        end(p);
      }
    }
    return found;
  }

  /** Stops the network's dnsmasq and removes its files but the record of plugged ports. */
  void stop(String networkId) {
    String ours = "--dhcp-hostsdir=" + TenantDhcp.hostsDir(dir(networkId));
    dnsmasqs().stream().filter(p -> arguments(p).contains(ours)).forEach(TenantDnsmasq::end);
    Path dir = dir(networkId);
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        if (!p.getFileName().toString().equals(PortRecords.FILE)) p.toFile().delete(); // a non-empty dir stays
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Stops dnsmasqs on tenant bridges and removes directories of networks not in {@code networkIds}. */
  void sweep(Set<String> networkIds) {
    Set<String> kept = networkIds.stream().map(id -> "--dhcp-hostsdir=" + TenantDhcp.hostsDir(dir(id)))
        .collect(Collectors.toSet());
    for (ProcessHandle p : dnsmasqs()) {
      List<String> args = arguments(p);
      boolean tenant = args.stream().anyMatch(a -> a.startsWith("--interface=nbr-"));
      if (tenant && args.stream().noneMatch(kept::contains)) {
        log.info("stopping dnsmasq {}: it serves no tenant network with ports on this host", p.pid());
        end(p);
      }
    }
    if (!Files.isDirectory(root)) return;
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        if (!networkIds.contains(d.getFileName().toString())) stop(d.getFileName().toString());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * The dnsmasqs in this node's network namespace. Those in others serve other hosts (hosts on
   * one machine), though their arguments name the same bridge and directory as ours: they are
   * not ours to find, restart or stop.
   */
  private static List<ProcessHandle> dnsmasqs() {
    Optional<Object> ours = netns(Path.of("/proc/self/ns/net"));
    return ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith("dnsmasq"))
        .filter(p -> ours.isPresent() && ours.equals(netns(Path.of("/proc", String.valueOf(p.pid()), "ns", "net"))))
        .toList();
  }

  /** The identity of a network namespace (empty: the process is gone, or we may not look). */
  private static Optional<Object> netns(Path file) {
    try {
      return Optional.ofNullable(Files.readAttributes(file, BasicFileAttributes.class).fileKey());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static List<String> arguments(ProcessHandle p) {
    return p.info().arguments().map(List::of).orElse(List.of());
  }

  private static void end(ProcessHandle p) {
    p.destroy();
    try {
      p.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
    }
  }
}
