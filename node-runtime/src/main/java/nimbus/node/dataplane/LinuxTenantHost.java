package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import nimbus.node.agent.CommandRunner;

/**
 * The tenant networks of a real Linux host: iproute2 devices ({@link TenantLinks}), a dnsmasq per
 * network ({@link TenantDnsmasq}), the metadata service's namespaces and proxy
 * ({@link TenantMetadata}), nftables rules ({@link TenantFirewall}, and the ports' security groups:
 * {@link PortFilter}) and the record of
 * plugged ports ({@link PortRecords}), all under {@code root} (the machine's DHCP directory), so
 * they outlive the agent and its restarts.
 */
public final class LinuxTenantHost implements TenantHost {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  private final Path root;
  private final TenantLinks links;
  private final TenantDnsmasq dnsmasq;
  private final PortRecords records;
  private final PortFilter filter;
  private final TenantMetadata metadata;
  private final Optional<CompletionStage<Integer>> metadataPort;
  private final Map<String, String> physicalInterfaces;
  private Set<NetworkType> carries;

  /** {@code localBridge}: the host-local network's bridge, left alone. No physical networks, no metadata service. */
  public LinuxTenantHost(CommandRunner run, Path root, String underlay, String localBridge) {
    this(run, root, underlay, localBridge, Map.of(), Optional.empty());
  }

  /**
   * {@code localBridge}: the host-local network's bridge, left alone; {@code physicalInterfaces}:
   * this host's interface on each physical network (flat and VLAN networks leave by it);
   * {@code metadataPort}: the port of the agent's metadata server on the host's loopback, once it
   * listens; with it, every network gets the metadata service ({@link TenantMetadata}).
   */
  public LinuxTenantHost(CommandRunner run, Path root, String underlay, String localBridge,
      Map<String, String> physicalInterfaces, Optional<CompletionStage<Integer>> metadataPort) {
    this.run = run;
    this.root = root;
    this.links = new TenantLinks(run, underlay, localBridge, physicalInterfaces);
    this.physicalInterfaces = Map.copyOf(physicalInterfaces);
    this.dnsmasq = new TenantDnsmasq(run, root, metadataPort.isPresent());
    this.records = new PortRecords(root);
    this.filter = new PortFilter(run);
    // beside the networks' directories (among them, the sweep of dnsmasq's files would take it)
    this.metadata = new TenantMetadata(run, root.resolveSibling(root.getFileName() + TenantMetadata.SUFFIX));
    this.metadataPort = metadataPort;
  }

  @Override
  public synchronized Set<NetworkType> carries() {
    if (carries == null) carries = new KernelFeatures(run).probe();
    return carries;
  }

  @Override
  public Optional<String> physicalNetworkRefusal(String physicalNetwork) {
    if (physicalInterfaces.containsKey(physicalNetwork)) return Optional.empty();
    return Optional.of("physical network " + physicalNetwork + " has no interface on this host"
        + " (nimbus.host.physical-interfaces maps " + (physicalInterfaces.isEmpty() ? "none"
        : String.join(", ", new java.util.TreeSet<>(physicalInterfaces.keySet()))) + ")");
  }

  @Override
  public Map<String, List<TenantPort>> plugged() {
    return records.readAll();
  }

  @Override
  public void record(String networkId, List<TenantPort> ports) {
    records.write(networkId, ports);
  }

  @Override
  public void apply(HostNetwork network) {
    NetworkType type = network.segment().type();
    if (!carries().contains(type)) throw new IllegalStateException(refusal(type, carries()));
    links.ensure(network);
    if (metadataPort.isPresent()) metadata.ensure(network);
    dnsmasq.ensure(network);
  }

  /** Why a network of {@code type} cannot be here. */
  public static String refusal(NetworkType type, Set<NetworkType> carried) {
    return "this host's kernel cannot carry " + type.apiName() + " networks (it carries "
        + (carried.isEmpty() ? "none" : carried.stream().map(NetworkType::apiName).sorted().collect(Collectors.joining(", ")))
        + ")";
  }

  @Override
  public void remove(String networkId, Optional<HostNetwork> last) {
    dnsmasq.stop(networkId);
    metadata.remove(networkId);
    links.remove(networkId, last);
  }

  @Override
  public void protect(List<HostNetwork> networks) {
    String rules = networks.isEmpty() ? TenantFirewall.removal() : TenantFirewall.ruleset(networks.stream()
        .map(n -> new TenantFirewall.Guard(links.commands(n.segment()).uplinks(n.peers()),
            localAddresses(n)))
        .toList());
    Path file = null;
    try {
      file = Files.writeString(Files.createTempFile("nimbus-nft", ".rules"), rules);
      run.run(List.of("nft", "-f", file.toString()), TIMEOUT);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the firewall rules: " + e.getMessage(), e);
    } finally {
      if (file != null) file.toFile().delete();
    }
  }

  /**
   * The addresses every host answers for itself on a network, whose ARP must not cross its
   * uplinks: its DHCP servers' and, where this host serves it, the metadata service's.
   */
  private List<String> localAddresses(HostNetwork n) {
    List<String> addresses = new ArrayList<>(n.subnets().stream().map(DhcpSubnet::serverAddress).toList());
    if (metadataPort.isPresent()) addresses.add(MetadataNamespace.ADDRESS);
    return addresses;
  }

  @Override
  public void filter(List<FilteredPort> ports, Map<String, nimbus.network.SecurityGroup> groups) {
    filter.apply(ports, groups);
  }

  @Override
  public void serveMetadata(List<HostNetwork> networks) {
    if (metadataPort.isEmpty()) return;
    int port;
    try {
      port = metadataPort.get().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the metadata server", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the metadata server does not listen: " + e.getMessage(), e);
    }
    metadata.serve(networks, port);
  }

  @Override
  public void sweep(List<HostNetwork> networks) {
    links.sweep(networks);
    Set<String> ids = networks.stream().map(HostNetwork::networkId).collect(Collectors.toSet());
    dnsmasq.sweep(ids);
    metadata.sweep(metadataPort.isPresent() ? ids : Set.of());
    if (networks.isEmpty() || metadataPort.isEmpty()) metadata.stop();
  }
}
