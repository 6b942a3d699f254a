package nimbus.node.agent;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import nimbus.compute.HostAgentCommand;
import nimbus.compute.HostAgentCommand.DestroyServer;
import nimbus.compute.HostAgentCommand.ReadConsole;
import nimbus.compute.HostAgentCommand.RebootServer;
import nimbus.compute.HostAgentCommand.SpawnServer;
import nimbus.compute.HostAgentCommand.StartServer;
import nimbus.compute.HostAgentCommand.StopServer;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostEntity;
import nimbus.compute.HostInventory;
import nimbus.compute.PowerState;
import nimbus.compute.Resources;
import nimbus.compute.ServerEntity;
import nimbus.compute.Task;
import nimbus.config.HostSettings;
import nimbus.compute.ServerPort;
import nimbus.network.PortEntity;
import nimbus.node.dataplane.LinuxTenantHost;
import nimbus.node.dataplane.TenantHost;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.network.Networking;
import nimbus.node.metadata.GuestNetworks;
import nimbus.node.metadata.GuestNic;
import nimbus.node.metadata.LocalGuests;
import nimbus.node.tenant.SecurityGroupSource;
import nimbus.node.router.LinuxRouters;
import nimbus.node.router.RouterAgent;
import nimbus.node.router.RouterPortBinding;
import nimbus.node.router.RouterRecords;
import nimbus.node.tenant.TenantNetworks;
import nimbus.node.dataplane.TenantSegment;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * The node agent of one hypervisor host. It reports the host's inventory to its
 * {@link HostEntity} with every heartbeat, carries out server commands (one at a time per
 * server, in arrival order) and reports each outcome to the server's entity; libvirt lifecycle
 * events become power-state reports. On start and periodically it reconciles: domains of
 * servers that no longer hold capacity here are removed, and every server that does is told
 * what the host sees, so its entity can restore what is missing.
 *
 * <p>Hypervisor calls run on the blocking executor; the actor only keeps the bookkeeping.
 */
public final class HostAgent {

  /** What the agent reacts to. */
  public interface Message {}

  /** How long plugging a server's ports may take: the network is asked, and its segment and DHCP made. */
  private static final java.time.Duration PLUG_TIMEOUT = java.time.Duration.ofSeconds(60);

  record Received(HostAgentCommand command) implements Message {}

  /** A volume's step asks this host to grow its guest's disk (an extend of a volume in use). */
  record DiskAsked(nimbus.storage.AttachedDiskCommand command) implements Message {}

  record Finished(String serverId, HostAgentCommand command, ServerEntity.HostReport report)
      implements Message {}

  record Heartbeat() implements Message {}

  record Reconcile() implements Message {}

  /**
   * What the host held when the reconciliation started reading it ({@code readAt}, nanoTime):
   * domains and DHCP leases by server id; and what its entity says is allocated here.
   */
  record Reconciled(Map<String, PowerState> domains, Set<String> leased, List<String> allocated, long readAt)
      implements Message {}

  record ReconcileFailed(String reason) implements Message {}

  record DomainChanged(String domainName) implements Message {}

  /** What the host has: the hypervisor's facts, and the GiB of its instances' filesystem. */
  record FactsRead(Hypervisor.HostFacts facts, int diskGb) implements Message {}

  record FactsFailed(String reason) implements Message {}

  public static Behavior<Message> create(HostSettings settings, Hypervisor hypervisor,
      ServerOperations operations, TenantHost tenantHost, Executor blocking) {
    return create(settings, hypervisor, operations, tenantHost, Optional.empty(), blocking);
  }

