package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import nimbus.node.agent.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata service's side of the host's tenant networks: a namespace per network
 * ({@link MetadataNamespace}) and one haproxy for all of them ({@link MetadataProxy}), its files
 * in {@code dir}. Made and removed with the networks, orphans swept. Blocking.
 */
final class TenantMetadata {
  private static final Logger log = LoggerFactory.getLogger(TenantMetadata.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  private final Path dir;

  /** How the proxy's directory is named, beside the networks' ({@code ROOT-metadata-proxy}). */
  static final String SUFFIX = "-metadata-proxy";

  TenantMetadata(CommandRunner run, Path dir) {
    if (!dir.getFileName().toString().endsWith(SUFFIX)) throw new IllegalArgumentException(dir + " does not end with " + SUFFIX);
    this.run = run;
    this.dir = dir;
  }

  private Path config() {
    return dir.resolve("haproxy.cfg");
  }

  private Path pidFile() {
    return dir.resolve("haproxy.pid");
  }

  Set<String> namespaces() {
    return MetadataNamespace.namespaceNames(run.run(MetadataNamespace.listNamespaces(), TIMEOUT));
  }

  void ensure(HostNetwork network) {
    MetadataNamespace ns = new MetadataNamespace(network.networkId(), network.segment().mtu());
    Set<String> devices = TenantCommands.deviceNames(run.run(List.of("ip", "-o", "link", "show"), TIMEOUT));
    for (List<String> command : ns.ensure(namespaces(), devices, network.segment().bridge())) run.run(command, TIMEOUT);
  }

  void remove(String networkId) {
    String name = MetadataNamespace.nameOf(networkId);
    if (namespaces().contains(name)) run.run(List.of("ip", "netns", "delete", name), TIMEOUT);
  }

  /**
   * Removes the namespaces of networks not in {@code networkIds}, and stops metadata proxies of
   * this namespace that are not this node's (left by an earlier node with other files).
   */
  void sweep(Set<String> networkIds) {
    Optional<Object> ours = netns(Path.of("/proc/self/ns/net"));
    String config = config().toString();
    ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith("haproxy"))
        .filter(p -> {
          List<String> args = p.info().arguments().map(List::of).orElse(List.of());
          return !args.contains(config) && args.stream().anyMatch(a -> a.endsWith(SUFFIX + "/haproxy.cfg"));
        })
        .filter(p -> ours.isPresent() && ours.equals(netns(Path.of("/proc", String.valueOf(p.pid()), "ns", "net"))))
        .forEach(p -> {
          log.info("stopping haproxy {}: a metadata proxy that is not this node's", p.pid());
          end(p);
        });
    Set<String> kept = networkIds.stream().map(MetadataNamespace::nameOf).collect(Collectors.toSet());
    for (String name : namespaces()) {
      if (MetadataNamespace.isMetadataNamespace(name) && !kept.contains(name)) {
        log.info("removing namespace {}: no tenant network with ports on this host uses it", name);
        run.run(List.of("ip", "netns", "delete", name), TIMEOUT);
      }
    }
  }

  /**
   * The proxy serves these networks (those whose namespace exists: one missing would stop it
   * from starting for all), restarted gracefully when its configuration changes; none: stopped.
   */
  void serve(List<HostNetwork> networks, int serverPort) {
    Set<String> present = namespaces();
    List<String> ids = networks.stream().map(HostNetwork::networkId)
        .filter(id -> present.contains(MetadataNamespace.nameOf(id))).sorted().toList();
    List<ProcessHandle> running = running();
    if (ids.isEmpty()) {
      running.forEach(TenantMetadata::end);
      return;
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    boolean changed = DnsmasqFiles.write(config(), MetadataProxy.config(ids, serverPort, pidFile()));
    if (!running.isEmpty() && !changed) return;
    run.run(List.of("haproxy", "-c", "-q", "-f", config().toString()), TIMEOUT);
    run.run(MetadataProxy.start(config(), pidFile(), running.stream().map(ProcessHandle::pid).toList()), TIMEOUT);
    log.info("metadata proxy for {} networks on this host, to the agent at 127.0.0.1:{}", ids.size(), serverPort);
  }

  /** Stops the proxy. */
  void stop() {
    running().forEach(TenantMetadata::end);
  }

  /**
   * This host's haproxys: those of our configuration in our network namespace (hosts on one
   * machine each have theirs, at the same path). Found by their command line, not the pid file,
   * which a daemon may write after its parent has returned.
   */
  private List<ProcessHandle> running() {
    Optional<Object> ours = netns(Path.of("/proc/self/ns/net"));
    String config = config().toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().command().orElse("").endsWith("haproxy"))
        .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).contains(config))
        .filter(p -> ours.isPresent() && ours.equals(netns(Path.of("/proc", String.valueOf(p.pid()), "ns", "net"))))
        .toList();
  }

  private static Optional<Object> netns(Path file) {
    try {
      return Optional.ofNullable(Files.readAttributes(file, BasicFileAttributes.class).fileKey());
    } catch (IOException e) {
      return Optional.empty();
    }
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
