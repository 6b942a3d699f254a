package nimbus.node.tenant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerPort;
import nimbus.config.HostSettings;
import nimbus.network.Network;
import nimbus.network.NetworkChanged;
import nimbus.network.NetworkEntity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupChanged;
import nimbus.node.dataplane.FilteredPort;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.LinuxTenantHost;
import nimbus.node.dataplane.NetworkType;
import nimbus.node.dataplane.TenantHost;
import nimbus.node.dataplane.TenantPort;
import nimbus.node.dataplane.TenantSegment;
import nimbus.node.hypervisor.DomainSpec;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * The tenant networks of one host (one per agent). For each network this host has ports on, it
 * listens to the network's topic (asking the network once to start, and again at every
 * reconciliation, since a topic says nothing of what was published before it was heard) and
 * makes the host match: segment, peers, DHCP, firewall ({@link TenantHost}). A server's spawn
 * plugs its ports here first ({@link Plug}) and gets their NICs; its destroy unplugs them.
 *
 * <p>Ports with port security on are filtered by their security groups: the host follows each
 * group they use, and each group those groups' rules name as remote group, on its topic (asking
 * the {@link SecurityGroupSource} once to start, at each change heard, and at every
 * reconciliation), and every job applies the filter as the groups are now. Until every group has
 * answered once since the agent started, the rules an earlier agent applied stay (they hold what
 * it knew); after that a group not yet answered (new to this host) allows nothing, so a port
 * plugged while its group is fetched is filtered from its first packet, never open.
 *
 * <p>All host work runs on the blocking executor, one job at a time, each job for every network
 * changed since the last began; the actor keeps only the bookkeeping.
 */
public final class TenantNetworks {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REFETCH = Duration.ofSeconds(1);
  /** How long a new topic subscription may take to reach the publishers (the receptionist's gossip). */
  private static final Duration TOPIC_SETTLE = Duration.ofSeconds(5);

  /** What it is asked, and tells itself. */
  public interface Command {}

  /** Plugs a server's ports (idempotent); answers their NICs, or why this host cannot have them. */
  public record Plug(String serverId, String serverName, List<ServerPort> ports,
      ActorRef<StatusReply<List<DomainSpec.Nic>>> replyTo) implements Command {}

