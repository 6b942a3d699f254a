package nimbus.node;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.node.metadata.LocalGuests;
import nimbus.node.metadata.MetadataServer;
import org.apache.pekko.actor.typed.ActorRef;
import nimbus.cluster.NimbusNode;
import nimbus.cluster.ReadSideDatabase;
import nimbus.compute.Compute;
import nimbus.compute.HostDirectory;
import nimbus.config.ImageSeed;
import nimbus.config.NimbusSettings;
import nimbus.config.Ports;
import nimbus.config.Role;
import nimbus.config.SettingsException;
import nimbus.edge.ApiServer;
import nimbus.edge.Policy;
import nimbus.edge.EdgeWarmup;
import nimbus.edge.Readiness;
import nimbus.edge.identity.Identity;
import nimbus.edge.identity.IdentityService;
import nimbus.edge.identity.TokenCodec;
import nimbus.edge.identity.TokenKeys;
import nimbus.node.agent.HostAgent;
import nimbus.node.agent.ImageCache;
import nimbus.node.agent.ImageStoreClient;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.agent.ServerOperations;
import nimbus.node.dataplane.Dataplane;
import nimbus.node.dataplane.LinuxDataplane;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.node.dataplane.LinuxTenantHost;
import nimbus.node.dataplane.RecordingDataplane;
import nimbus.node.dataplane.RecordingTenantHost;
import nimbus.node.dataplane.TenantHost;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.node.storage.LibvirtPoolBackend;
import nimbus.node.storage.StorageAgent;
import nimbus.node.storage.StorageBackend;
import nimbus.node.storage.VolumeLookup;
import nimbus.node.hypervisor.HypervisorException;
import nimbus.node.hypervisor.LibvirtHypervisor;
import nimbus.storage.ImageFileService;
import nimbus.storage.ImageListing;
import nimbus.storage.ImageSeeds;
import nimbus.storage.ImageStore;
import nimbus.storage.ImageStoreSweeper;
import nimbus.storage.ImageQuotas;
import nimbus.storage.ImageUploads;
import nimbus.network.Networking;
import nimbus.storage.Storage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * One running Nimbus node with the parts its roles call for: entities and API on control
 * nodes, the host agent on compute nodes. The {@code nimbus} launcher and the tests start nodes
 * through here.
 */
public final class Node implements AutoCloseable {
  private final NimbusSettings settings;
  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final Hypervisor hypervisor;
  private final Optional<String> generatedAdminPassword;
  private final IdentityService identity;

  private Node(NimbusSettings settings, ActorSystem<Void> system, ServerBinding binding,
      Hypervisor hypervisor, Optional<String> generatedAdminPassword, IdentityService identity) {
    this.identity = identity;
    this.settings = settings;
    this.system = system;
    this.binding = binding;
    this.hypervisor = hypervisor;
    this.generatedAdminPassword = generatedAdminPassword;
  }

