package nimbus.network;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * One Neutron port, keyed by its UUID. A create is a chain of persisted steps: the project's
 * port quota, then its MAC and addresses from its network ({@link NetworkEntity.AttachPort}),
 * answered once both are held. A refused or deleted port gives its addresses back to the network
 * and its quota to the project, each acknowledged, before it is gone. Its security groups follow
 * as steps too: it joins the groups it is in (with its addresses) and leaves the others
 * ({@link SecurityGroupEntity.Join}), and its network holds its {@link PortSecurity} for the hosts
 * ({@link NetworkEntity.SecurePort}).
 */
public final class PortEntity
    extends EventSourcedBehaviorWithEnforcedReplies<PortEntity.Command, PortEntity.Event, PortEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Port");
  public static final String TAG = "port";
  /** Idle this long with no step in flight, a port stops (it is remembered only while it has work). */
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  // ---------------------------------------------------------------- commands

  /** Messages a port understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the port as {@code port} describes it ({@link Port#requested}); answered once it has its addresses. */
  public record Create(Port port, ActorRef<StatusReply<Port>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Port>> replyTo) implements Command {}

  /** Changes what its owner sets; answered once the port is in the security groups it names and out of others. */
  public record Update(PortAttributes attributes, ActorRef<StatusReply<Port>> replyTo) implements Command {}

  /** Binds the port to a host (empty: unbinds it); the host's agent plugs it. */
  public record Bind(Optional<String> hostId, ActorRef<StatusReply<Port>> replyTo) implements Command {}

  /**
   * Host {@code host} reports the port plugged ({@code ACTIVE}), unplugged ({@code DOWN}), or
   * that it cannot plug it ({@link #BINDING_FAILED}); only the host it is bound to is heard (a
   * late report of a host it has left changes nothing).
   */
  public record ReportStatus(String host, String status) implements Command {}

  /** Neutron's status of a port its host cannot bind (the API shows {@code binding:vif_type} {@code binding_failed}). */
  public static final String BINDING_FAILED = "ERROR";

  /** A server takes the port as its NIC: refused (409 PortInUse) while another device has it. */
  public record ClaimDevice(String deviceId, String deviceOwner, ActorRef<StatusReply<Port>> replyTo) implements Command {}

  /** The server {@code deviceId} lets the port go: no device, unbound; nothing if another device has it. */
  public record ReleaseDevice(String deviceId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Gives the port other addresses ({@code ips}: each by subnet, address or both; an address it
   * holds is kept) and/or another MAC, taken from its network as one change (all or nothing: the
   * old ones go back only when the new ones are held). Answered once done; refused while another
   * change is under way.
   */
  public record ChangeAddresses(Optional<String> mac, Optional<List<IpRequest>> ips,
      ActorRef<StatusReply<Port>> replyTo) implements Command {}

  /** Deletes the port; answered at once, its addresses and quota go back as steps after. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record StepAnswered(StepDriver.Answer answer) implements Command {}

  record Tick() implements Command {}

  /** Nothing came for a while: stop unless a step is in flight. */
  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a port's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record PortRequested(Port port, Instant at) implements Event {}

  public record PortQuotaHeld(Instant at) implements Event {}

  public record AddressesAssigned(Attachment attachment, Instant at) implements Event {}

  public record PortRefused(String reason, Instant at) implements Event {}

  public record PortUpdated(PortAttributes attributes, Instant at) implements Event {}

  public record PortBound(Optional<String> hostId, Instant at) implements Event {}

  public record PortStatusChanged(String status, Instant at) implements Event {}

  public record PortDeleted(Instant at) implements Event {}

  /** Other addresses or another MAC are asked of the network (a step, until it answers). */
  public record AddressChangeAsked(Optional<String> mac, Optional<List<IpRequest>> ips, Instant at) implements Event {}

  /** The network refused them: the port keeps what it had. */
  public record AddressChangeRefused(String reason, Instant at) implements Event {}

  public record AddressesReleased(Instant at) implements Event {}

  public record PortQuotaReleased(Instant at) implements Event {}

  /** The port is a member of security group {@code groupId}, sending from {@code addresses}. */
  public record GroupJoined(String groupId, List<String> addresses, Instant at) implements Event {}

  public record GroupLeft(String groupId, Instant at) implements Event {}

  /** Its network holds this as the port's filtering, for the hosts. */
  public record SecurityApplied(PortSecurity security, Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A port's phases; all but {@link NoPort} hold the port. */
  public sealed interface State extends CborSerializable {}

  public record NoPort() implements State {}

  public sealed interface Existing extends State {
    Port port();
  }

  public record Creating(Port port) implements Existing {}

  public record Ready(Port port) implements Existing {}

  public record Releasing(Port port) implements Existing {}

  public record Gone(Port port) implements Existing {}

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String portId, NetworkClaims claims, Duration stepRetry, Clock clock) {
    return create(portId, claims, stepRetry, clock, Optional.empty());
  }

  /** {@code shard}: where to ask to be passivated once idle (see {@link NetworkEntity#create}). */
  public static Behavior<Command> create(String portId, NetworkClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new PortEntity(portId, claims, clock,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new), () -> shard.ifPresent(
              sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf()))));
    }));
  }

  private final String portId;
  private final NetworkClaims claims;
  private final Clock clock;
  private final StepDriver<Command> steps;
  private final List<ActorRef<StatusReply<Port>>> waitingCreate = new ArrayList<>();
  /** The client of an address change (in memory: after a crash it asks again). */
  private final List<ActorRef<StatusReply<Port>>> waitingChange = new ArrayList<>();
  /** A deleted port's floating IPs have let it go (in memory: after a crash they are asked again, idempotently). */
  private boolean floatingIpsReleased;
  private final Runnable passivate;
  /**
   * Clients of a delete, answered once the port is gone: out of its groups, its floating IPs, addresses
   * and quota given back, as a Neutron delete is (in memory: after a crash they ask again).
   */
  private final List<ActorRef<StatusReply<Done>>> waitingDelete = new ArrayList<>();
  /** Clients of an update, answered once the port's groups are as it says (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Port>>> waitingGroups = new ArrayList<>();

  private PortEntity(String portId, NetworkClaims claims, Clock clock, StepDriver<Command> steps, Runnable passivate) {
    super(PersistenceId.of(TYPE_KEY.name(), portId), Entities.JOURNAL_BACKOFF);
    this.portId = portId;
    this.claims = claims;
    this.clock = clock;
    this.steps = steps;
    this.passivate = passivate;
  }

  @Override
  public State emptyState() {
    return new NoPort();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoPort.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.port().id().equals(portId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("port id does not match its entity"));
          }
          waitingCreate.add(c.replyTo());
          return persist(new PortRequested(c.port(), now()));
        });
    b.forStateType(Creating.class)
        .onCommand(Create.class, (s, c) -> {
          waitingCreate.add(c.replyTo());
          return Effect().noReply();
        })
        // a server deleted while its port is made: the port must not live on (and join its groups)
        .onCommand(Delete.class, (s, c) -> Effect().persist(new PortDeleted(now())).thenRun(next -> {
          waitingCreate.forEach(to -> to.tell(notFound()));
          waitingCreate.clear();
          waitingDelete.add(c.replyTo());
          settled(next);
        }).thenNoReply());
    b.forStateType(Ready.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.port())))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), s.port().projectId().equals(c.port().projectId())
            ? StatusReply.success(s.port()) : Rejection.conflict("Port " + portId + " already exists.")))
        .onCommand(Update.class, (s, c) -> Effect().persist(new PortUpdated(c.attributes(), now())).thenRun(next -> {
          // answered once the port is in the groups it names and out of the others
          waitingGroups.add(c.replyTo());
          settled(next);
        }).thenNoReply())
        .onCommand(Bind.class, (s, c) -> s.port().hostId().equals(c.hostId())
            ? Effect().reply(c.replyTo(), StatusReply.success(s.port()))
            : Effect().persist(new PortBound(c.hostId(), now()))
                .thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).port())))
        .onCommand(ReportStatus.class, (s, c) -> s.port().status().equals(c.status())
            || !s.port().hostId().equals(Optional.of(c.host()))
            ? Effect().noReply()
            : Effect().persist(new PortStatusChanged(c.status(), now())).thenNoReply())
        .onCommand(ClaimDevice.class, (s, c) -> {
          PortAttributes a = s.port().attributes();
          if (a.deviceId().equals(c.deviceId())) return Effect().reply(c.replyTo(), StatusReply.success(s.port()));
          if (!a.deviceId().isEmpty()) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "PortInUse",
                "Port " + portId + " is still in use."));
          }
          return Effect().persist(new PortUpdated(a.withDevice(c.deviceId(), c.deviceOwner()), now()))
              .thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).port()));
        })
        .onCommand(ReleaseDevice.class, (s, c) -> s.port().attributes().deviceId().equals(c.deviceId())
            ? Effect().persist(List.of(new PortUpdated(s.port().attributes().withDevice("", ""), now()),
                new PortBound(Optional.empty(), now()))).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(ChangeAddresses.class, (s, c) -> {
          if (s.port().phase() == Port.Phase.READDRESSING) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "PortInUse",
                "Port " + portId + " is changing its addresses."));
          }
          return Effect().persist(new AddressChangeAsked(c.mac(), c.ips(), now())).thenRun(next -> {
            waitingChange.add(c.replyTo());
            drive(next);
          }).thenNoReply();
        })
        .onCommand(Delete.class, (s, c) -> Effect().persist(new PortDeleted(now())).thenRun(next -> {
          waitingDelete.add(c.replyTo());
          settled(next);
        }).thenNoReply());
    b.forStateType(Releasing.class)
        .onCommand(Delete.class, (s, c) -> {
          waitingDelete.add(c.replyTo());
          return Effect().noReply();
        });
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          boolean busy = s instanceof Existing e && (!e.port().securitySettled()
              || e.port().phase() != Port.Phase.READY && e.port().phase() != Port.Phase.GONE);
          if (!busy && waitingCreate.isEmpty() && waitingChange.isEmpty() && waitingGroups.isEmpty() && waitingDelete.isEmpty()) {
            passivate.run();
          }
          return Effect().noReply();
        })
        .onCommand(ReportStatus.class, (s, c) -> Effect().noReply())
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), Rejection.conflict("Port " + portId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Bind.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ClaimDevice.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReleaseDevice.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  // ---------------------------------------------------------------- steps

  private void drive(State state) {
    boolean busy = false;
    if (state instanceof Existing e) {
      Port p = e.port();
      if (p.phase() == Port.Phase.CREATING) {
        busy = true;
        if (!p.quotaHeld()) {
          steps.ask("quota", () -> claims.reserve(p.projectId(), "port", portId));
        } else {
          steps.ask("addresses", () -> claims.attachPort(p.networkId(), portId, p.projectId(),
              p.attributes().deviceOwner(), p.requestedMac(), p.requestedIps()));
        }
      } else if (p.phase() == Port.Phase.READDRESSING) {
        busy = true;
        steps.ask("readdress", () -> claims.readdressPort(p.networkId(), portId, p.projectId(),
            p.attributes().deviceOwner(), p.requestedMac(), p.requestedIps()));
      } else if (p.phase() == Port.Phase.RELEASING) {
        busy = true;
        security(p);
        if (p.addressesHeld() && !floatingIpsReleased) {
          steps.ask("release-floating-ips", () -> claims.releaseFloatingIps(portId));
        } else if (p.addressesHeld()) {
          steps.ask("release-addresses", () -> claims.detachPort(p.networkId(), portId));
        } else {
          steps.ask("release-quota", () -> claims.release(p.projectId(), List.of(portId)));
        }
      }
    }
    if (state instanceof Ready r && !r.port().securitySettled()) {
      busy = true;
      security(r.port());
    }
    steps.keepTicking(busy);
  }

  /** Joins the groups the port should be in, leaves the others, then tells its network how to filter it. */
  private void security(Port p) {
    Map<String, List<String>> wanted = p.wantedMembership();
    Map<String, List<String>> joined = p.security().joined();
    wanted.forEach((group, addresses) -> {
      if (!addresses.equals(joined.get(group))) {
        // the step names what it asked: an answer to an older ask changes nothing
        steps.ask("join " + group + " " + String.join(",", addresses), () -> claims.joinGroup(group, portId, addresses));
      }
    });
    joined.keySet().stream().filter(g -> !wanted.containsKey(g))
        .forEach(group -> steps.ask("leave " + group, () -> claims.leaveGroup(group, portId)));
    PortSecurity security = p.wantedSecurity();
    if (p.phase() == Port.Phase.READY && joined.equals(wanted) && !p.security().applied().equals(security)) {
      steps.ask("secure " + security.hashCode(), () -> claims.securePort(p.networkId(), portId, security));
    }
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    Port p = e.port();
    switch (a.step().contains(" ") ? a.step().substring(0, a.step().indexOf(' ')) : a.step()) {
      case "quota":
        if (p.phase() == Port.Phase.CREATING && !p.quotaHeld()) {
          return a.accepted() ? persist(new PortQuotaHeld(now())) : refuse(a.refusal().get());
        }
        break;
      case "addresses":
        if (p.phase() == Port.Phase.CREATING && p.quotaHeld()) {
          return a.accepted() ? persist(new AddressesAssigned(a.valueAs(Attachment.class), now())) : refuse(a.refusal().get());
        }
        break;
      case "readdress":
        if (p.phase() == Port.Phase.READDRESSING) {
          Event outcome = a.accepted() ? new AddressesAssigned(a.valueAs(Attachment.class), now())
              : new AddressChangeRefused(a.refusal().get().message(), now());
          return Effect().persist(outcome).thenRun(next -> {
            StatusReply<Port> reply = a.accepted() ? StatusReply.success(((Existing) next).port())
                : Rejection.of(a.refusal().get().kind(), a.refusal().get().message());
            waitingChange.forEach(to -> to.tell(reply));
            waitingChange.clear();
            drive(next);
          }).thenNoReply();
        }
        break;
      case "release-floating-ips":
        floatingIpsReleased = a.accepted();
        break;
      case "release-addresses":
        if (a.accepted() && p.phase() == Port.Phase.RELEASING && p.addressesHeld()) return persist(new AddressesReleased(now()));
        break;
      case "join":
        return joined(p, a);
      case "leave":
        return a.accepted() && p.security().joined().containsKey(a.step().substring("leave ".length()))
            ? persist(new GroupLeft(a.step().substring("leave ".length()), now()))
            : Effect().none().thenRun(this::drive).thenNoReply();
      case "secure":
        PortSecurity wanted = p.wantedSecurity();
        return a.accepted() && a.step().equals("secure " + wanted.hashCode()) && !p.security().applied().equals(wanted)
            ? persist(new SecurityApplied(wanted, now())) : Effect().none().thenRun(this::drive).thenNoReply();
      case "release-quota":
        if (a.accepted() && p.phase() == Port.Phase.RELEASING && p.quotaHeld()) return persist(new PortQuotaReleased(now()));
        break;
      default:
        break;
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> joined(Port p, StepDriver.Answer a) {
    String[] asked = a.step().split(" ", 3);
    String group = asked[1];
    List<String> addresses = asked.length < 3 || asked[2].isEmpty() ? List.of() : List.of(asked[2].split(","));
    if (!addresses.equals(p.wantedMembership().get(group))) return Effect().none().thenRun(this::drive).thenNoReply();
    if (a.accepted()) return persist(new GroupJoined(group, addresses, now()));
    if (a.refusal().get().kind() == Rejection.Kind.NOT_FOUND) {
      // the group went away meanwhile: the port is in it no more
      List<String> groups = p.attributes().securityGroups().stream().filter(g -> !g.equals(group)).toList();
      return persist(new PortUpdated(p.attributes().withSecurityGroups(groups), now()));
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new PortRefused(why.message(), now())).thenRun(next -> {
      waitingCreate.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waitingCreate.clear();
      drive(next);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(this::settled).thenNoReply();
  }

  /** Answers a create and updates once the port is ready and in its groups, then goes on with the steps. */
  private void settled(State next) {
    if (next instanceof Ready r && r.port().membershipSettled()) {
      waitingCreate.forEach(to -> to.tell(StatusReply.success(r.port())));
      waitingCreate.clear();
      waitingGroups.forEach(to -> to.tell(StatusReply.success(r.port())));
      waitingGroups.clear();
    }
    if (next instanceof Gone) {
      waitingDelete.forEach(to -> to.tell(StatusReply.ack()));
      waitingDelete.clear();
    }
    drive(next);
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.portNotFound(portId);
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return PortEntity::next;
  }

  /** The phase an event leads to; shared with the read side. */
  public static State next(State before, Event event) {
    if (event instanceof PortRequested e) return phaseOf(e.port());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.port().after(event));
  }

  private static State phaseOf(Port p) {
    return switch (p.phase()) {
      case CREATING -> new Creating(p);
      case READY, READDRESSING -> new Ready(p);
      case RELEASING -> new Releasing(p);
      case GONE -> new Gone(p);
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