  /** {@code guests}: told of each server's metadata and ports here, for the metadata service. */
  public static Behavior<Message> create(HostSettings settings, Hypervisor hypervisor,
      ServerOperations operations, TenantHost tenantHost, Optional<ActorRef<LocalGuests.Command>> guests,
      Executor blocking) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(10_000, stash ->
        new HostAgent(ctx, timers, settings, hypervisor, operations, tenantHost, guests, blocking).starting(stash))));
  }

  private final ActorContext<Message> ctx;
  private final TimerScheduler<Message> timers;
  private final HostSettings settings;
  private final Hypervisor hypervisor;
  private final ServerOperations operations;
  private final Executor blocking;
  private final ClusterSharding sharding;
  private final HostDirectory directory;
  private final ActorRef<HostAgentCommand> inbox;
  private final ActorRef<TenantNetworks.Command> tenants;
  private final Optional<ActorRef<LocalGuests.Command>> guests;
  private final Map<String, Deque<HostAgentCommand>> queued = new HashMap<>();
  private final Map<String, HostAgentCommand> running = new HashMap<>();
  // when each server's last command finished: a reading of the host older than that is stale
  private final Map<String, Long> lastFinished = new HashMap<>();
  private HostInventory inventory;

  private HostAgent(ActorContext<Message> ctx, TimerScheduler<Message> timers, HostSettings settings,
      Hypervisor hypervisor, ServerOperations operations, TenantHost tenantHost,
      Optional<ActorRef<LocalGuests.Command>> guests, Executor blocking) {
    this.ctx = ctx;
    this.guests = guests;
    this.timers = timers;
    this.settings = settings;
    this.hypervisor = hypervisor;
    this.operations = operations;
    this.blocking = blocking;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.directory = HostDirectory.get(ctx.getSystem());
    this.inbox = ctx.messageAdapter(HostAgentCommand.class, Received::new);
    ctx.getSystem().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.register(
        nimbus.storage.AttachedDiskCommand.of(settings.name()),
        ctx.messageAdapter(nimbus.storage.AttachedDiskCommand.class, DiskAsked::new)));
    SecurityGroupSource groupSource = SecurityGroupSource.sharded(sharding, java.time.Duration.ofSeconds(5));
    this.tenants = ctx.spawn(TenantNetworks.create(settings, tenantHost, blocking, groupSource), "tenant-networks");
    // routers need the real tenant dataplane: their legs are ports of its bridges
    if (tenantHost instanceof LinuxTenantHost) {
      ctx.spawn(RouterAgent.create(settings, tenants, new LinuxRouters(new ProcessRunner()),
          new RouterRecords(settings.dhcpDir().resolve("routers")), Networking.floatingIpReports(ctx.getSystem()),
          RouterAgent.Lookup.sharded(sharding, java.time.Duration.ofSeconds(5)),
          RouterPortBinding.sharded(sharding, java.time.Duration.ofSeconds(5)), blocking), "routers");
    }
  }

  private Behavior<Message> starting(StashBuffer<Message> stash) {
    ActorRef<Message> self = ctx.getSelf();
    onBlocking(() -> {
      hypervisor.onLifecycleEvent(name -> self.tell(new DomainChanged(name)));
      return new FactsRead(hypervisor.facts(), settings.diskGb() > 0 ? settings.diskGb() : measuredDiskGb());
    }, read -> read, e -> new FactsFailed(e.getMessage()));
    return Behaviors.receive(Message.class)
        .onMessage(FactsRead.class, m -> {
          inventory = inventoryOf(m.facts(), m.diskGb());
          self.tell(new Heartbeat());
          timers.startTimerWithFixedDelay("heartbeat", new Heartbeat(), settings.heartbeatInterval());
          // the first reconciliation waits one beat, so the host entity knows the agent first
          timers.startTimerWithFixedDelay("reconcile", new Reconcile(), settings.heartbeatInterval(),
              settings.reconcileInterval());
          ctx.getLog().info("host {} ready: {} {} with {} CPUs and {} MiB", settings.name(),
              m.facts().type(), m.facts().version(), m.facts().cpus(), m.facts().memoryMb());
          return stash.unstashAll(running());
        })
        .onMessage(FactsFailed.class, m -> {
          throw new IllegalStateException("host " + settings.name() + ": " + m.reason());
        })
        .onMessage(Message.class, m -> {
          stash.stash(m); // handled once the host's facts are in
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Message> running() {
    return Behaviors.receive(Message.class)
        .onMessage(Heartbeat.class, m -> {
          host().tell(new HostEntity.ReportInventory(inventory));
          directory.beat(settings.name(), inbox);
          return Behaviors.same();
        })
        .onMessage(Received.class, m -> {
          accept(m.command());
          return Behaviors.same();
        })
        .onMessage(Finished.class, this::finished)
        .onMessage(DiskAsked.class, m -> {
          growDisk(m.command());
          return Behaviors.same();
        })
        .onMessage(DomainChanged.class, m -> {
          ServerOperations.serverIdOf(m.domainName()).ifPresent(this::observe);
          return Behaviors.same();
        })
        .onMessage(Reconcile.class, m -> {
          reconcile();
          return Behaviors.same();
        })
        .onMessage(Reconciled.class, this::reconciled)
        .onMessage(Ignored.class, m -> Behaviors.same())
        .onMessage(ReconcileFailed.class, m -> {
          // while the node shuts down, a reconciliation cut short is expected
          if (org.apache.pekko.actor.CoordinatedShutdown.get(ctx.getSystem()).getShutdownReason().isEmpty()) {
            ctx.getLog().warn("reconciliation of host {} failed: {}", settings.name(), m.reason());
          }
          return Behaviors.same();
        })
        .build();
  }

  // ------------------------------------------------------------------ commands

  /** libvirt's block resize on the blocking executor; asked again, a disk that large already is left alone. */
  private void growDisk(nimbus.storage.AttachedDiskCommand command) {
    if (command instanceof nimbus.storage.AttachedDiskCommand.GrowDisk c) {
      onBlocking(() -> {
        operations.growVolume(c.serverId(), c.device(), c.bytes());
        return Done.getInstance();
      }, done -> {
        c.replyTo().tell(StatusReply.ack());
        return null;
      }, e -> {
        c.replyTo().tell(StatusReply.error("host " + settings.name() + " could not grow disk " + c.device()
            + " of server " + c.serverId() + ": " + e.getMessage()));
        return null;
      });
    }
  }

  private void accept(HostAgentCommand command) {
    if (command instanceof ReadConsole read) {
      onBlocking(() -> operations.console(read.serverId(), read.lines()), output -> {
        read.replyTo().tell(StatusReply.success(output));
        return null;
      }, e -> {
        read.replyTo().tell(StatusReply.error("UNAVAILABLE: console of " + read.serverId() + ": " + e.getMessage()));
        return null;
      });
      return;
    }
    String id = command.serverId();
    Deque<HostAgentCommand> queue = queued.computeIfAbsent(id, k -> new ArrayDeque<>());
    // a retry of what runs or waits already adds nothing
    if (command.equals(running.get(id)) || queue.contains(command)) return;
    queue.addLast(command);
    runNext(id);
  }

  private void runNext(String serverId) {
    if (running.containsKey(serverId)) return;
    Deque<HostAgentCommand> queue = queued.get(serverId);
    if (queue == null || queue.isEmpty()) {
      queued.remove(serverId);
      return;
    }
    HostAgentCommand command = queue.removeFirst();
    running.put(serverId, command);
    // a server's ports are plugged on their networks before its domain is made, and unplugged after it is gone
    CompletableFuture<ServerEntity.HostReport> done = plug(command)
        .handle((nics, refused) -> {
          // an answer that never came is no refusal: the entity retries the command
          if (refused != null && !(unwrap(refused) instanceof java.util.concurrent.TimeoutException)) {
            throw new PortsRefused(unwrap(refused));
          }
          if (refused != null) throw new java.util.concurrent.CompletionException(unwrap(refused));
          return nics;
        })
        .thenCombine(guestNics(command), Plugged::new)
        .thenApply(plugged -> remember(command, plugged))
        .thenApplyAsync(plugged -> call(() -> execute(command, plugged)), blocking);
    if (command instanceof DestroyServer) {
      done = done.thenCompose(report -> unplug(serverId).thenApply(unplugged -> report));
    }
    if (command instanceof HostAgentCommand.DetachNic c) {
      // out of the guest first, then off its network: the server keeps the rest plugged
      done = done.thenCompose(report -> (c.ports().isEmpty() ? unplug(serverId)
          : replug(serverId, c.name(), c.ports()).thenApply(nics -> Done.getInstance())).thenApply(d -> report));
    }
    ctx.pipeToSelf(done, (report, e) -> new Finished(serverId, command, e == null ? report : failure(command, unwrap(e))));
  }

  /** The ports a command builds a domain with: the NICs it gets on their networks. */
  private static List<ServerPort> portsOf(HostAgentCommand command) {
    Optional<SpawnServer> spawn = spawnOf(command);
    if (spawn.isPresent()) return spawn.get().ports();
    // a NIC is plugged on its network before it is attached; one detached stays until it is out of the guest
    if (command instanceof HostAgentCommand.AttachNic c) return c.ports();
    return List.of();
  }

  /** A command's ports: their NICs on this host, and as its guest's config drive describes them. */
  private record Plugged(List<DomainSpec.Nic> nics, List<GuestNic> guestNics) {}

  /** The spawn a command makes its domain from, if it makes one. */
  private static Optional<SpawnServer> spawnOf(HostAgentCommand command) {
    if (command instanceof SpawnServer c) return Optional.of(c);
    if (command instanceof HostAgentCommand.RebuildServer c) return Optional.of(c.spawn());
    if (command instanceof HostAgentCommand.ResizeServer c) return Optional.of(c.spawn());
    return Optional.empty();
  }

  /**
   * The subnets of a new domain's networks, for its network_data.json: a config drive cannot do
   * without them; the metadata service can (its document then lists no NIC).
   */
  private CompletableFuture<List<GuestNic>> guestNics(HostAgentCommand command) {
    Optional<SpawnServer> spawn = spawnOf(command)
        .filter(s -> (s.instance().configDrive() || guests.isPresent()) && !s.ports().isEmpty());
    if (spawn.isEmpty()) return CompletableFuture.completedFuture(List.of());
    CompletableFuture<List<GuestNic>> nics = GuestNetworks.of(ClusterSharding.get(ctx.getSystem()), spawn.get().ports(),
        PLUG_TIMEOUT).toCompletableFuture();
    // a config drive needs them; the metadata service does without (network_data.json lists no NIC)
    return spawn.get().instance().configDrive() ? nics : nics.exceptionally(e -> List.of());
  }

  /**
   * The metadata service learns of a guest before its domain is made (so its first request finds
   * it), with its ports and NICs.
   */
  private Plugged remember(HostAgentCommand command, Plugged plugged) {
    guests.ifPresent(g -> spawnOf(command).ifPresent(c ->
        g.tell(new LocalGuests.Remember(c.instance(), c.ports(), plugged.guestNics()))));
    return plugged;
  }

  private CompletableFuture<List<DomainSpec.Nic>> plug(HostAgentCommand command) {
    List<ServerPort> ports = portsOf(command);
    if (ports.isEmpty()) return CompletableFuture.completedFuture(List.of());
    // the commands with ports: those that make a domain, and a NIC's attach
    String name = spawnOf(command).map(SpawnServer::name)
        .orElseGet(() -> ((HostAgentCommand.AttachNic) command).name());
    return AskPattern.<TenantNetworks.Command, List<DomainSpec.Nic>>askWithStatus(tenants,
        replyTo -> new TenantNetworks.Plug(command.serverId(), name, ports, replyTo), PLUG_TIMEOUT,
        ctx.getSystem().scheduler()).toCompletableFuture();
  }

  private CompletableFuture<List<DomainSpec.Nic>> replug(String serverId, String name, List<ServerPort> ports) {
    return AskPattern.<TenantNetworks.Command, List<DomainSpec.Nic>>askWithStatus(tenants,
        replyTo -> new TenantNetworks.Plug(serverId, name, ports, replyTo), PLUG_TIMEOUT,
        ctx.getSystem().scheduler()).toCompletableFuture();
  }

  private CompletableFuture<Done> unplug(String serverId) {
    return AskPattern.<TenantNetworks.Command, Done>askWithStatus(tenants,
        replyTo -> new TenantNetworks.Unplug(serverId, replyTo), PLUG_TIMEOUT, ctx.getSystem().scheduler())
        .toCompletableFuture();
  }

  private Behavior<Message> finished(Finished m) {
    running.remove(m.serverId());
    // the metadata service follows its guests' NICs, and forgets a guest once its domain is gone
    if (guests.isPresent()) {
      if (m.report() instanceof ServerEntity.NicPlugged && m.command() instanceof HostAgentCommand.AttachNic c) {
        guests.get().tell(new LocalGuests.UpdatePorts(c.serverId(), c.ports()));
      }
      if (m.report() instanceof ServerEntity.Destroyed) guests.get().tell(new LocalGuests.Forget(m.serverId()));
      if (m.report() instanceof ServerEntity.NicUnplugged && m.command() instanceof HostAgentCommand.DetachNic c) {
        guests.get().tell(new LocalGuests.UpdatePorts(c.serverId(), c.ports()));
      }
    }
    String host = settings.name();
    if (m.report() instanceof ServerEntity.NicPlugged plugged) {
      sharding.entityRefFor(PortEntity.TYPE_KEY, plugged.portId()).tell(new PortEntity.ReportStatus(host, "ACTIVE"));
    } else if (m.report() instanceof ServerEntity.NicUnplugged unplugged) {
      sharding.entityRefFor(PortEntity.TYPE_KEY, unplugged.portId()).tell(new PortEntity.ReportStatus(host, "DOWN"));
    } else if (m.report() instanceof ServerEntity.Spawned || m.report() instanceof ServerEntity.TaskDone) {
      // its NICs are on their networks now: the ports say so (Neutron's port status)
      portsOf(m.command()).forEach(p -> sharding.entityRefFor(PortEntity.TYPE_KEY, p.portId())
          .tell(new PortEntity.ReportStatus(host, "ACTIVE")));
    }
    if (m.report() instanceof ServerEntity.Destroyed) {
      lastFinished.remove(m.serverId());
    } else {
      lastFinished.put(m.serverId(), System.nanoTime());
    }
    server(m.serverId()).tell(m.report());
    runNext(m.serverId());
    return Behaviors.same();
  }

  /** The server task a power command carries out. */
  private static Task taskOf(HostAgentCommand command) {
    if (command instanceof StopServer) return Task.POWERING_OFF;
    if (command instanceof StartServer) return Task.POWERING_ON;
    if (command instanceof RebootServer c) return c.hard() ? Task.REBOOTING_HARD : Task.REBOOTING;
    if (command instanceof HostAgentCommand.PauseServer) return Task.PAUSING;
    if (command instanceof HostAgentCommand.UnpauseServer) return Task.UNPAUSING;
    if (command instanceof HostAgentCommand.SuspendServer) return Task.SUSPENDING;
    if (command instanceof HostAgentCommand.ResumeServer) return Task.RESUMING;
    if (command instanceof HostAgentCommand.RebuildServer) return Task.REBUILDING;
    if (command instanceof HostAgentCommand.ResizeServer c) return c.task();
    if (command instanceof HostAgentCommand.SnapshotServer) return Task.IMAGE_SNAPSHOT;
    if (command instanceof HostAgentCommand.ExportDisk) return Task.RESIZE_MIGRATING;
    throw new IllegalArgumentException("no task for " + command.getClass().getSimpleName());
  }

  /** Blocking: carries out one command and says what happened; {@code plugged}: its ports. */
  private ServerEntity.HostReport execute(HostAgentCommand command, Plugged plugged) throws Exception {
    String host = settings.name();
    String id = command.serverId();
    List<DomainSpec.Nic> nics = plugged.nics();
    if (command instanceof SpawnServer c) return new ServerEntity.Spawned(host, operations.spawn(c, nics, plugged.guestNics()));
    if (command instanceof DestroyServer) {
      operations.destroy(id);
      return new ServerEntity.Destroyed(host);
    }
    if (command instanceof HostAgentCommand.ResizeServer c) {
      return new ServerEntity.TaskDone(host, c.task(), operations.resize(c.spawn(), nics, plugged.guestNics()));
    }
    if (command instanceof HostAgentCommand.ExportDisk) {
      return new ServerEntity.DiskExported(host, operations.exportDisk(id));
    }
    if (command instanceof HostAgentCommand.AttachNic c) {
      DomainSpec.Nic nic = nics.stream().filter(n -> n.mac().equals(c.port().macAddress())).findFirst()
          .orElseThrow(() -> new IllegalStateException("port " + c.port().portId() + " is not plugged here"));
      operations.attachNic(id, nic);
      return new ServerEntity.NicPlugged(host, c.port().portId());
    }
    if (command instanceof HostAgentCommand.DetachNic c) {
      operations.detachNic(id, new DomainSpec.Nic(TenantSegment.bridgeOf(c.port().networkId()), c.port().macAddress(),
          Optional.empty(), Optional.of(TenantSegment.tapDevice(c.port().portId()))));
      return new ServerEntity.NicUnplugged(host, c.port().portId());
    }
    if (command instanceof HostAgentCommand.AttachVolume c) {
      operations.attachVolume(id, c.volumeId(), c.path(), c.device());
      return new ServerEntity.VolumePlugged(host, c.volumeId());
    }
    if (command instanceof HostAgentCommand.DetachVolume c) {
      operations.detachVolume(id, c.device());
      return new ServerEntity.VolumeUnplugged(host, c.volumeId());
    }
    if (command instanceof HostAgentCommand.SnapshotServer c) {
      operations.snapshot(id, c.imageId());
      return new ServerEntity.TaskDone(host, Task.IMAGE_SNAPSHOT, operations.state(id).orElse(PowerState.NOSTATE));
    }
    Task task = taskOf(command);
    PowerState power = switch (task) {
      case POWERING_OFF -> operations.stop(id);
      case POWERING_ON -> operations.start(id);
      case REBOOTING, REBOOTING_HARD -> operations.reboot(id, task == Task.REBOOTING_HARD);
      case PAUSING -> operations.pause(id);
      case UNPAUSING -> operations.unpause(id);
      case SUSPENDING -> operations.suspend(id);
      case RESUMING -> operations.resume(id);
      case REBUILDING -> {
        operations.destroy(id); // the old disk goes; the new one comes from the new image
        yield operations.spawn(((HostAgentCommand.RebuildServer) command).spawn(), nics, plugged.guestNics());
      }
      default -> throw new IllegalArgumentException("unexpected task " + task);
    };
    return new ServerEntity.TaskDone(host, task, power);
  }

  private ServerEntity.HostReport failure(HostAgentCommand command, Throwable e) {
    String host = settings.name();
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    if (e instanceof PortsRefused) {
      // Neutron's failed binding: the ports say so too, not only the server
      portsOf(command).forEach(p -> sharding.entityRefFor(PortEntity.TYPE_KEY, p.portId())
          .tell(new PortEntity.ReportStatus(host, PortEntity.BINDING_FAILED)));
    }
    ctx.getLog().warn("{} of server {} failed on {}: {}", command.getClass().getSimpleName(),
        command.serverId(), host, reason);
    if (command instanceof SpawnServer) return new ServerEntity.SpawnFailed(host, reason);
    if (command instanceof HostAgentCommand.AttachNic c) return new ServerEntity.NicPlugFailed(host, c.port().portId(), reason);
    if (command instanceof HostAgentCommand.AttachVolume c) return new ServerEntity.VolumePlugFailed(host, c.volumeId(), reason);
    // a volume's detach that failed is asked again by the server, as a NIC's is
    if (command instanceof HostAgentCommand.DetachVolume) return new ServerEntity.PowerObserved(host, PowerState.NOSTATE, true);
    // a detach that failed is asked again by the server; what it sees meanwhile is its power
    if (command instanceof HostAgentCommand.DetachNic) return new ServerEntity.PowerObserved(host, PowerState.NOSTATE, true);
    // a failed destroy is retried by the entity; the report it waits for is Destroyed
    if (command instanceof DestroyServer) return new ServerEntity.PowerObserved(host, PowerState.NOSTATE, true);
    return new ServerEntity.TaskFailedOnHost(host, taskOf(command), reason);
  }

  // ------------------------------------------------------------------ observing the host

  private void observe(String serverId) {
    if (running.containsKey(serverId)) return; // the command's own report says it
    long readAt = System.nanoTime();
    onBlocking(() -> operations.state(serverId), state -> {
      // a command that finished while we looked has reported the newer truth
      if (!changedSince(serverId, readAt) && !running.containsKey(serverId)) {
        server(serverId).tell(new ServerEntity.PowerObserved(settings.name(),
            state.orElse(PowerState.NOSTATE), state.isPresent()));
      }
      return null;
    }, e -> null);
  }

  private void reconcile() {
    ActorRef<Message> self = ctx.getSelf();
    long readAt = System.nanoTime();
    onBlocking(() -> operations.evictUnusedImages(settings.imageCacheKeep()), removed -> {
      if (removed > 0) ctx.getLog().info("image cache of host {}: removed {} unused files", settings.name(), removed);
      return null;
    }, e -> null);
    CompletableFuture<Set<String>> tenantPorts = AskPattern.<TenantNetworks.Command, Set<String>>ask(tenants,
        TenantNetworks.GetServers::new, PLUG_TIMEOUT, ctx.getSystem().scheduler()).toCompletableFuture();
    CompletableFuture.supplyAsync(() -> Map.entry(operations.servers(), operations.leasedServers()), blocking)
        .thenCombine(tenantPorts, (held, plugged) -> {
          Set<String> leased = new HashSet<>(held.getValue());
          leased.addAll(plugged);
          return Map.entry(held.getKey(), leased);
        })
        .thenCompose(held -> host()
            .<HostEntity.Allocations>askWithStatus(HostEntity.GetAllocations::new, settings.heartbeatInterval().multipliedBy(5))
            .thenApply(a -> new Reconciled(held.getKey(), held.getValue(), a.serverIds(), readAt)))
        .whenComplete((r, e) -> self.tell(e == null ? r : new ReconcileFailed(String.valueOf(e.getMessage()))));
  }

  private Behavior<Message> reconciled(Reconciled m) {
    Set<String> allocated = new HashSet<>(m.allocated());
    for (String id : m.domains().keySet()) {
      if (!allocated.contains(id) && !running.containsKey(id) && !changedSince(id, m.readAt())) {
        ctx.getLog().info("removing orphan domain of server {} from host {}", id, settings.name());
        accept(new DestroyServer(id));
      }
    }
    for (String id : m.leased()) {
      if (RouterAgent.isRouterOwner(id)) continue; // the router agent's, which sweeps them itself
      if (!m.domains().containsKey(id) && !allocated.contains(id) && !running.containsKey(id)
          && !queued.containsKey(id) && !changedSince(id, m.readAt())) {
        ctx.getLog().info("releasing the orphan lease of server {} on host {}", id, settings.name());
        tenants.tell(new TenantNetworks.Unplug(id, ctx.getSystem().ignoreRef()));
        onBlocking(() -> {
          operations.release(id);
          return null;
        }, done -> null, e -> null);
      }
    }
    for (String id : allocated) {
      if (running.containsKey(id) || queued.containsKey(id) || changedSince(id, m.readAt())) continue;
      PowerState power = m.domains().get(id);
      server(id).tell(new ServerEntity.PowerObserved(settings.name(),
          power == null ? PowerState.NOSTATE : power, power != null));
    }
    return Behaviors.same();
  }

  /** Whether a command of this server finished after {@code nanoTime}: a reading from then is stale. */
  private boolean changedSince(String serverId, long nanoTime) {
    Long finished = lastFinished.get(serverId);
    return finished != null && finished - nanoTime > 0;
  }

  // ------------------------------------------------------------------ plumbing

  private HostInventory inventoryOf(Hypervisor.HostFacts facts, int diskGb) {
    return new HostInventory(facts.type(), facts.version(), settings.underlayAddress(),
        new Resources(facts.cpus(), (int) facts.memoryMb(), diskGb),
        settings.cpuAllocationRatio(), settings.ramAllocationRatio(), settings.diskAllocationRatio(),
        settings.availabilityZone());
  }

  /** The size of the filesystem the instances directory is on, in whole GiB. Blocking. */
  private int measuredDiskGb() throws java.io.IOException {
    java.nio.file.Files.createDirectories(settings.instancesDir());
    return (int) (java.nio.file.Files.getFileStore(settings.instancesDir()).getTotalSpace() >> 30);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<HostEntity.Command> host() {
    return sharding.entityRefFor(HostEntity.TYPE_KEY, settings.name());
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<ServerEntity.Command> server(String id) {
    return sharding.entityRefFor(ServerEntity.TYPE_KEY, id);
  }

  private interface Blocking<T> {
    T call() throws Exception;
  }

  /** Runs {@code work} on the blocking executor and sends its outcome to this actor. */
  private <T> void onBlocking(Blocking<T> work, java.util.function.Function<T, Message> done,
      java.util.function.Function<Throwable, Message> failed) {
    CompletableFuture<T> future = CompletableFuture.supplyAsync(() -> {
      try {
        return work.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking);
    ctx.pipeToSelf(future, (value, error) -> {
      Message m = error == null ? done.apply(value) : failed.apply(unwrap(error));
      return m == null ? new Ignored() : m;
    });
  }

  record Ignored() implements Message {}

  /** {@code work}'s value, its checked failure wrapped (for a stage of a future). */
  private static <T> T call(Blocking<T> work) {
    try {
      return work.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  /** This host cannot plug a command's ports (a network type or physical network it cannot carry). */
  private static final class PortsRefused extends RuntimeException {
    PortsRefused(Throwable why) {
      super(why.getMessage(), why, false, false);
    }
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) e = e.getCause();
    return e;
  }
}
