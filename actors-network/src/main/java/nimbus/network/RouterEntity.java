package nimbus.network;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.FaultInjection;
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import nimbus.cluster.SharedTopics;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One Neutron router, keyed by its UUID. Its create holds the project's {@code router} quota and
 * makes its gateway port; once usable it is placed on a host. Each port it makes (gateway,
 * {@code network:router_gateway}; interfaces, {@code network:router_interface}) or takes (the
 * user's port as an interface) is a persisted step, one at a time; the ports it no longer uses
 * are deleted as steps too, and a deleted router gives them and its quota back before it is gone.
 * After every change it publishes itself ({@link RouterChanged}) on its host's topic
 * ({@link RouterChanged#hostTopic}), and on the one of a host it left.
 */
public final class RouterEntity
    extends EventSourcedBehaviorWithEnforcedReplies<RouterEntity.Command, RouterEntity.Event, RouterEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Router");
  public static final String TAG = "router";
  public static final String GATEWAY_OWNER = "network:router_gateway";
  public static final String INTERFACE_OWNER = "network:router_interface";
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  // ---------------------------------------------------------------- commands

  /** Messages a router understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the router; {@code gateway}: its gateway port to make first. Answered once usable. */
  public record Create(Router router, Optional<GatewayRequest> gateway, ActorRef<StatusReply<Router>> replyTo)
      implements Command {}

  /** A gateway asked for: its external network, SNAT, and the addresses wanted there (any when empty). */
  public record GatewayRequest(String networkId, boolean enableSnat, Optional<List<IpRequest>> ips)
      implements CborSerializable {}

  public record Get(ActorRef<StatusReply<RouterState>> replyTo) implements Command {}

  public record Update(String name, String description, boolean adminStateUp, ActorRef<StatusReply<Router>> replyTo)
      implements Command {}

  /** Sets (or, same network and no addresses asked, only re-flags SNAT of) the gateway. */
  public record SetGateway(GatewayRequest gateway, ActorRef<StatusReply<Router>> replyTo) implements Command {}

  public record ClearGateway(ActorRef<StatusReply<Router>> replyTo) implements Command {}

  /**
   * Replaces the routes ({@code replace}) or adds to / removes from them; each next hop must be in an
   * attached subnet (400 InvalidRoutes).
   */
  public record ChangeRoutes(List<Router.Route> routes, RouteChange change, ActorRef<StatusReply<Router>> replyTo)
      implements Command {}

  /** How {@link ChangeRoutes} changes the routes. */
  public enum RouteChange { REPLACE, ADD, REMOVE }

  /**
   * Attaches subnet {@code subnetId} (of {@code networkId}, CIDR {@code cidr}) through a new port
   * holding {@code ip}, or through the user's port {@code userPortId} (which holds one address of it).
   */
  public record AddInterface(String networkId, String subnetId, String cidr, Optional<String> ip,
      Optional<String> userPortId, ActorRef<StatusReply<Router.Interface>> replyTo) implements Command {}

  /** Detaches by subnet or by port (the port is deleted, as Neutron does); answered once it is gone. */
  public record RemoveInterface(Optional<String> subnetId, Optional<String> portId,
      ActorRef<StatusReply<Router.Interface>> replyTo) implements Command {}

  /** A floating IP's workflow: the router translates it ({@link FloatingIpEntity}). */
  public record AddFloatingIp(Router.FloatingIpMapping mapping, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record RemoveFloatingIp(String floatingIpId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Moves the router to another host (when its host is lost: the HA work decides when). */
  public record Move(String host, ActorRef<StatusReply<Router>> replyTo) implements Command {}

  /** Deletes the router (409 RouterInUse while it has interfaces); answered once its ports and quota are back. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record StepAnswered(StepDriver.Answer answer) implements Command {}

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a router's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record RouterRequested(Router router, Optional<RouterState.PortWork> gateway, Instant at) implements Event {}

  public record RouterQuotaHeld(Instant at) implements Event {}

  public record RouterRefused(String reason, Instant at) implements Event {}

  public record RouterPlaced(String host, Instant at) implements Event {}

  public record RouterUpdated(String name, String description, boolean adminStateUp, Instant at) implements Event {}

  public record RoutesSet(List<Router.Route> routes, Instant at) implements Event {}

  public record GatewayRequested(RouterState.PortWork work, Instant at) implements Event {}

  public record GatewayCleared(Instant at) implements Event {}

  public record SnatSet(boolean enableSnat, Instant at) implements Event {}

  public record InterfaceRequested(RouterState.PortWork work, Instant at) implements Event {}

  /** The port the router asked for is held (made, or the user's taken). */
  public record PortMade(Port port, Instant at) implements Event {}

  public record PortWorkRefused(String reason, Instant at) implements Event {}

  public record InterfaceRemoved(String portId, Instant at) implements Event {}

  /** A port the router no longer uses is deleted. */
  public record RouterPortDeleted(String portId, Instant at) implements Event {}

  public record FloatingIpAdded(Router.FloatingIpMapping mapping, Instant at) implements Event {}

  public record FloatingIpRemoved(String floatingIpId, Instant at) implements Event {}

  public record RouterDeleted(Instant at) implements Event {}

  public record RouterQuotaReleased(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A router's phases; all but {@link NoRouter} hold it. */
  public sealed interface State extends CborSerializable {}

  public record NoRouter() implements State {}

  public sealed interface Existing extends State {
    RouterState router();
  }

  public record Creating(RouterState router) implements Existing {}

  public record Active(RouterState router) implements Existing {}

  public record Deleting(RouterState router) implements Existing {}

  public record Gone(RouterState router) implements Existing {}

  // ---------------------------------------------------------------- behavior

  /** {@code shard}: where to ask to be passivated once idle (see {@link NetworkEntity#create}). */
  public static Behavior<Command> create(String routerId, RouterClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new RouterEntity(routerId, claims, clock, context,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new), shard);
    }));
  }

  private final String routerId;
  private final RouterClaims claims;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final StepDriver<Command> steps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Router>>> waitingRouter = new ArrayList<>();
  private final List<ActorRef<StatusReply<Router.Interface>>> waitingInterface = new ArrayList<>();
  private final Map<String, ActorRef<StatusReply<Router.Interface>>> waitingRemoval = new HashMap<>();
  private final Map<String, Router.Interface> removing = new HashMap<>();
  private final List<ActorRef<StatusReply<Done>>> waitingDelete = new ArrayList<>();
  /** The hosts this router was last published to, so a host it left hears that it left. */
  private Optional<String> publishedHost = Optional.empty();

  private RouterEntity(String routerId, RouterClaims claims, Clock clock, ActorContext<Command> context,
      StepDriver<Command> steps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), routerId), Entities.JOURNAL_BACKOFF);
    this.routerId = routerId;
    this.claims = claims;
    this.clock = clock;
    this.context = context;
    this.steps = steps;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return new NoRouter();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::changed).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoRouter.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.router().id().equals(routerId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("router id does not match its entity"));
          }
          Optional<RouterState.PortWork> gateway = c.gateway().map(this::gatewayWork);
          return Effect().persist(new RouterRequested(c.router(), gateway, now())).thenRun(next -> {
            waitingRouter.add(c.replyTo());
            changed(next);
          }).thenNoReply();
        });
    b.forStateType(Creating.class)
        .onCommand(Create.class, (s, c) -> {
          waitingRouter.add(c.replyTo());
          return Effect().noReply();
        });
    b.forStateType(Active.class)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            s.router().router().projectId().equals(c.router().projectId()) ? StatusReply.success(s.router().router())
                : Rejection.conflict("Router " + routerId + " already exists.")))
        .onCommand(Update.class, (s, c) -> persistAndReply(new RouterUpdated(c.name(), c.description(),
            c.adminStateUp(), now()), c.replyTo()))
        .onCommand(SetGateway.class, this::setGateway)
        .onCommand(ClearGateway.class, (s, c) -> {
          if (s.router().router().gateway().isEmpty()) return Effect().reply(c.replyTo(), StatusReply.success(s.router().router()));
          if (busy(s.router())) return Effect().reply(c.replyTo(), inUse());
          if (!s.router().router().floatingIps().isEmpty()) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "RouterExternalGatewayInUseByFloatingIp",
                "Gateway cannot be updated for router " + routerId + ", since a gateway to external network "
                    + s.router().router().gateway().get().networkId() + " is required by one or more floating IPs."));
          }
          return persistAndReply(new GatewayCleared(now()), c.replyTo());
        })
        .onCommand(ChangeRoutes.class, this::changeRoutes)
        .onCommand(AddInterface.class, this::addInterface)
        .onCommand(RemoveInterface.class, this::removeInterface)
        .onCommand(AddFloatingIp.class, (s, c) -> s.router().router().floatingIps().contains(c.mapping())
            ? Effect().reply(c.replyTo(), StatusReply.ack())
            : Effect().persist(new FloatingIpAdded(c.mapping(), now())).thenRun(this::changed)
                .thenReply(c.replyTo(), n -> StatusReply.ack()))
        .onCommand(RemoveFloatingIp.class, (s, c) -> s.router().router().floatingIps().stream()
            .noneMatch(f -> f.floatingIpId().equals(c.floatingIpId()))
            ? Effect().reply(c.replyTo(), StatusReply.ack())
            : Effect().persist(new FloatingIpRemoved(c.floatingIpId(), now())).thenRun(this::changed)
                .thenReply(c.replyTo(), n -> StatusReply.ack()))
        .onCommand(Move.class, (s, c) -> s.router().router().host().equals(Optional.of(c.host()))
            ? Effect().reply(c.replyTo(), StatusReply.success(s.router().router()))
            : persistAndReply(new RouterPlaced(c.host(), now()), c.replyTo()))
        .onCommand(Delete.class, (s, c) -> {
          if (!s.router().router().interfaces().isEmpty()) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "RouterInUse",
                "Router " + routerId + " still has ports"));
          }
          if (busy(s.router())) return Effect().reply(c.replyTo(), inUse());
          return Effect().persist(new RouterDeleted(now())).thenRun(next -> {
            waitingDelete.add(c.replyTo());
            changed(next);
          }).thenNoReply();
        });
    b.forStateType(Deleting.class)
        .onCommand(Delete.class, (s, c) -> {
          waitingDelete.add(c.replyTo());
          return Effect().noReply();
        });
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          boolean busy = s instanceof Existing e && needsSteps(e.router());
          if (!busy && waitingRouter.isEmpty() && waitingInterface.isEmpty() && waitingRemoval.isEmpty()) {
            shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          }
          return Effect().noReply();
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            s instanceof Active a ? StatusReply.success(a.router()) : notFound()))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), Rejection.conflict("Router " + routerId + " already exists.")))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(SetGateway.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ClearGateway.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ChangeRoutes.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddInterface.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveInterface.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddFloatingIp.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveFloatingIp.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Move.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  private RouterState.PortWork gatewayWork(GatewayRequest g) {
    return new RouterState.PortWork(UUID.randomUUID().toString(), g.networkId(), true, false, Optional.empty(),
        g.ips(), "", g.enableSnat());
  }

  private ReplyEffect<Event, State> setGateway(Active s, SetGateway c) {
    Router r = s.router().router();
    GatewayRequest g = c.gateway();
    boolean sameNetwork = r.gateway().map(x -> x.networkId().equals(g.networkId())).orElse(false);
    if (sameNetwork && g.ips().isEmpty()) {
      return r.gateway().get().enableSnat() == g.enableSnat() ? Effect().reply(c.replyTo(), StatusReply.success(r))
          : persistAndReply(new SnatSet(g.enableSnat(), now()), c.replyTo());
    }
    if (busy(s.router())) return Effect().reply(c.replyTo(), inUse());
    if (!r.floatingIps().isEmpty()) {
      return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT,
          "RouterExternalGatewayInUseByFloatingIp", "Gateway cannot be updated for router " + routerId
              + ", since a gateway to external network " + r.gateway().get().networkId()
              + " is required by one or more floating IPs."));
    }
    return Effect().persist(new GatewayRequested(gatewayWork(g), now())).thenRun(next -> {
      waitingRouter.add(c.replyTo());
      changed(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> changeRoutes(Active s, ChangeRoutes c) {
    List<Router.Route> next = new ArrayList<>(c.change() == RouteChange.REPLACE ? List.of() : s.router().router().routes());
    for (Router.Route route : c.routes()) {
      if (c.change() == RouteChange.REMOVE) {
        next.remove(route);
        continue;
      }
      Optional<String> invalid = invalidRoute(s.router(), route);
      if (invalid.isPresent()) {
        return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.INVALID, "InvalidRoutes",
            "Invalid format for routes: " + List.of(route) + ", " + invalid.get()));
      }
      if (!next.contains(route)) next.add(route);
    }
    if (next.equals(s.router().router().routes())) return Effect().reply(c.replyTo(), StatusReply.success(s.router().router()));
    return persistAndReply(new RoutesSet(List.copyOf(next), now()), c.replyTo());
  }

  /** Why a route is refused: a malformed destination, or a next hop in no attached subnet. */
  static Optional<String> invalidRoute(RouterState s, Router.Route route) {
    IpNet destination;
    try {
      destination = IpNet.parse(route.destination());
    } catch (RuntimeException e) {
      return Optional.of("the destination is not a CIDR.");
    }
    Optional<IpNet.Address> hop = IpNet.Address.parse(route.nexthop());
    if (hop.isEmpty() || hop.get().version() != destination.version()) return Optional.of("the nexthop is not a valid IP address.");
    boolean attached = s.cidrs().values().stream().map(IpNet::parse).anyMatch(net -> net.contains(hop.get()));
    return attached ? Optional.empty()
        : Optional.of("the nexthop is not connected with router.");
  }

  private ReplyEffect<Event, State> addInterface(Active s, AddInterface c) {
    RouterState r = s.router();
    if (c.userPortId().isPresent() && r.interfaceWithPort(c.userPortId().get()).isPresent()) {
      return Effect().reply(c.replyTo(), StatusReply.success(r.interfaceWithPort(c.userPortId().get()).get()));
    }
    if (r.interfaceOn(c.subnetId()).isPresent()) {
      return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.INVALID, "BadRequest",
          "Bad router request: Router already has a port on subnet " + c.subnetId() + "."));
    }
    IpNet asked = IpNet.parse(c.cidr());
    for (var attached : r.cidrs().entrySet()) {
      if (IpNet.parse(attached.getValue()).overlaps(asked)) {
        return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.INVALID, "BadRequest",
            "Bad router request: Cidr " + c.cidr() + " of subnet " + c.subnetId() + " overlaps with cidr "
                + attached.getValue() + " of subnet " + attached.getKey() + "."));
      }
    }
    if (busy(r)) return Effect().reply(c.replyTo(), inUse());
    RouterState.PortWork work = new RouterState.PortWork(c.userPortId().orElse(UUID.randomUUID().toString()),
        c.networkId(), false, c.userPortId().isPresent(), Optional.of(c.subnetId()),
        c.ip().map(ip -> List.of(new IpRequest(Optional.of(c.subnetId()), Optional.of(ip)))), c.cidr(), false);
    return Effect().persist(new InterfaceRequested(work, now())).thenRun(next -> {
      waitingInterface.add(c.replyTo());
      changed(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> removeInterface(Active s, RemoveInterface c) {
    RouterState r = s.router();
    Optional<Router.Interface> byPort = c.portId().flatMap(r::interfaceWithPort);
    Optional<Router.Interface> found = c.portId().isPresent() ? byPort : c.subnetId().flatMap(r::interfaceOn);
    if (found.isEmpty() || (c.subnetId().isPresent() && !found.get().subnetId().equals(c.subnetId().get()))) {
      String what = c.portId().map(p -> "port " + p).orElse("subnet " + c.subnetId().orElse(""));
      return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "RouterInterfaceNotFound",
          "Router " + routerId + " does not have an interface with " + (c.portId().isPresent() ? "id " + c.portId().get()
              : what.replace("subnet ", "subnet id ").trim())));
    }
    Router.Interface i = found.get();
    String cidr = r.cidrs().get(i.subnetId());
    for (Router.Route route : r.router().routes()) {
      Optional<IpNet.Address> hop = IpNet.Address.parse(route.nexthop());
      if (cidr != null && hop.isPresent() && hop.get().version() == IpNet.parse(cidr).version()
          && IpNet.parse(cidr).contains(hop.get())) {
        return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "RouterInterfaceInUseByRoute",
            "Router interface for subnet " + i.subnetId() + " on router " + routerId
                + " cannot be deleted, as it is required by one or more routes."));
      }
    }
    for (Router.FloatingIpMapping f : r.router().floatingIps()) {
      Optional<IpNet.Address> fixed = IpNet.Address.parse(f.fixedIpAddress());
      if (cidr != null && fixed.isPresent() && fixed.get().version() == IpNet.parse(cidr).version()
          && IpNet.parse(cidr).contains(fixed.get())) {
        return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "RouterInterfaceInUseByFloatingIP",
            "Router interface for subnet " + i.subnetId() + " on router " + routerId
                + " cannot be deleted, as it is required by one or more floating IPs."));
      }
    }
    return Effect().persist(new InterfaceRemoved(i.portId(), now())).thenRun(next -> {
      waitingRemoval.put(i.portId(), c.replyTo());
      removing.put(i.portId(), i);
      changed(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> persistAndReply(Event event, ActorRef<StatusReply<Router>> replyTo) {
    return Effect().persist(event).thenRun(this::changed)
        .thenReply(replyTo, n -> StatusReply.success(((Existing) n).router().router()));
  }

  private static boolean busy(RouterState r) {
    return r.making().isPresent();
  }

  private <T> StatusReply<T> inUse() {
    return NetworkRefusal.of(Rejection.Kind.CONFLICT, "RouterInUse", "Router " + routerId
        + " is changing a port; try again.");
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "RouterNotFound", "Router " + routerId + " could not be found.");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- steps

  /** After an event (and after recovery): the router's hosts hear of it, waiting clients are answered, steps go on. */
  private void changed(State state) {
    if (state instanceof Existing e) {
      Router r = e.router().router();
      RouterChanged news = new RouterChanged(r);
      publishedHost.filter(h -> !r.host().equals(Optional.of(h)))
          .ifPresent(h -> topic(RouterChanged.hostTopic(h)).tell(Topic.publish(news)));
      r.host().ifPresent(h -> topic(RouterChanged.hostTopic(h)).tell(Topic.publish(news)));
      publishedHost = r.host();
      answerWaiting(e.router());
    }
    drive(state);
  }

  private ActorRef<Topic.Command<RouterChanged>> topic(String name) {
    return SharedTopics.get(context.getSystem()).topic(RouterChanged.class, name);
  }

  private void answerWaiting(RouterState r) {
    if (r.making().isEmpty() && r.phase() == RouterState.Phase.ACTIVE && !waitingRouter.isEmpty()) {
      waitingRouter.forEach(to -> to.tell(StatusReply.success(r.router())));
      waitingRouter.clear();
    }
    for (String portId : List.copyOf(waitingRemoval.keySet())) {
      if (r.portsToDelete().stream().noneMatch(p -> p.portId().equals(portId))) {
        waitingRemoval.remove(portId).tell(StatusReply.success(removing.remove(portId)));
      }
    }
    if (r.phase() == RouterState.Phase.GONE) {
      waitingDelete.forEach(to -> to.tell(StatusReply.ack()));
      waitingDelete.clear();
    }
  }

  /** Whether a step is in flight: quota, a port to make, take or delete, a host to find. */
  private static boolean needsSteps(RouterState r) {
    return r.phase() == RouterState.Phase.CREATING || r.phase() == RouterState.Phase.DELETING
        || r.making().isPresent() || !r.portsToDelete().isEmpty()
        || (r.phase() == RouterState.Phase.ACTIVE && r.router().host().isEmpty());
  }

  private void drive(State state) {
    boolean busy = false;
    if (state instanceof Existing e) {
      RouterState r = e.router();
      Router router = r.router();
      busy = needsSteps(r);
      if (r.phase() == RouterState.Phase.CREATING && !r.quotaHeld()) {
        steps.ask("quota", () -> claims.reserve(router.projectId(), "router", routerId));
      } else if (r.making().isPresent() && r.phase() != RouterState.Phase.DELETING) {
        RouterState.PortWork w = r.making().get();
        if (w.userPort()) {
          steps.ask("port", () -> claims.claimPort(w.portId(), routerId, INTERFACE_OWNER));
        } else {
          steps.ask("port", () -> claims.createPort(Port.requested(w.portId(), w.networkId(), router.projectId(),
              new PortAttributes("", "", true, routerId, w.gateway() ? GATEWAY_OWNER : INTERFACE_OWNER, List.of(),
                  false, List.of()), Optional.empty(), w.ips(), now())));
        }
      }
      if (!r.portsToDelete().isEmpty()) {
        RouterState.PortRef p = r.portsToDelete().get(0);
        steps.ask("delete-port", () -> claims.deletePort(p.portId(), p.networkId(), router.projectId()));
      }
      if (r.phase() == RouterState.Phase.ACTIVE && router.host().isEmpty()) {
        steps.ask("place", () -> claims.place(routerId, router.availabilityZoneHints()));
      }
      if (r.phase() == RouterState.Phase.DELETING && r.quotaHeld() && r.portsToDelete().isEmpty()) {
        steps.ask("release-quota", () -> claims.release(router.projectId(), List.of(routerId)));
      }
    }
    steps.keepTicking(busy);
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    RouterState r = e.router();
    switch (a.step()) {
      case "quota":
        if (r.phase() == RouterState.Phase.CREATING && !r.quotaHeld()) {
          return a.accepted() ? persist(new RouterQuotaHeld(now())) : refuse(a.refusal().get());
        }
        break;
      case "port":
        if (r.making().isPresent() && r.phase() != RouterState.Phase.DELETING) {
          if (a.accepted()) return persist(new PortMade(a.valueAs(Port.class), now()));
          return portRefused(r, a.refusal().get());
        }
        break;
      case "delete-port":
        if (a.accepted() && !r.portsToDelete().isEmpty()) {
          return persist(new RouterPortDeleted(r.portsToDelete().get(0).portId(), now()));
        }
        break;
      case "place":
        if (a.accepted() && r.router().host().isEmpty() && r.phase() == RouterState.Phase.ACTIVE) {
          return persist(new RouterPlaced(a.valueAs(String.class), now()));
        }
        break;
      case "release-quota":
        if (a.accepted() && r.quotaHeld() && r.phase() == RouterState.Phase.DELETING) {
          return persist(new RouterQuotaReleased(now()));
        }
        break;
      default:
        break;
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new RouterRefused(why.message(), now())).thenRun(next -> {
      waitingRouter.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waitingRouter.clear();
      changed(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> portRefused(RouterState r, Rejection why) {
    return Effect().persist(new PortWorkRefused(why.message(), now())).thenRun(next -> {
      StatusReply<Router> routerReply = Rejection.of(why.kind(), why.message());
      waitingRouter.forEach(to -> to.tell(routerReply));
      waitingRouter.clear();
      waitingInterface.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waitingInterface.clear();
      changed(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (event instanceof PortMade made && next instanceof Existing e) {
        e.router().interfaceWithPort(made.port().id()).ifPresent(i -> {
          waitingInterface.forEach(to -> to.tell(StatusReply.success(i)));
          waitingInterface.clear();
        });
      }
      changed(next);
    }).thenNoReply();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return RouterEntity::next;
  }

  /** The phase an event leads to; shared with the read side. */
  public static State next(State before, Event event) {
    if (event instanceof RouterRequested e) return phaseOf(RouterState.requested(e.router(), e.gateway()));
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.router().after(event));
  }

  private static State phaseOf(RouterState r) {
    return switch (r.phase()) {
      case CREATING -> new Creating(r);
      case ACTIVE -> new Active(r);
      case DELETING -> new Deleting(r);
      case GONE -> new Gone(r);
    };
  }

  /** Tests kill the process just before a chosen event is written ({@link FaultInjection}). */
  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
