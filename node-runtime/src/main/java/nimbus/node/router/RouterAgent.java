package nimbus.node.router;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.compute.ServerPort;
import nimbus.cluster.Rejection;
import nimbus.config.HostSettings;
import nimbus.network.Attachment;
import nimbus.network.FloatingIpReports;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.Router;
import nimbus.network.RouterChanged;
import nimbus.network.RouterEntity;
import nimbus.network.RouterState;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.tenant.TenantNetworks;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The routers of one host (one per agent). It listens to the host's router topic
 * ({@link RouterChanged#hostTopic}); for each router placed here it plugs the router's ports on their networks
 * ({@link TenantNetworks}, owner {@code router-ID}, so bridges and tunnels exist even with no guest
 * here), builds its namespace ({@link LinuxRouters}), records it ({@link RouterRecords}) and reports
 * its floating IPs {@code ACTIVE}; a router deleted, moved away or set down is removed, unplugged and
 * its floating IPs reported {@code DOWN}.
 *
 * <p>Its full view of the routers placed here is the records on disk plus what the topic says
 * since: a restarted agent rebuilds its recorded routers at once, and asks each one's entity
 * ({@link Lookup}) at every reconciliation, which catches a deletion or move it did not hear while
 * down. Only then does it sweep: router namespaces and {@code router-} plugs of no router of its
 * view are removed. A router whose work failed (its entities out of reach, as they are a moment
 * after a node starts) is tried again after 1 s, then ever later up to 10 s ({@link #retryDelay});
 * a changed version of it heard starts that count again. Host work runs on the blocking executor,
 * one router at a time.
 */
public final class RouterAgent {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration PLUG_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  /** The longest wait before a failed router is tried again: a few asks, cheap next to a router left unbuilt. */
  private static final Duration LONGEST_RETRY = Duration.ofSeconds(10);
  static final String OWNER = "router-";

  /** What it is told, and tells itself. */
  public interface Command {}

  private record Started(Map<String, RouterPlan> recorded, Throwable error) implements Command {}

  private record Changed(RouterChanged changed) implements Command {}

  private record Reconcile() implements Command {}

  private record JobDone(String routerId, Optional<RouterPlan> applied, Optional<Router> from, Throwable error)
      implements Command {}

  private record SweepDone(Throwable error) implements Command {}

  /** A router whose job failed, done again. */
  private record Retry(String routerId) implements Command {}

  /** A router's entity did not answer: it is asked again at the next reconciliation. */
  private record LookupFailed() implements Command {}

  /** How it asks a router's entity what the router is now; empty if it does not exist. */
  public interface Lookup {
    CompletionStage<Optional<Router>> find(String routerId);

    /** Asks the router's entity; a router being deleted, or one it does not know, is none. */
    static Lookup sharded(ClusterSharding sharding, Duration timeout) {
      return id -> sharding.entityRefFor(RouterEntity.TYPE_KEY, id)
          .<RouterState>askWithStatus(RouterEntity.Get::new, timeout)
          .handle((state, error) -> {
            if (error == null) {
              boolean live = state.phase() == RouterState.Phase.CREATING || state.phase() == RouterState.Phase.ACTIVE;
              return live ? Optional.of(state.router()) : Optional.<Router>empty();
            }
            if (Rejection.isNotFound(error)) return Optional.<Router>empty();
            throw new CompletionException(error);
          });
    }
  }

  /** Whether a plug owner of the tenant networks is a router's (the host agent's orphan sweep leaves those). */
  public static boolean isRouterOwner(String owner) {
    return owner.startsWith(OWNER);
  }

  public static Behavior<Command> create(HostSettings settings, ActorRef<TenantNetworks.Command> tenants,
      LinuxRouters routers, RouterRecords records, FloatingIpReports reports, Lookup lookup, RouterPortBinding binding, Executor blocking) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(10_000, stash ->
        new RouterAgent(ctx, timers, settings, tenants, routers, records, reports, lookup, binding, blocking).starting(stash))));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final HostSettings settings;
  private final ActorRef<TenantNetworks.Command> tenants;
  private final LinuxRouters routers;
  private final RouterRecords records;
  private final FloatingIpReports reports;
  private final Lookup lookup;
  private final RouterPortBinding binding;
  private final Executor blocking;
  private final ClusterSharding sharding;
  /** What is built here, as recorded. */
  private final Map<String, RouterPlan> applied = new HashMap<>();
  /** The routers as last heard, to build or remove next. */
  private final Map<String, Router> heard = new HashMap<>();
  /** The floating IPs reported ACTIVE since this agent started, by router. */
  private final Map<String, Set<String>> active = new HashMap<>();
  private final Set<String> dirty = new LinkedHashSet<>();
  /** How many times in a row each router's job failed. */
  private final Map<String, Integer> failures = new HashMap<>();
  private boolean busy;
  private boolean sweepWanted;

  private RouterAgent(ActorContext<Command> ctx, TimerScheduler<Command> timers, HostSettings settings,
      ActorRef<TenantNetworks.Command> tenants, LinuxRouters routers, RouterRecords records, FloatingIpReports reports,
      Lookup lookup, RouterPortBinding binding, Executor blocking) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.tenants = tenants;
    this.routers = routers;
    this.records = records;
    this.reports = reports;
    this.lookup = lookup;
    this.binding = binding;
    this.blocking = blocking;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  private Behavior<Command> starting(StashBuffer<Command> stash) {
    ActorRef<Topic.Command<RouterChanged>> topic =
        ctx.spawn(Topic.create(RouterChanged.class, RouterChanged.hostTopic(settings.name())), "routers-topic");
    topic.tell(Topic.subscribe(ctx.messageAdapter(RouterChanged.class, Changed::new)));
    ctx.pipeToSelf(CompletableFuture.supplyAsync(records::readAll, blocking), Started::new);
    return Behaviors.receive(Command.class)
        .onMessage(Started.class, m -> {
          if (m.error() != null) {
            // no full view: build what is heard, never sweep
            ctx.getLog().error("host {} cannot read its routers' records: {}", settings.name(), m.error().getMessage());
          } else {
            applied.putAll(m.recorded());
            dirty.addAll(m.recorded().keySet());
            sweepWanted = true;
          }
          timers.startTimerWithFixedDelay("reconcile", new Reconcile(), settings.reconcileInterval());
          return stash.unstashAll(running(m.error() == null));
        })
        .onMessage(Command.class, m -> {
          stash.stash(m);
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> running(boolean fullView) {
    advance();
    return Behaviors.receive(Command.class)
        .onMessage(Changed.class, m -> {
          hear(m.changed().router());
          return advance();
        })
        .onMessage(Reconcile.class, m -> {
          dirty.addAll(applied.keySet());
          dirty.addAll(heard.keySet());
          for (String id : List.copyOf(applied.keySet())) {
            ctx.pipeToSelf(lookup.find(id), (found, e) -> e != null ? new LookupFailed()
                : found.map(r -> (Command) new Changed(new RouterChanged(r))).orElse(new Changed(new RouterChanged(gone(id)))));
          }
          sweepWanted = fullView;
          return advance();
        })
        .onMessage(LookupFailed.class, m -> Behaviors.same())
        .onMessage(Retry.class, m -> {
          // a router removed meanwhile (deleted, moved away) has nothing left to retry
          if (applied.containsKey(m.routerId()) || heard.containsKey(m.routerId())) dirty.add(m.routerId());
          return advance();
        })
        .onMessage(JobDone.class, this::jobDone)
        .onMessage(SweepDone.class, m -> {
          busy = false;
          if (m.error() != null) ctx.getLog().warn("sweeping the routers of host {}: {}", settings.name(), m.error().getMessage());
          return advance();
        })
        .build();
  }

  /** A newer router replaces an older one; a router not placed here is heard only if it was here. */
  private void hear(Router r) {
    Router known = heard.get(r.id());
    if (known != null && known.revisionNumber() > r.revisionNumber() && !r.deleted()) return;
    if (!placedHere(r) && !applied.containsKey(r.id()) && !heard.containsKey(r.id())) return;
    // what failed may work now (its ports made, its entities reachable): not a longer wait again
    if (!r.equals(known)) failures.remove(r.id());
    heard.put(r.id(), r);
    dirty.add(r.id());
  }

  private boolean placedHere(Router r) {
    return !r.deleted() && r.adminStateUp() && r.host().filter(settings.name()::equals).isPresent();
  }

  /** A router its entity no longer has: removed like a deleted one. */
  private static Router gone(String id) {
    return new Router(id, "", "", "", false, "", Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(),
        List.of(), List.of(), java.time.Instant.EPOCH, java.time.Instant.EPOCH, Integer.MAX_VALUE, true);
  }

  private Behavior<Command> advance() {
    if (busy) return Behaviors.same();
    if (!dirty.isEmpty()) {
      String id = dirty.iterator().next();
      dirty.remove(id);
      busy = true;
      job(id);
    } else if (sweepWanted) {
      sweepWanted = false;
      busy = true;
      sweep();
    }
    return Behaviors.same();
  }

  private void job(String id) {
    Optional<Router> router = Optional.ofNullable(heard.get(id));
    CompletionStage<Optional<RouterPlan>> done;
    if (router.isPresent() && !placedHere(router.get())) {
      done = CompletableFuture.runAsync(() -> routers.remove(id), blocking)
          .thenCompose(v -> unplug(id))
          .thenApplyAsync(v -> {
            records.delete(id);
            return Optional.<RouterPlan>empty();
          }, blocking);
    } else {
      CompletionStage<RouterPlan> plan = router.isPresent() ? planOf(router.get())
          : CompletableFuture.completedFuture(applied.get(id));
      done = plan.thenCompose(p -> binding.bind(p.legs(), new Attachment.Placement(settings.name(), settings.underlayAddress()))
          .thenCompose(b -> plug(p)).thenApplyAsync(v -> {
        routers.apply(p);
        records.write(p);
        return Optional.of(p);
      }, blocking));
    }
    ctx.pipeToSelf(done, (plan, e) -> new JobDone(id, plan == null ? Optional.empty() : plan, router, e));
  }

  /** Its plan, from the networks of its ports as their entities have them now. */
  private CompletionStage<RouterPlan> planOf(Router r) {
    Set<String> ids = new LinkedHashSet<>();
    r.interfaces().forEach(i -> ids.add(i.networkId()));
    r.gateway().ifPresent(g -> ids.add(g.networkId()));
    Map<String, Network> networks = new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<Network>> asks = new ArrayList<>();
    for (String id : ids) {
      asks.add(sharding.entityRefFor(NetworkEntity.TYPE_KEY, id)
          .<Network>askWithStatus(NetworkEntity.Get::new, ASK_TIMEOUT)
          .thenApply(n -> networks.put(id, n)).toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> RouterPlan.of(r, networks));
  }

  private CompletionStage<List<DomainSpec.Nic>> plug(RouterPlan plan) {
    List<ServerPort> ports = plan.legs().stream().map(l -> new ServerPort(l.portId(), l.networkId(), l.networkId(),
        l.mac(), l.fixedIps(), false, Optional.of(settings.name()))).toList();
    String owner = OWNER + plan.routerId();
    return AskPattern.askWithStatus(tenants, replyTo -> new TenantNetworks.Plug(owner, owner, ports, replyTo),
        PLUG_TIMEOUT, ctx.getSystem().scheduler());
  }

  private CompletionStage<Done> unplug(String routerId) {
    return AskPattern.askWithStatus(tenants, replyTo -> new TenantNetworks.Unplug(OWNER + routerId, replyTo),
        PLUG_TIMEOUT, ctx.getSystem().scheduler());
  }

  private Behavior<Command> jobDone(JobDone m) {
    busy = false;
    String id = m.routerId();
    if (m.error() != null) {
      // retried soon, not only at the next reconciliation: a node that has just started (a host
      // rebooted) asks entities the cluster cannot reach yet, and its routers must come back
      int failed = failures.merge(id, 1, Integer::sum);
      Duration delay = retryDelay(failed, LONGEST_RETRY.compareTo(settings.reconcileInterval()) < 0
          ? LONGEST_RETRY : settings.reconcileInterval());
      ctx.getLog().warn("router {} on host {} (again in {}): {}", id, settings.name(), delay, m.error().getMessage());
      timers.startSingleTimer("retry-" + id, new Retry(id), delay);
      return advance();
    }
    failures.remove(id);
    RouterPlan before = applied.get(id);
    Set<String> now = new HashSet<>();
    m.applied().ifPresent(p -> p.floatingIps().forEach(f -> now.add(f.floatingIpId())));
    Set<String> reported = active.computeIfAbsent(id, r -> new HashSet<>());
    for (String fip : now) if (reported.add(fip)) report(fip, id, "ACTIVE");
    Set<String> down = new HashSet<>(reported);
    if (before != null) before.floatingIps().forEach(f -> down.add(f.floatingIpId()));
    down.removeAll(now);
    for (String fip : down) {
      reported.remove(fip);
      report(fip, id, "DOWN");
    }
    if (m.applied().isPresent()) {
      applied.put(id, m.applied().get());
    } else {
      applied.remove(id);
      active.remove(id);
      // forgotten unless a newer version of it came meanwhile
      if (m.from().isPresent() && heard.get(id) == m.from().get()) heard.remove(id);
    }
    return advance();
  }

  /** After {@code failures} failures in a row: 1 s, doubled at each further failure, at most {@code ceiling}. */
  static Duration retryDelay(int failures, Duration ceiling) {
    Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 20));
    return delay.compareTo(ceiling) < 0 ? delay : ceiling;
  }

  private void report(String floatingIpId, String routerId, String status) {
    reports.report(floatingIpId, routerId, status).whenComplete((done, e) -> {
      if (e != null) ctx.getLog().warn("floating IP {} {}: {}", floatingIpId, status, e.getMessage());
    });
  }

  /** Removes the namespaces and router plugs of routers not in its view. */
  private void sweep() {
    Set<String> kept = new HashSet<>(applied.keySet());
    heard.values().stream().filter(this::placedHere).forEach(r -> kept.add(r.id()));
    CompletionStage<Set<String>> owners = AskPattern.ask(tenants, TenantNetworks.GetServers::new, ASK_TIMEOUT,
        ctx.getSystem().scheduler());
    CompletionStage<Done> done = CompletableFuture.runAsync(() -> routers.sweep(kept), blocking)
        .thenCompose(v -> owners)
        .thenCompose(plugged -> CompletableFuture.allOf(plugged.stream().filter(RouterAgent::isRouterOwner)
            .filter(owner -> !kept.contains(owner.substring(OWNER.length())))
            .map(owner -> unplug(owner.substring(OWNER.length())).toCompletableFuture())
            .toArray(CompletableFuture[]::new)))
        .thenApply(v -> Done.getInstance());
    ctx.pipeToSelf(done, (d, e) -> new SweepDone(e));
  }
}