  /** Unplugs a server's ports: its leases go, and networks left with no port here are removed. */
  public record Unplug(String serverId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The servers that have ports plugged here. */
  public record GetServers(ActorRef<Set<String>> replyTo) implements Command {}

  private record Started(Set<NetworkType> carries, Map<String, List<TenantPort>> plugged) implements Command {}

  private record StartFailed(String reason) implements Command {}

  private record Changed(NetworkChanged changed) implements Command {}

  private record Fetched(String networkId, long generation, Network network, Throwable error) implements Command {}

  private record Refetch(String networkId) implements Command {}

  private record Reconcile() implements Command {}

  private record JobDone(TenantJob.Outcome outcome) implements Command {}

  private record GroupChanged(SecurityGroupChanged changed) implements Command {}

  private record GroupFetched(String groupId, long generation, Optional<SecurityGroup> group, Throwable error)
      implements Command {}

  private record GroupRefetch(String groupId) implements Command {}

  /** Tenant networks whose filtered ports' security groups are asked of {@code groupSource}. */
  public static Behavior<Command> create(HostSettings settings, TenantHost host, Executor blocking,
      SecurityGroupSource groupSource) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(10_000, stash ->
        new TenantNetworks(ctx, timers, settings, host, blocking, groupSource).starting(stash))));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final HostSettings settings;
  private final TenantHost host;
  private final Executor blocking;
  private final ClusterSharding sharding;
  private final Watches watches;
  private final SecurityGroupSource groupSource;
  private final GroupWatches groups;
  /** A group changed since the last job began. */
  private boolean filterWanted;
  /** Every group was known at a filter of this agent's: from then on an unknown group is a new one. */
  private boolean filteredWhole;
  private final PluggedPorts plugged = new PluggedPorts();
  /** Networks changed since the last job began. */
  private final Set<String> dirty = new LinkedHashSet<>();
  /** Plugs waiting for their networks to be known. */
  private final List<Plug> fetching = new ArrayList<>();
  /** Plugs and unplugs waiting for the next job, and those the running job will answer. */
  private final List<Waiter> waiting = new ArrayList<>();
  private List<Waiter> answering = List.of();
  private Set<NetworkType> carries = Set.of();
  private Optional<String> startFailure = Optional.empty();
  private boolean busy;
  private boolean sweepWanted = true;

  private TenantNetworks(ActorContext<Command> ctx, TimerScheduler<Command> timers, HostSettings settings,
      TenantHost host, Executor blocking, SecurityGroupSource groupSource) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.host = host;
    this.blocking = blocking;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.watches = new Watches(ctx, ctx.messageAdapter(NetworkChanged.class, Changed::new));
    this.groupSource = groupSource;
    this.groups = new GroupWatches(ctx, ctx.messageAdapter(SecurityGroupChanged.class, GroupChanged::new));
  }

  private Behavior<Command> starting(StashBuffer<Command> stash) {
    CompletableFuture<Started> read = CompletableFuture.supplyAsync(() -> new Started(host.carries(), host.plugged()), blocking);
    ctx.pipeToSelf(read, (started, e) -> e == null ? started : new StartFailed(String.valueOf(e.getMessage())));
    return Behaviors.receive(Command.class)
        .onMessage(Started.class, m -> {
          carries = m.carries();
          m.plugged().forEach((network, ports) -> {
            ports.forEach(p -> plugged.add(network, p));
            watch(network);
          });
          timers.startTimerWithFixedDelay("reconcile", new Reconcile(), settings.reconcileInterval());
          return stash.unstashAll(running());
        })
        .onMessage(StartFailed.class, m -> {
          ctx.getLog().error("host {} can carry no tenant network: {}", settings.name(), m.reason());
          startFailure = Optional.of("host " + settings.name() + " can carry no tenant network: " + m.reason());
          return stash.unstashAll(running());
        })
        .onMessage(Command.class, m -> {
          stash.stash(m);
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> running() {
    advance();
    return Behaviors.receive(Command.class)
        .onMessage(Plug.class, this::plug)
        .onMessage(Unplug.class, this::unplug)
        .onMessage(GetServers.class, m -> {
          m.replyTo().tell(plugged.servers());
          return Behaviors.same();
        })
        .onMessage(Changed.class, m -> {
          Network n = m.changed().network();
          Optional<Network> before = watches.network(n.id());
          if (watches.heard(n)) changed(n.id(), before, n);
          return advance();
        })
        .onMessage(Fetched.class, this::fetched)
        .onMessage(Refetch.class, m -> {
          if (watches.isWatched(m.networkId())) fetch(m.networkId());
          return Behaviors.same();
        })
        .onMessage(Reconcile.class, m -> {
          // every network is asked again and rebuilt, and what no network uses is swept
          watches.ids().forEach(this::fetch);
          groups.ids().forEach(this::fetchGroup);
          dirty.addAll(watches.ids());
          sweepWanted = true;
          return advance();
        })
        .onMessage(JobDone.class, this::jobDone)
        .onMessage(GroupChanged.class, m -> {
          boolean changed = groups.heard(m.changed().group());
          if (changed) filterWanted = true;
          ctx.getLog().debug("security group {} heard: {}", m.changed().group().id(),
              !changed ? "no change" : busy ? "after the running job" : "applying");
          return advance();
        })
        .onMessage(GroupFetched.class, this::groupFetched)
        .onMessage(GroupRefetch.class, m -> {
          if (groups.isWatched(m.groupId())) fetchGroup(m.groupId());
          return Behaviors.same();
        })
        .build();
  }

  // ------------------------------------------------------------------ plugs and unplugs

  private Behavior<Command> plug(Plug c) {
    if (startFailure.isPresent()) {
      c.replyTo().tell(StatusReply.error(startFailure.get()));
      return Behaviors.same();
    }
    forget(c.serverId()); // a spawn sent again, or a rebuild: its ports as they are now
    for (ServerPort p : c.ports()) {
      plugged.add(p.networkId(), TenantPlan.plugged(c.serverId(), c.serverName(), p));
      watch(p.networkId());
      dirty.add(p.networkId());
    }
    fetching.add(c);
    return advance();
  }

  private Behavior<Command> unplug(Unplug c) {
    fetching.removeIf(p -> {
      if (p.serverId().equals(c.serverId())) p.replyTo().tell(StatusReply.error("server " + c.serverId() + " was unplugged"));
      return p.serverId().equals(c.serverId());
    });
    Set<String> networks = forget(c.serverId());
    if (networks.isEmpty()) {
      c.replyTo().tell(StatusReply.ack());
      return Behaviors.same();
    }
    waiting.add(new Waiter(networks, failure -> c.replyTo().tell(failure.isEmpty()
        ? StatusReply.ack() : StatusReply.error(failure.get()))));
    return advance();
  }

  /** Drops a server's ports; answers the networks it had ports on. */
  private Set<String> forget(String serverId) {
    Set<String> networks = plugged.forget(serverId);
    dirty.addAll(networks);
    return networks;
  }

  /** Moves plugs whose networks are all known on to the next job, and refuses those that cannot be. */
  private Behavior<Command> advance() {
    for (Plug p : List.copyOf(fetching)) {
      Set<String> networks = networksOf(p);
      Optional<String> refusal = networks.stream().map(this::refusal).flatMap(Optional::stream).findFirst();
      if (refusal.isPresent()) {
        fetching.remove(p);
        refuse(p, refusal.get());
      } else if (networks.stream().allMatch(watches::known)) {
        fetching.remove(p);
        dirty.addAll(networks);
        waiting.add(new Waiter(networks, failure -> {
          if (failure.isPresent()) {
            refuse(p, failure.get());
          } else {
            p.replyTo().tell(StatusReply.success(p.ports().stream()
                .map(port -> TenantPlan.nic(watches.network(port.networkId()).orElseThrow(), port)).toList()));
          }
        }));
      }
    }
    if (!busy && (!dirty.isEmpty() || filterWanted || sweepWanted && plugged.networks().stream().allMatch(watches::known))) startJob();
    return Behaviors.same();
  }

  private void refuse(Plug p, String reason) {
    forget(p.serverId());
    p.replyTo().tell(StatusReply.error(reason));
  }

  private static Set<String> networksOf(Plug p) {
    Set<String> ids = new LinkedHashSet<>();
    p.ports().forEach(port -> ids.add(port.networkId()));
    return ids;
  }

  /** Why this host cannot carry the network, if it cannot; empty also while it is not known yet. */
  private Optional<String> refusal(String networkId) {
    Optional<String> missing = watches.missing(networkId);
    if (missing.isPresent()) return missing;
    Optional<Network> n = watches.network(networkId);
    if (n.isEmpty()) return Optional.empty();
    String prefix = "Network " + networkId + " cannot be plugged on host " + settings.name() + ": ";
    if (n.get().phase() != Network.Phase.ACTIVE) return Optional.of(prefix + "it is " + n.get().phase());
    try {
      TenantSegment segment = TenantPlan.segment(n.get());
      if (!carries.contains(segment.type())) return Optional.of(prefix + LinuxTenantHost.refusal(segment.type(), carries));
      Optional<String> noInterface = segment.physicalNetwork().flatMap(host::physicalNetworkRefusal);
      if (noInterface.isPresent()) return Optional.of(prefix + noInterface.get());
    } catch (IllegalArgumentException e) {
      return Optional.of(prefix + e.getMessage());
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ what the networks are

  private void watch(String networkId) {
    if (watches.watch(networkId)) fetch(networkId);
  }

  private void fetch(String networkId) {
    long generation = watches.generation(networkId);
    ctx.pipeToSelf(sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
            .<Network>askWithStatus(NetworkEntity.Get::new, ASK_TIMEOUT),
        (n, e) -> new Fetched(networkId, generation, n, e));
  }

  private Behavior<Command> fetched(Fetched m) {
    if (m.error() == null) {
      Optional<Network> before = watches.network(m.networkId());
      if (watches.fetched(m.networkId(), m.generation(), m.network())) changed(m.networkId(), before, m.network());
    } else if (Rejection.from(m.error()).kind() == Rejection.Kind.NOT_FOUND) {
      if (watches.lost(m.networkId(), m.generation(), Rejection.from(m.error()).message())) dirty.add(m.networkId());
    } else if (!watches.known(m.networkId())) {
      timers.startSingleTimer("fetch-" + m.networkId(), new Refetch(m.networkId()), REFETCH);
    }
    return advance();
  }

  /**
   * A network changed: rebuilt, unless only its ports' filtering did; then only the filter is
   * applied again, and only if one of those ports is plugged here (a rebuild takes seconds on a
   * loaded host, a rule change should take effect at once).
   */
  private void changed(String networkId, Optional<Network> before, Network after) {
    Optional<Set<String>> refiltered = before.flatMap(b -> TenantPlan.refilteredPorts(b, after));
    if (refiltered.isEmpty()) {
      dirty.add(networkId);
    } else if (plugged.on(networkId).stream().anyMatch(p -> refiltered.get().contains(p.portId()))) {
      filterWanted = true;
    }
  }

  // ------------------------------------------------------------------ security groups

  private void fetchGroup(String groupId) {
    long generation = groups.generation(groupId);
    ctx.pipeToSelf(groupSource.fetch(groupId), (g, e) -> new GroupFetched(groupId, generation, g, e));
  }

  private Behavior<Command> groupFetched(GroupFetched m) {
    if (m.error() == null) {
      if (groups.fetched(m.groupId(), m.generation(), m.group())) filterWanted = true;
    } else {
      timers.startSingleTimer("group-" + m.groupId(), new GroupRefetch(m.groupId()), REFETCH);
    }
    return advance();
  }

  /**
   * The filter of the ports plugged on these networks with port security on (none until every
   * group has answered once: see the class's comment); follows the groups it needs now and no others.
   */
  private Optional<TenantJob.Filter> filter(Map<String, HostNetwork> carried) {
    List<FilteredPort> ports = new ArrayList<>();
    for (String networkId : carried.keySet()) {
      Network n = watches.network(networkId).orElseThrow();
      for (TenantPort p : plugged.on(networkId)) {
        Optional.ofNullable(n.ports().get(p.portId())).filter(a -> a.security().enabled()).ifPresent(a ->
            ports.add(new FilteredPort(p.tap(), TenantSegment.bridgeOf(networkId), a.macAddress(),
                a.fixedIps().stream().map(nimbus.network.FixedIp::ipAddress).toList(),
                a.security().allowedAddressPairs(), a.security().securityGroups())));
      }
    }
    Set<String> used = new java.util.TreeSet<>();
    ports.forEach(p -> used.addAll(p.securityGroups()));
    Map<String, SecurityGroup> known = groups.groups();
    used.addAll(nimbus.node.dataplane.PortFirewall.remoteGroups(List.copyOf(used), known));
    used.forEach(id -> {
      if (groups.watch(id)) {
        fetchGroup(id);
        // a change published before the new subscription reached the group's node is not heard:
        // asked once more when it has
        timers.startSingleTimer("group-settle-" + id, new GroupRefetch(id), TOPIC_SETTLE);
      }
    });
    groups.ids().stream().filter(id -> !used.contains(id)).forEach(groups::unwatch);
    if (used.stream().allMatch(groups::known)) {
      filteredWhole = true;
    } else if (!filteredWhole) {
      return Optional.empty();
    }
    Map<String, SecurityGroup> needed = new HashMap<>(groups.groups());
    needed.keySet().retainAll(used);
    return Optional.of(new TenantJob.Filter(ports, needed));
  }

  // ------------------------------------------------------------------ jobs

  /** One job ({@link TenantJob}) for every network changed since the last began. */
  private void startJob() {
    busy = true;
    List<String> networks = List.copyOf(dirty);
    dirty.clear();
    answering = List.copyOf(waiting);
    waiting.clear();
    Map<String, HostNetwork> carried = new LinkedHashMap<>();
    Map<String, String> unbuildable = new HashMap<>();
    for (String id : plugged.networks()) {
      if (!watches.known(id) || watches.gone(id)) continue;
      Optional<String> refused = refusal(id);
      try {
        if (refused.isEmpty()) {
          carried.put(id, TenantPlan.of(watches.network(id).orElseThrow(), plugged.on(id), settings.name(),
              settings.underlayAddress()));
        }
      } catch (IllegalArgumentException e) {
        refused = Optional.of("Network " + id + " cannot be plugged on host " + settings.name() + ": " + e.getMessage());
      }
      refused.ifPresent(why -> unbuildable.put(id, why));
    }
    List<TenantJob.Step> steps = networks.stream().map(id -> {
      List<TenantPort> ports = plugged.on(id);
      return new TenantJob.Step(id, ports, ports.isEmpty() || watches.gone(id), Optional.ofNullable(unbuildable.get(id)),
          Optional.ofNullable(carried.get(id)), watches.applied(id));
    }).toList();
    boolean sweep = sweepWanted && plugged.networks().stream().allMatch(watches::known);
    if (sweep) sweepWanted = false;
    List<HostNetwork> all = List.copyOf(carried.values());
    filterWanted = false;
    Optional<TenantJob.Filter> filter = filter(carried);
    CompletableFuture<TenantJob.Outcome> job = CompletableFuture.supplyAsync(
        () -> TenantJob.run(host, settings.name(), steps, all, filter, sweep), blocking);
    ctx.pipeToSelf(job, (done, e) -> new JobDone(done != null ? done : new TenantJob.Outcome(Map.of(),
        Map.of("*", "tenant networks of host " + settings.name() + ": " + e.getMessage()))));
  }

  private Behavior<Command> jobDone(JobDone m) {
    busy = false;
    Map<String, String> failures = m.outcome().failures();
    failures.forEach((id, why) -> ctx.getLog().warn("{}", why));
    m.outcome().applied().forEach(watches::applied);
    for (Waiter w : answering) {
      Optional<String> failure = Optional.ofNullable(failures.get("*"))
          .or(() -> w.networks().stream().map(failures::get).filter(f -> f != null).findFirst());
      w.answer().accept(failure);
    }
    answering = List.of();
    // a network with no port here any more is no longer listened to
    for (String id : List.copyOf(watches.ids())) {
      if (!plugged.has(id) && !dirty.contains(id) && fetching.stream().noneMatch(p -> networksOf(p).contains(id))) {
        watches.unwatch(id);
      }
    }
    return advance();
  }

  /** Something waiting for the next job over {@code networks}: answered with its first failure, if any. */
  private record Waiter(Set<String> networks, java.util.function.Consumer<Optional<String>> answer) {}
}