  /** Starts a node; a setting that cannot work stops it with a {@link SettingsException}. */
  public static Node start(NimbusSettings settings, Config extra) {
    if (settings.has(Role.COMPUTE)) {
      nimbus.node.storage.StoragePools.requireSupported(settings.host().storagePoolType(),
          nimbus.node.storage.StoragePools.MAPPER_CONTROL);
    }
    if (settings.has(Role.CONTROL)) {
      Ports.requireFree("nimbus.api.port", settings.api().host(), settings.api().port());
      if (!settings.cluster().seedNodes().isEmpty() && settings.identity().tokenKeys().isEmpty()) {
        // a key generated here would be this node's alone: its tokens would fail on the others
        throw new SettingsException("nimbus.identity.token-keys", "a control node joining a cluster has no token keys",
            "give every control node the same keys (head -c32 /dev/urandom | base64)");
      }
    }
    // a bad policy file stops the node before anything starts
    Policy policy = settings.has(Role.CONTROL) ? Policy.load(settings.api().policyFile()) : Policy.defaults();
    Ports.requireFree("nimbus.cluster.port", settings.cluster().hostname(), settings.cluster().port());
    PrivateFiles.protect(settings);
    if (settings.has(Role.CONTROL) && settings.api().tls().isEmpty() && !isLoopback(settings.api().host())) {
      org.slf4j.LoggerFactory.getLogger(Node.class).warn("the API listens on {} over plain HTTP: passwords and tokens cross "
          + "the network readable; set nimbus.api.tls-cert-file and tls-key-file", settings.api().host());
    }
    Hypervisor hypervisor = settings.has(Role.COMPUTE) ? connect(settings) : null;
    Dataplane dataplane = settings.has(Role.COMPUTE) ? dataplane(settings) : null;
    Clock clock = Clock.systemUTC();
    var quota = settings.imageStore().quota();
    ImageQuotas.Limits imageLimits = new ImageQuotas.Limits(quota.imageSizeTotalBytes(), quota.imageCountTotal(),
        quota.imageCountUploading());
    ActorSystem<Void> system = NimbusNode.start(settings, extra, sys -> {
      Compute.init(sys, settings.compute(), clock);
      Storage.init(sys, clock, settings.imageStore().uploadTimeout(), imageLimits);
      Storage.initVolumes(sys, clock, settings.compute().stepRetryInterval());
      // routers go to the compute hosts that are up (their agents build them), in their zones
      Networking.init(sys, settings.network(), clock, () -> HostDirectory.get(sys).hosts().stream()
          .filter(h -> HostDirectory.get(sys).isUp(h.host(), settings.compute().hostDownAfter()))
          .collect(java.util.stream.Collectors.toMap(h -> h.host(), h -> h.inventory().availabilityZone())));
      Identity.init(sys, clock, settings.has(Role.CONTROL));
      if (settings.has(Role.CONTROL)) {
        try {
          Compute.initReadSide(sys);
          Storage.initReadSide(sys);
          Networking.initReadSide(sys);
        } catch (Exception e) {
          throw new IllegalStateException("read side: " + e.getMessage(), e);
        }
      }
      if (hypervisor != null) {
        Executor blocking = ApiServer.blockingExecutor(sys);
        ImageStoreClient store = new ImageStoreClient(sys, settings.imageStore().uploadTimeout());
        ImageCache imageCache = new ImageCache(settings.host().instancesDir().resolve("_base"), store);
        nimbus.config.VolumeBackendSettings ceph = settings.volumeBackend();
        ServerOperations operations = new ServerOperations(hypervisor, settings.host(), new ProcessRunner(), dataplane,
            imageCache, store, ceph.keyring());
        // the metadata service: the host's guests as the agent knows them, served on its loopback
        ActorRef<LocalGuests.Command> guests = sys.systemActorOf(
            LocalGuests.create(settings.host().instancesDir().resolve("_metadata"), blocking), "local-guests", Props.empty());
        CompletionStage<Integer> metadataPort = MetadataServer.bind(sys, guests, 0)
            .thenApply(b -> b.localAddress().getPort());
        sys.systemActorOf(HostAgent.create(settings.host(), hypervisor, operations, tenantHost(settings, metadataPort),
                Optional.of(guests), blocking), "host-agent", Props.empty());
        // every compute host is also a storage host (the all-in-one node among them)
        var volumes = storageBackend(settings, ceph);
        sys.systemActorOf(nimbus.node.storage.BackupAgent.create(settings.host().name(), volumes,
            new nimbus.node.storage.BackupChunks(settings.dataDir().resolve("backups")),
            // libvirt's test driver keeps no files, but a Ceph pool is real whatever the hypervisor
            settings.host().domainType().equals("test") && !ceph.rbd(), blocking), "backup-agent",
            Props.empty());
        sys.systemActorOf(StorageAgent.create(settings.host().name(),
                ceph.name(), volumes,
                VolumeLookup.sharded(sys, settings.api().askTimeout()),
                VolumeLookup.snapshotGone(sys, settings.api().askTimeout()),
                ref -> ref.startsWith(nimbus.compute.BootSource.STORE_PREFIX)
                    ? imageCache.file(ref.substring(nimbus.compute.BootSource.STORE_PREFIX.length())) : java.nio.file.Path.of(ref),
                store, nbdExports(settings, sys),
                settings.host().reconcileInterval(), blocking),
            "storage-agent", Props.empty());
      }
    });
    ServerBinding binding = null;
    Optional<String> generated = Optional.empty();
    IdentityService identity = null;
    try {
      if (settings.has(Role.CONTROL)) {
        ImageSeeds.register(system, availableSeeds(settings), Duration.ofSeconds(30));
        ImageStore store = ImageStore.at(settings.imageStore().dir());
        ImageQuotas quotas = new ImageQuotas(system, new ImageListing(ReadSideDatabase.get(system)),
            ApiServer.blockingExecutor(system), imageLimits, settings.api().askTimeout(), clock);
        ImageUploads uploads = new ImageUploads(system, store, settings.imageStore().maxImageBytes(),
            settings.api().askTimeout(), quotas);
        system.systemActorOf(ImageFileService.create(uploads), "image-files", Props.empty());
        system.systemActorOf(ImageStoreSweeper.create(store, new ImageListing(ReadSideDatabase.get(system)),
            settings.imageStore().sweepInterval(), settings.imageStore().keepUnreferenced(),
            ApiServer.blockingExecutor(system)), "image-store-sweeper", Props.empty());
        identity = new IdentityService(system, settings.identity(),
            new TokenCodec(TokenKeys.load(settings.identity(), settings.dataDir())),
            system.dispatchers().lookup(DispatcherSelector.fromConfig("nimbus-password-dispatcher")),
            settings.api().askTimeout());
        generated = identity.bootstrap().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Readiness readiness = new Readiness(system, ApiServer.blockingExecutor(system), true,
            () -> !settings.has(Role.COMPUTE) || agentReported(system, settings),
            java.util.Map.of(nimbus.compute.ServerListProjection.NAME, nimbus.compute.ServerEntity.TAG,
                nimbus.storage.ImageListProjection.NAME, nimbus.storage.ImageEntity.TAG,
                nimbus.network.NetworkListProjection.NETWORKS, nimbus.network.NetworkEntity.TAG,
                nimbus.network.NetworkListProjection.PORTS, nimbus.network.PortEntity.TAG),
            settings.api().projectionStallAfter());
        binding = new ApiServer(system, settings.api(), identity, settings.identity().publicUrl(),
            settings.compute().hostDownAfter(), readiness, uploads, settings.imageStore().uploadTimeout(), policy,
            settings.network())
            .bind(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
        EdgeWarmup.start(system, settings.api().scheme() + "://" + settings.api().host() + ":"
            + binding.localAddress().getPort(), ApiServer.blockingExecutor(system));
      }
    } catch (Exception e) {
      system.terminate();
      if (hypervisor != null) hypervisor.close();
      throw new IllegalStateException("cannot start the API: " + e.getMessage(), e);
    }
    return new Node(settings, system, binding, hypervisor, generated, identity);
  }

  private static boolean isLoopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /**
   * The seeds to register: all of them, except, on a node that is also their real host, those
   * whose files are not here (every server from them would fail); {@code nimbus up} says why.
   */
  static List<ImageSeed> availableSeeds(NimbusSettings settings) {
    boolean checkable = settings.has(Role.COMPUTE) && !settings.host().domainType().equals("test");
    return settings.images().stream().filter(seed -> !checkable || seed.missingFiles().isEmpty()).toList();
  }

  private static Hypervisor connect(NimbusSettings settings) {
    try {
      return new LibvirtHypervisor(settings.host().hypervisorUri());
    } catch (HypervisorException e) {
      throw new SettingsException("nimbus.host.hypervisor-uri", e.getMessage(),
          "start libvirtd (./nimbus test sets it up) or use test:///default");
    }
  }

  /**
   * Where the host keeps volumes: a Ceph pool with {@code storage-backend = rbd}, else libvirt's
   * own {@code default-pool} on the test driver, else a {@code dir} pool of files under the node's
   * data directory (started on first use).
   */
  private static StorageBackend storageBackend(NimbusSettings settings, nimbus.config.VolumeBackendSettings ceph) {
    if (ceph.rbd()) return rbdBackend(ceph);
    String uri = settings.host().hypervisorUri();
    return settings.host().domainType().equals("test")
        ? new LibvirtPoolBackend(uri, "default-pool", Optional.empty())
        : new LibvirtPoolBackend(uri, LibvirtPoolBackend.poolNameFor(settings.dataDir().resolve("volumes")),
            Optional.of(settings.dataDir().resolve("volumes")), new ProcessRunner(), cephClient(ceph));
  }

  /** The host's own Ceph client where it has one (its ceph.conf and keyring): a retype moves volumes with it. */
  private static Optional<nimbus.node.storage.RbdCommands> cephClient(nimbus.config.VolumeBackendSettings ceph) {
    return ceph.conf().isPresent() && ceph.keyring().isPresent()
        ? Optional.of(new nimbus.node.storage.RbdCommands(ceph.conf().get(), ceph.keyring().get(), ceph.user(), ceph.pool()))
        : Optional.empty();
  }

  /** Volumes as images in the Ceph pool, its monitors read from the cluster's configuration. */
  private static StorageBackend rbdBackend(nimbus.config.VolumeBackendSettings ceph) {
    java.nio.file.Path conf = ceph.conf().orElseThrow();
    try {
      return new nimbus.node.storage.RbdBackend(
          new nimbus.node.storage.RbdCommands(conf, ceph.keyring().orElseThrow(), ceph.user(), ceph.pool()),
          nimbus.node.storage.RbdBackend.monitors(java.nio.file.Files.readString(conf)), new ProcessRunner());
    } catch (java.io.IOException e) {
      throw new nimbus.config.SettingsException("nimbus.host.ceph.conf", "cannot read " + conf + ": " + e.getMessage(),
          "give the path of the cluster's ceph.conf");
    }
  }

  /**
   * The host's NBD exports, served on its underlay address (where other hosts reach it, never a
   * tenant network's) on the configured ports, which only the compute hosts that are up may reach
   * (their addresses as their agents report them to the host directory, this host's own among
   * them); none under libvirt's test driver, whose volumes have no files.
   */
  private static Optional<nimbus.node.storage.NbdExports> nbdExports(NimbusSettings settings, ActorSystem<?> sys) {
    // an RBD host's volumes are attached straight from the cluster: it exports nothing
    if (settings.host().domainType().equals("test") || settings.volumeBackend().rbd()) return Optional.empty();
    nimbus.node.storage.NbdPorts ports;
    try {
      ports = nimbus.node.storage.NbdPorts.parse(settings.volumeBackend().nbdPorts());
    } catch (IllegalArgumentException e) {
      throw new SettingsException("nimbus.host.nbd-ports", e.getMessage(), "a range such as 10809-11308");
    }
    Optional<String> clash = ports.clash(java.util.Map.of("nimbus.api.port", settings.api().port(),
        "nimbus.cluster.port", settings.cluster().port()), outgoingPorts());
    if (clash.isPresent()) {
      throw new SettingsException("nimbus.host.nbd-ports", ports + " cannot be the exports' ports: " + clash.get(),
          "a range such as 10809-11308");
    }
    Duration down = settings.compute().hostDownAfter();
    String self = settings.host().underlayAddress();
    HostDirectory directory = HostDirectory.get(sys);
    nimbus.node.storage.NbdGuard guard = new nimbus.node.storage.NbdGuard(ports, new ProcessRunner(), () -> {
      java.util.Set<String> up = new java.util.TreeSet<>(java.util.Set.of(self));
      directory.hosts().stream().filter(h -> directory.isUp(h.host(), down)).forEach(h -> up.add(h.inventory().hostIp()));
      // a node that has not listened for a host's beats that long may not know of every host yet
      return new nimbus.node.storage.NbdGuard.Members(up, directory.listeningFor(down));
    });
    return Optional.of(new nimbus.node.storage.NbdExports(settings.dataDir().resolve("nbd-exports"), self, ports,
        new ProcessRunner(), guard));
  }

  /** The kernel's range of local ports for outgoing connections (Linux's default if it cannot be read). */
  private static nimbus.node.storage.NbdPorts outgoingPorts() {
    try {
      String[] range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
          .strip().split("\\s+");
      return new nimbus.node.storage.NbdPorts(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    } catch (java.io.IOException | RuntimeException e) {
      return new nimbus.node.storage.NbdPorts(32768, 60999);
    }
  }

  /** The host's dataplane, its local network made before anything is scheduled here. */
  private static Dataplane dataplane(NimbusSettings settings) {
    LocalNetwork network = new LocalNetwork(settings.host().bridge(), settings.host().cidr());
    if (settings.host().dataplane().equals("recording")) {
      RecordingDataplane recording = new RecordingDataplane(network);
      recording.ensureLocalNetwork();
      return recording;
    }
    LinuxDataplane linux = new LinuxDataplane(network, Optional.empty(), new ProcessRunner(),
        settings.host().dhcpDir());
    try {
      linux.ensureLocalNetwork();
    } catch (IllegalStateException e) {
      throw new SettingsException("nimbus.host.dataplane", "the linux dataplane failed: " + e.getMessage(),
          "run as root with iproute2 and dnsmasq installed, or set it to recording");
    }
    return linux;
  }

  /** The host side of tenant networks: real with the linux dataplane, recorded only otherwise. */
  private static TenantHost tenantHost(NimbusSettings settings, CompletionStage<Integer> metadataPort) {
    if (!settings.host().dataplane().equals("linux")) return new RecordingTenantHost();
    // beside the host-local network's leases: the machine's, world-searchable for dnsmasq
    return new LinuxTenantHost(new ProcessRunner(), settings.host().dhcpDir().resolve("networks"),
        settings.host().underlayAddress(), settings.host().bridge(), settings.host().physicalInterfaces(),
        Optional.of(metadataPort));
  }

  private static boolean agentReported(ActorSystem<?> system, NimbusSettings settings) {
    HostDirectory directory = HostDirectory.get(system);
    String host = settings.host().name();
    return directory.isUp(host, settings.compute().hostDownAfter())
        && directory.hosts().stream().anyMatch(h -> h.host().equals(host));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** This node's hypervisor connection (compute nodes), for tests that act behind Nimbus's back. */
  Hypervisor hypervisor() {
    return hypervisor;
  }

  /** The port this node's cluster traffic uses (useful when configured as 0). */
  public int clusterPort() {
    return org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().address().getPort().get();
  }

  /** Authentication and tokens (control nodes). */
  public IdentityService identity() {
    return identity;
  }

  /** The first admin's password if this start generated it (show it once); else empty. */
  public Optional<String> generatedAdminPassword() {
    return generatedAdminPassword;
  }

  public NimbusSettings settings() {
    return settings;
  }

  /** The API's URL, e.g. http://127.0.0.1:8774 (control nodes). */
  public String apiUrl() {
    return settings.api().scheme() + "://" + settings.api().host() + ":" + binding.localAddress().getPort();
  }

  @Override
  public void close() {
    if (binding != null) binding.unbind();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // shutting down regardless
    }
    if (hypervisor != null) hypervisor.close();
  }
}
