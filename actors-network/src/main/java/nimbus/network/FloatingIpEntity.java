package nimbus.network;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.FaultInjection;
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 * One Neutron floating IP, keyed by its UUID. Its create holds the project's {@code floatingip}
 * quota and takes an address of its external network through a port ({@code network:floatingip},
 * the floating IP's own id); an association tells the router that translates it
 * ({@link RouterEntity.AddFloatingIp}), after the router of a previous association has let it go.
 * Each is a persisted step; a release gives back the router, the port and the quota in turn.
 * {@code status} is the router's host's word ({@link FloatingIpReports}).
 */
public final class FloatingIpEntity extends EventSourcedBehaviorWithEnforcedReplies<
    FloatingIpEntity.Command, FloatingIpEntity.Event, FloatingIpEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "FloatingIp");
  public static final String TAG = "floatingip";
  public static final String PORT_OWNER = "network:floatingip";
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  // ---------------------------------------------------------------- commands

  /** Messages a floating IP understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates it ({@link FloatingIp#requested}); answered once it has its address (and association, if asked). */
  public record Create(FloatingIp floatingIp, ActorRef<StatusReply<FloatingIp>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<FloatingIp>> replyTo) implements Command {}

  /** Associates it ({@code association} empty: disassociates); answered once the routers know. */
  public record Associate(Optional<FloatingIp.Association> association, ActorRef<StatusReply<FloatingIp>> replyTo)
      implements Command {}

  public record Describe(String description, ActorRef<StatusReply<FloatingIp>> replyTo) implements Command {}

  /** The router's host says whether it translates it; heard only from the router it goes through. */
  public record Report(String routerId, String status, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Releases it; answered once its address and quota are back. */
  public record Release(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record StepAnswered(StepDriver.Answer answer) implements Command {}

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a floating IP's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record FloatingIpRequested(FloatingIp floatingIp, Instant at) implements Event {}

  public record FloatingIpQuotaHeld(Instant at) implements Event {}

  public record AddressAssigned(String subnetId, String address, Instant at) implements Event {}

  public record FloatingIpRefused(String reason, Instant at) implements Event {}

  /** Another association (or none) is wanted: the old router is to let it go first. */
  public record AssociationAsked(Optional<FloatingIp.Association> association, Instant at) implements Event {}

  public record RouterLeft(Instant at) implements Event {}

  public record Associated(Instant at) implements Event {}

  public record StatusReported(String status, Instant at) implements Event {}

  public record DescriptionChanged(String description, Instant at) implements Event {}

  public record FloatingIpReleased(Instant at) implements Event {}

  public record FloatingPortDeleted(Instant at) implements Event {}

  public record FloatingIpQuotaReleased(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A floating IP's phases; all but {@link NoFloatingIp} hold it. */
  public sealed interface State extends CborSerializable {}

  public record NoFloatingIp() implements State {}

  public sealed interface Existing extends State {
    FloatingIp floatingIp();
  }

  public record Creating(FloatingIp floatingIp) implements Existing {}

  public record Active(FloatingIp floatingIp) implements Existing {}

  public record Releasing(FloatingIp floatingIp) implements Existing {}

  public record Gone(FloatingIp floatingIp) implements Existing {}

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String id, RouterClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new FloatingIpEntity(id, claims, clock,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new),
          () -> shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf()))));
    }));
  }

  private final String id;
  private final RouterClaims claims;
  private final Clock clock;
  private final StepDriver<Command> steps;
  private final Runnable passivate;
  /** Clients waiting (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<FloatingIp>>> waiting = new ArrayList<>();
  private final List<ActorRef<StatusReply<Done>>> waitingRelease = new ArrayList<>();

  private FloatingIpEntity(String id, RouterClaims claims, Clock clock, StepDriver<Command> steps, Runnable passivate) {
    super(PersistenceId.of(TYPE_KEY.name(), id), Entities.JOURNAL_BACKOFF);
    this.id = id;
    this.claims = claims;
    this.clock = clock;
    this.steps = steps;
    this.passivate = passivate;
  }

  @Override
  public State emptyState() {
    return new NoFloatingIp();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoFloatingIp.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.floatingIp().id().equals(id)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("floating IP id does not match its entity"));
          }
          waiting.add(c.replyTo());
          return persist(new FloatingIpRequested(c.floatingIp(), now()));
        });
    b.forStateType(Creating.class)
        .onCommand(Create.class, (s, c) -> {
          waiting.add(c.replyTo());
          return Effect().noReply();
        });
    b.forStateType(Active.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.floatingIp())))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.floatingIp())))
        .onCommand(Associate.class, (s, c) -> {
          FloatingIp f = s.floatingIp();
          if (f.association().equals(c.association()) && settled(f)) {
            return Effect().reply(c.replyTo(), StatusReply.success(f));
          }
          if (!settled(f)) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "FloatingIPPortAlreadyAssociated",
                "Floating IP " + id + " is changing its association; try again."));
          }
          waiting.add(c.replyTo());
          return persist(new AssociationAsked(c.association(), now()));
        })
        .onCommand(Describe.class, (s, c) -> Effect().persist(new DescriptionChanged(c.description(), now()))
            .thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).floatingIp())))
        .onCommand(Report.class, (s, c) -> {
          FloatingIp f = s.floatingIp();
          if (!f.routerId().equals(Optional.of(c.routerId())) || f.status().equals(c.status())) {
            return Effect().reply(c.replyTo(), StatusReply.ack());
          }
          return Effect().persist(new StatusReported(c.status(), now())).thenReply(c.replyTo(), n -> StatusReply.ack());
        })
        .onCommand(Release.class, (s, c) -> {
          waitingRelease.add(c.replyTo());
          return persist(new FloatingIpReleased(now()));
        });
    b.forStateType(Releasing.class)
        .onCommand(Release.class, (s, c) -> {
          waitingRelease.add(c.replyTo());
          return Effect().noReply();
        });
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!(s instanceof Existing e && busy(e.floatingIp())) && waiting.isEmpty()) passivate.run();
          return Effect().noReply();
        })
        .onCommand(Report.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), Rejection.conflict("Floating IP " + id + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Associate.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Describe.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  /** No association being changed. */
  private static boolean settled(FloatingIp f) {
    return f.wanted().isEmpty() && f.routerToLeave().isEmpty();
  }

  private static boolean busy(FloatingIp f) {
    return f.phase() == FloatingIp.Phase.CREATING || f.phase() == FloatingIp.Phase.RELEASING || !settled(f);
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "FloatingIPNotFound", "Floating IP " + id + " could not be found");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- steps

  private void drive(State state) {
    boolean busy = false;
    if (state instanceof Existing e) {
      FloatingIp f = e.floatingIp();
      busy = busy(f);
      if (f.phase() == FloatingIp.Phase.CREATING && !f.quotaHeld()) {
        steps.ask("quota", () -> claims.reserve(f.projectId(), "floatingip", id));
      } else if (f.phase() == FloatingIp.Phase.CREATING) {
        Optional<List<IpRequest>> ips = f.subnetId().isPresent() || f.requestedAddress().isPresent()
            ? Optional.of(List.of(new IpRequest(f.subnetId(), f.requestedAddress()))) : Optional.empty();
        steps.ask("port", () -> claims.createPort(Port.requested(f.portId(), f.floatingNetworkId(), f.projectId(),
            new PortAttributes("", "", true, id, PORT_OWNER, List.of(), false, List.of()), Optional.empty(), ips,
            now())));
      } else if (f.routerToLeave().isPresent()) {
        steps.ask("leave", () -> claims.removeFloatingIp(f.routerToLeave().get(), id));
      } else if (f.phase() == FloatingIp.Phase.ACTIVE && f.wanted().isPresent()) {
        FloatingIp.Association a = f.wanted().get();
        steps.ask("join", () -> claims.addFloatingIp(a.routerId(),
            new Router.FloatingIpMapping(id, f.floatingIpAddress(), a.fixedIpAddress(), a.portId())));
      } else if (f.phase() == FloatingIp.Phase.RELEASING && f.portHeld()) {
        steps.ask("delete-port", () -> claims.deletePort(f.portId(), f.floatingNetworkId(), f.projectId()));
      } else if (f.phase() == FloatingIp.Phase.RELEASING && f.quotaHeld()) {
        steps.ask("release-quota", () -> claims.release(f.projectId(), List.of(id)));
      }
    }
    steps.keepTicking(busy);
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    FloatingIp f = e.floatingIp();
    switch (a.step()) {
      case "quota":
        if (f.phase() == FloatingIp.Phase.CREATING && !f.quotaHeld()) {
          return a.accepted() ? persist(new FloatingIpQuotaHeld(now())) : refuse(a.refusal().get());
        }
        break;
      case "port":
        if (f.phase() == FloatingIp.Phase.CREATING && f.quotaHeld()) {
          if (!a.accepted()) return refuse(a.refusal().get());
          Port p = a.valueAs(Port.class);
          FixedIp ip = p.fixedIps().stream().filter(x -> !x.ipAddress().contains(":")).findFirst()
              .orElse(p.fixedIps().get(0));
          return persist(new AddressAssigned(ip.subnetId(), ip.ipAddress(), now()));
        }
        break;
      case "leave":
        if (a.accepted() && f.routerToLeave().isPresent()) return persist(new RouterLeft(now()));
        break;
      case "join":
        if (f.wanted().isPresent() && f.routerToLeave().isEmpty()) {
          if (a.accepted()) return persist(new Associated(now()));
          // the router is gone or refuses: the floating IP stays unassociated, and says why
          return Effect().persist(new AssociationAsked(Optional.empty(), now())).thenRun(next -> {
            answer(Rejection.of(a.refusal().get().kind(), a.refusal().get().message()));
            drive(next);
          }).thenNoReply();
        }
        break;
      case "delete-port":
        if (a.accepted() && f.portHeld()) return persist(new FloatingPortDeleted(now()));
        break;
      case "release-quota":
        if (a.accepted() && f.quotaHeld()) return persist(new FloatingIpQuotaReleased(now()));
        break;
      default:
        break;
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new FloatingIpRefused(why.message(), now())).thenRun(next -> {
      answer(Rejection.of(why.kind(), why.message()));
      drive(next);
    }).thenNoReply();
  }

  private void answer(StatusReply<FloatingIp> reply) {
    waiting.forEach(to -> to.tell(reply));
    waiting.clear();
  }

  /** Persists, then answers whoever waits once nothing is under way, and goes on with the steps. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Active a && settled(a.floatingIp())) answer(StatusReply.success(a.floatingIp()));
      if (next instanceof Gone) {
        waitingRelease.forEach(to -> to.tell(StatusReply.ack()));
        waitingRelease.clear();
      }
      drive(next);
    }).thenNoReply();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return FloatingIpEntity::next;
  }

  /** The phase an event leads to; shared with the read side. */
  public static State next(State before, Event event) {
    if (event instanceof FloatingIpRequested e) return phaseOf(e.floatingIp());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.floatingIp().after(event));
  }

  private static State phaseOf(FloatingIp f) {
    return switch (f.phase()) {
      case CREATING -> new Creating(f);
      case ACTIVE -> new Active(f);
      case RELEASING -> new Releasing(f);
      case GONE -> new Gone(f);
    };
  }

  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
