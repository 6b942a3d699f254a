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
import java.util.concurrent.ThreadLocalRandom;
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
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One Neutron network, keyed by its UUID, with its subnets and the addresses it has handed out.
 * It is the single writer of its addresses: ports ask it for theirs ({@link AttachPort}), one at a
 * time, so no address or MAC goes to two ports.
 *
 * <p>Its quota, its segmentation id and each subnet's quota are claimed as persisted steps
 * (ARCHITECTURE.md, "The workflow pattern"): a create answers once both are held; a refused or
 * deleted network gives back all it held, acknowledged, before it is gone.
 */
public final class NetworkEntity
    extends EventSourcedBehaviorWithEnforcedReplies<NetworkEntity.Command, NetworkEntity.Event, NetworkEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Network");
  public static final String TAG = "network";
  /** Idle this long with no step in flight, a network stops (it is remembered only while it has work). */
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  // ---------------------------------------------------------------- commands

  /** Messages a network understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the network as {@code network} describes it ({@link Network#requested}); answered once usable. */
  public record Create(Network network, ActorRef<StatusReply<Network>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Network>> replyTo) implements Command {}

  public record Update(NetworkAttributes attributes, ActorRef<StatusReply<Network>> replyTo) implements Command {}

  /** Deletes the network and its subnets; refused while ports use it (409 NetworkInUse). */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Adds a subnet, answered once the project's quota holds it. */
  public record AddSubnet(Subnet subnet, ActorRef<StatusReply<Subnet>> replyTo) implements Command {}

  /**
   * Adds a subnet whose CIDR comes from a subnet pool: the CIDR is taken from the pool as a step,
   * then the quota; answered once both are held (given back if the subnet is refused).
   */
  public record AddPoolSubnet(PoolSubnet request, ActorRef<StatusReply<Subnet>> replyTo) implements Command {}

  /** Replaces a subnet's changeable attributes ({@link Subnet#changed}). */
  public record UpdateSubnet(Subnet subnet, ActorRef<StatusReply<Subnet>> replyTo) implements Command {}

  /** Removes a subnet; refused while ports hold addresses in it (409 SubnetInUse). */
  public record DeleteSubnet(String subnetId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Gives port {@code portId} its MAC and addresses ({@code ips} empty: the defaults, see
   * {@link Ipam}). Idempotent: a port that has them gets the same again.
   */
  public record AttachPort(String portId, String projectId, String deviceOwner, Optional<String> mac,
      Optional<List<IpRequest>> ips, ActorRef<StatusReply<Attachment>> replyTo) implements Command {}

  /**
   * Replaces port {@code portId}'s addresses and/or MAC ({@code empty}: keep them) in one change:
   * the new ones are checked against every other port's, an address it already holds may be kept.
   */
  public record ReaddressPort(String portId, String projectId, String deviceOwner, Optional<String> mac,
      Optional<List<IpRequest>> ips, ActorRef<StatusReply<Attachment>> replyTo) implements Command {}

  /** The port is plugged on a host now (or, empty, on none); answered also for a port the network does not hold. */
  public record PlacePort(String portId, Optional<Attachment.Placement> placement, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * How hosts filter port {@code portId} from now on (held in its {@link Attachment}); answered also
   * when the network does not hold the port (it has nothing to filter).
   */
  public record SecurePort(String portId, PortSecurity security, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Lets a port's addresses go; answered also when it held none. */
  public record DetachPort(String portId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A step's answer. */
  record StepAnswered(StepDriver.Answer answer) implements Command {}

  /** Time to ask again the steps still unanswered. */
  record Tick() implements Command {}

  /** Nothing came for a while: stop unless a step is in flight. */
  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a network's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record NetworkRequested(Network network, Instant at) implements Event {}

  public record NetworkQuotaHeld(Instant at) implements Event {}

  public record SegmentAllocated(int segmentationId, Instant at) implements Event {}

  public record NetworkRefused(String reason, Instant at) implements Event {}

  public record NetworkUpdated(NetworkAttributes attributes, Instant at) implements Event {}

  public record NetworkDeleted(Instant at) implements Event {}

  /** The project's quota no longer holds these (the network's own id among them, or subnets'). */
  public record QuotaReleased(List<String> ids, Instant at) implements Event {}

  public record SegmentReleased(Instant at) implements Event {}

  public record SubnetRequested(Subnet subnet, Instant at) implements Event {}

  /** A subnet asks a subnet pool for its CIDR. */
  public record PoolSubnetRequested(PoolSubnet request, Instant at) implements Event {}

  /** The pool gave it; the subnet now waits for its quota, as one with a CIDR of its own. */
  public record SubnetCidrAllocated(String subnetId, String cidr, Instant at) implements Event {}

  /** A deleted or refused subnet's CIDR is back in its pool. */
  public record SubnetCidrReleased(String subnetId, Instant at) implements Event {}

  public record SubnetAdded(String subnetId, Instant at) implements Event {}

  public record SubnetRefused(String subnetId, String reason, Instant at) implements Event {}

  public record SubnetUpdated(Subnet subnet, Instant at) implements Event {}

  public record SubnetDeleted(String subnetId, Instant at) implements Event {}

  public record PortAttached(String portId, Attachment attachment, Instant at) implements Event {}

  public record PortDetached(String portId, Instant at) implements Event {}

  public record PortPlaced(String portId, Optional<Attachment.Placement> placement, Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A network's phases; all but {@link NoNetwork} hold the network. */
  public sealed interface State extends CborSerializable {}

  public record NoNetwork() implements State {}

  /** Phases with a network. */
  public sealed interface Existing extends State {
    Network network();
  }

  public record Creating(Network network) implements Existing {}

  public record Active(Network network) implements Existing {}

  public record Releasing(Network network) implements Existing {}

  public record Gone(Network network) implements Existing {}

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String networkId, NetworkClaims claims, Duration stepRetry, Clock clock) {
    return create(networkId, claims, stepRetry, clock, Optional.empty());
  }

  /**
   * {@code shard}: where to ask to be passivated once idle. Without it, a remembered network would
   * stay in memory for good, and so would one started by a read of an id that names nothing.
   */
  public static Behavior<Command> create(String networkId, NetworkClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new NetworkEntity(networkId, claims, clock, context,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new),
          context.spawn(Topic.create(NetworkChanged.class, NetworkChanged.topic(networkId)), "hosts"), shard);
    }));
  }

  private final String networkId;
  private final NetworkClaims claims;
  private final Clock clock;
  private final StepDriver<Command> steps;
  /** The hosts that carry the network listen here for its changes. */
  private final ActorRef<Topic.Command<NetworkChanged>> hosts;
  private final ActorContext<Command> context;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting for the create, and for each subnet's (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<Network>>> waitingCreate = new ArrayList<>();
  private final Map<String, ActorRef<StatusReply<Subnet>>> waitingSubnets = new HashMap<>();
  /** Clients waiting for a pool subnet's delete (in memory: after a crash they ask again). */
  private final Map<String, ActorRef<StatusReply<Done>>> waitingReleases = new HashMap<>();

  private NetworkEntity(String networkId, NetworkClaims claims, Clock clock, ActorContext<Command> context,
      StepDriver<Command> steps, ActorRef<Topic.Command<NetworkChanged>> hosts,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), networkId), Entities.JOURNAL_BACKOFF);
    this.networkId = networkId;
    this.claims = claims;
    this.clock = clock;
    this.steps = steps;
    this.hosts = hosts;
    this.context = context;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return new NoNetwork();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::changed).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoNetwork.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.network().id().equals(networkId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("network id does not match its entity"));
          }
          waitingCreate.add(c.replyTo());
          return persist(new NetworkRequested(c.network(), now()));
        })
        .onCommand(DetachPort.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    b.forStateType(Creating.class)
        .onCommand(Create.class, (s, c) -> {
          waitingCreate.add(c.replyTo());
          return Effect().noReply();
        });
    active(b);
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!busy(s) && waitingCreate.isEmpty() && waitingSubnets.isEmpty() && waitingReleases.isEmpty()) {
            shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          }
          return Effect().noReply();
        })
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), s instanceof Existing e
            && e.network().projectId().equals(c.network().projectId()) && !(s instanceof Gone || s instanceof Releasing)
            ? StatusReply.success(e.network()) : Rejection.conflict("Network " + networkId + " already exists.")))
        .onCommand(DetachPort.class, (s, c) -> detach(s, c))
        .onCommand(SecurePort.class, (s, c) -> {
          Attachment a = s instanceof Existing e ? e.network().ports().get(c.portId()) : null;
          // the attachment itself is the fact: hosts see the port's filtering with its addresses
          return a == null || a.security().equals(c.security())
              ? Effect().reply(c.replyTo(), StatusReply.ack())
              : Effect().persist(new PortAttached(c.portId(), a.secured(c.security()), now())).thenRun(this::changed)
                  .thenReply(c.replyTo(), n -> StatusReply.ack());
        })
        .onCommand(PlacePort.class, (s, c) -> {
          Attachment a = s instanceof Existing e ? e.network().ports().get(c.portId()) : null;
          return a == null || a.placement().equals(c.placement())
              ? Effect().reply(c.replyTo(), StatusReply.ack())
              : Effect().persist(new PortPlaced(c.portId(), c.placement(), now())).thenRun(this::changed).thenReply(c.replyTo(), n -> StatusReply.ack());
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddSubnet.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddPoolSubnet.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(UpdateSubnet.class, (s, c) -> Effect().reply(c.replyTo(), NetworkRefusal.subnetNotFound(c.subnet().id())))
        .onCommand(DeleteSubnet.class, (s, c) -> Effect().reply(c.replyTo(), NetworkRefusal.subnetNotFound(c.subnetId())))
        .onCommand(AttachPort.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReaddressPort.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  private void active(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Active.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.network())))
        .onCommand(Update.class, (s, c) -> Effect().persist(new NetworkUpdated(c.attributes(), now()))
            .thenRun(this::changed).thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).network())))
        .onCommand(Delete.class, (s, c) -> s.network().ports().values().stream().allMatch(NetworkEntity::isDhcp)
            ? Effect().persist(new NetworkDeleted(now())).thenRun(this::changed).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "NetworkInUse",
                "Unable to complete operation on network " + networkId
                    + ". There are one or more ports still in use on the network, id for these ports is: "
                    + String.join(",", new java.util.TreeSet<>(s.network().ports().entrySet().stream()
                        .filter(p -> !isDhcp(p.getValue())).map(Map.Entry::getKey).toList())) + ".")))
        .onCommand(AddSubnet.class, this::addSubnet)
        .onCommand(AddPoolSubnet.class, this::addPoolSubnet)
        .onCommand(UpdateSubnet.class, this::updateSubnet)
        .onCommand(DeleteSubnet.class, (s, c) -> {
          if (s.network().subnet(c.subnetId()).isEmpty()) {
            return Effect().reply(c.replyTo(), NetworkRefusal.subnetNotFound(c.subnetId()));
          }
          boolean used = s.network().ports().values().stream().filter(a -> !isDhcp(a))
              .anyMatch(a -> a.fixedIps().stream().anyMatch(f -> f.subnetId().equals(c.subnetId())));
          if (used) {
            return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "SubnetInUse",
                "Unable to complete operation on subnet " + c.subnetId()
                    + ": One or more ports have an IP allocation from this subnet."));
          }
          List<Event> events = new ArrayList<>();
          if (s.network().ports().containsKey(dhcpPortId(c.subnetId()))) {
            events.add(new PortDetached(dhcpPortId(c.subnetId()), now()));
          }
          events.add(new SubnetDeleted(c.subnetId(), now()));
          if (s.network().subnet(c.subnetId()).get().subnetpoolId().isPresent()) {
            // answered once its CIDR is back in the pool, so the pool can go right after
            return Effect().persist(events).thenRun(next -> {
              waitingReleases.put(c.subnetId(), c.replyTo());
              changed(next);
            }).thenNoReply();
          }
          return Effect().persist(events).thenRun(this::changed)
              .thenReply(c.replyTo(), n -> StatusReply.ack());
        })
        .onCommand(AttachPort.class, this::attach)
        .onCommand(ReaddressPort.class, this::readdress);
  }

  private ReplyEffect<Event, State> addSubnet(Active s, AddSubnet c) {
    Subnet subnet = c.subnet();
    if (s.network().subnet(subnet.id()).isPresent()) return Effect().reply(c.replyTo(), StatusReply.success(
        s.network().subnet(subnet.id()).get()));
    Optional<String> problem = subnet.problem();
    if (problem.isPresent()) return Effect().reply(c.replyTo(), NetworkRefusal.invalid(problem.get()));
    IpNet net = subnet.net();
    List<Subnet> all = new ArrayList<>(s.network().subnets());
    all.addAll(s.network().pendingSubnets());
    for (Subnet other : all) {
      if (other.id().equals(subnet.id())) {
        waitingSubnets.put(subnet.id(), c.replyTo());
        return Effect().noReply();
      }
      if (other.net().overlaps(net)) {
        return Effect().reply(c.replyTo(), NetworkRefusal.invalid("Requested subnet with cidr: " + subnet.cidr()
            + " for network: " + networkId + " overlaps with another subnet."));
      }
    }
    waitingSubnets.put(subnet.id(), c.replyTo());
    return persist(new SubnetRequested(subnet, now()));
  }

  private ReplyEffect<Event, State> addPoolSubnet(Active s, AddPoolSubnet c) {
    String id = c.request().id();
    Optional<Subnet> made = s.network().subnet(id);
    if (made.isPresent()) return Effect().reply(c.replyTo(), StatusReply.success(made.get()));
    waitingSubnets.put(id, c.replyTo());
    boolean asked = s.network().subnetsAwaitingCidr().containsKey(id)
        || s.network().pendingSubnets().stream().anyMatch(p -> p.id().equals(id));
    return asked ? Effect().noReply() : persist(new PoolSubnetRequested(c.request(), now()));
  }

  private ReplyEffect<Event, State> updateSubnet(Active s, UpdateSubnet c) {
    Optional<Subnet> old = s.network().subnet(c.subnet().id());
    if (old.isEmpty()) return Effect().reply(c.replyTo(), NetworkRefusal.subnetNotFound(c.subnet().id()));
    Optional<String> problem = c.subnet().problem();
    if (problem.isPresent()) return Effect().reply(c.replyTo(), NetworkRefusal.invalid(problem.get()));
    return Effect().persist(new SubnetUpdated(c.subnet(), now())).thenRun(this::changed)
        .thenReply(c.replyTo(), n -> StatusReply.success(c.subnet()));
  }

  private ReplyEffect<Event, State> attach(Active s, AttachPort c) {
    Attachment held = s.network().ports().get(c.portId());
    if (held != null) return Effect().reply(c.replyTo(), StatusReply.success(held));
    Attachment attachment;
    try {
      attachment = Ipam.attach(s.network(), c.portId(), c.projectId(), c.deviceOwner(), c.mac(), c.ips(),
          NetworkEntity::randomMac);
    } catch (Ipam.Refused refused) {
      return Effect().reply(c.replyTo(), Rejection.of(refused.rejection.kind(), refused.rejection.message()));
    }
    return Effect().persist(new PortAttached(c.portId(), attachment, now())).thenRun(this::changed)
        .thenReply(c.replyTo(), n -> StatusReply.success(attachment));
  }

  private ReplyEffect<Event, State> readdress(Active s, ReaddressPort c) {
    Attachment held = s.network().ports().get(c.portId());
    if (held == null) return Effect().reply(c.replyTo(), NetworkRefusal.portNotFound(c.portId()));
    Attachment next;
    try {
      next = Ipam.readdress(s.network(), c.portId(), held, c.mac(), c.ips());
    } catch (Ipam.Refused refused) {
      return Effect().reply(c.replyTo(), Rejection.of(refused.rejection.kind(), refused.rejection.message()));
    }
    if (next.equals(held)) return Effect().reply(c.replyTo(), StatusReply.success(held));
    // one event: the old addresses go back exactly as the new ones are taken
    return Effect().persist(new PortAttached(c.portId(), next, now())).thenRun(this::changed)
        .thenReply(c.replyTo(), n -> StatusReply.success(next));
  }

  private ReplyEffect<Event, State> detach(State s, DetachPort c) {
    boolean held = s instanceof Existing e && e.network().ports().containsKey(c.portId());
    return held
        ? Effect().persist(new PortDetached(c.portId(), now())).thenRun(this::changed).thenReply(c.replyTo(), n -> StatusReply.ack())
        : Effect().reply(c.replyTo(), StatusReply.ack());
  }

  /** OpenStack's prefix, so tools that know Neutron's ports recognise ours. */
  static String randomMac() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("fa:16:3e:%02x:%02x:%02x", r.nextInt(256), r.nextInt(256), r.nextInt(256));
  }

  // ---------------------------------------------------------------- steps

  /** After an event (and after recovery): the hosts that carry the network hear of it, and the steps go on. */
  private void changed(State state) {
    if (state instanceof Existing e) hosts.tell(Topic.publish(new NetworkChanged(e.network())));
    drive(state);
  }

  /** Whether a step is in flight: its quota, segment or a subnet claimed, or something to give back. */
  private static boolean busy(State state) {
    if (!(state instanceof Existing e)) return false;
    Network n = e.network();
    return n.phase() == Network.Phase.CREATING || n.phase() == Network.Phase.RELEASING
        || !n.pendingSubnets().isEmpty() || !n.quotaToRelease().isEmpty() || !n.subnetsAwaitingCidr().isEmpty()
        || !n.cidrsToRelease().isEmpty();
  }

  /** Asks whatever step the network is in; the retry timer runs exactly while one is in flight. */
  private void drive(State state) {
    boolean busy = false;
    if (state instanceof Existing e) {
      Network n = e.network();
      if (n.phase() == Network.Phase.CREATING) {
        busy = true;
        if (!n.quotaHeld()) {
          steps.ask("quota", () -> claims.reserve(n.projectId(), "network", networkId));
        } else if (n.segment().pool().isPresent()) {
          steps.ask("segment", () -> claims.allocateSegment(n.segment().pool().orElseThrow(), networkId,
              n.segment().segmentationId()));
        }
      }
      if (n.phase() == Network.Phase.ACTIVE) {
        for (PoolSubnet asking : n.subnetsAwaitingCidr().values()) {
          busy = true;
          steps.ask("cidr:" + asking.id(), () -> claims.allocateCidr(asking.poolId(), asking.id(), asking.cidr(),
              asking.prefixlen()));
        }
        for (Subnet pending : n.pendingSubnets()) {
          busy = true;
          steps.ask("subnet:" + pending.id(), () -> claims.reserve(n.projectId(), "subnet", pending.id()));
        }
      }
      for (Network.PoolClaim claim : n.cidrsToRelease()) {
        busy = true;
        steps.ask("cidr-release:" + claim.subnetId(), () -> claims.releaseCidr(claim.poolId(), claim.subnetId()));
      }
      if (n.phase() != Network.Phase.CREATING && !n.quotaToRelease().isEmpty()) {
        busy = true;
        steps.ask("release", () -> claims.release(n.projectId(), n.quotaToRelease()));
      } else if (n.phase() == Network.Phase.RELEASING && n.segmentHeld()) {
        busy = true;
        steps.ask("segment-release", () -> claims.releaseSegment(n.segment().pool().orElseThrow(), networkId));
      }
    }
    steps.keepTicking(busy);
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    Network n = e.network();
    String step = a.step();
    if (step.equals("quota") && n.phase() == Network.Phase.CREATING && !n.quotaHeld()) {
      return a.accepted() ? persist(new NetworkQuotaHeld(now())) : refuse(a.refusal().get());
    }
    if (step.equals("segment") && n.phase() == Network.Phase.CREATING && !n.segmentHeld()) {
      return a.accepted() ? persist(new SegmentAllocated(a.valueAs(Integer.class), now())) : refuse(a.refusal().get());
    }
    if (step.startsWith("cidr:")) return cidrAnswered(n, step.substring("cidr:".length()), a);
    if (step.startsWith("cidr-release:")) {
      String subnetId = step.substring("cidr-release:".length());
      boolean owed = n.cidrsToRelease().stream().anyMatch(claim -> claim.subnetId().equals(subnetId));
      if (a.accepted() && owed) {
        return Effect().persist(new SubnetCidrReleased(subnetId, now())).thenRun(next -> {
          ActorRef<StatusReply<Done>> client = waitingReleases.remove(subnetId);
          if (client != null) client.tell(StatusReply.ack());
          changed(next);
        }).thenNoReply();
      }
      return Effect().none().thenRun(this::drive).thenNoReply();
    }
    if (step.startsWith("subnet:")) {
      String subnetId = step.substring("subnet:".length());
      if (n.pendingSubnets().stream().noneMatch(p -> p.id().equals(subnetId))) return Effect().noReply();
      ActorRef<StatusReply<Subnet>> client = waitingSubnets.remove(subnetId);
      if (a.accepted()) {
        List<Event> events = new ArrayList<>(List.of(new SubnetAdded(subnetId, now())));
        dhcpAddress(n.after(events.get(0)), subnetId).ifPresent(events::add);
        return Effect().persist(events).thenRun(next -> {
          if (client != null) client.tell(StatusReply.success(((Existing) next).network().subnet(subnetId).orElseThrow()));
          changed(next);
        }).thenNoReply();
      }
      Rejection why = a.refusal().get();
      return Effect().persist(new SubnetRefused(subnetId, why.message(), now())).thenRun(next -> {
        if (client != null) client.tell(Rejection.of(why.kind(), why.message()));
        changed(next);
      }).thenNoReply();
    }
    if (step.equals("release") && a.accepted() && !n.quotaToRelease().isEmpty()) {
      return persist(new QuotaReleased(n.quotaToRelease(), now()));
    }
    if (step.equals("segment-release") && a.accepted() && n.segmentHeld()) {
      return persist(new SegmentReleased(now()));
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  /**
   * The pool's answer to a subnet's CIDR: the subnet goes on to its quota, unless the CIDR overlaps
   * another subnet of the network or the pool refused (then the subnet is refused, and a CIDR it
   * may hold goes back).
   */
  private ReplyEffect<Event, State> cidrAnswered(Network n, String subnetId, StepDriver.Answer a) {
    PoolSubnet asking = n.subnetsAwaitingCidr().get(subnetId);
    if (asking == null) return Effect().none().thenRun(this::drive).thenNoReply();
    Rejection why;
    if (a.accepted()) {
      String cidr = a.valueAs(String.class);
      Subnet s = asking.subnet(cidr);
      Optional<String> problem = s.problem();
      boolean overlaps = java.util.stream.Stream.concat(n.subnets().stream(), n.pendingSubnets().stream())
          .anyMatch(o -> o.net().overlaps(s.net()));
      if (problem.isEmpty() && !overlaps) return persist(new SubnetCidrAllocated(subnetId, cidr, now()));
      why = NetworkRefusal.rejection(Rejection.Kind.INVALID, "InvalidInput", "Invalid input for operation: "
          + problem.orElse("Requested subnet with cidr: " + cidr + " for network: " + networkId
              + " overlaps with another subnet."));
    } else {
      why = a.refusal().get();
    }
    ActorRef<StatusReply<Subnet>> client = waitingSubnets.remove(subnetId);
    return Effect().persist(new SubnetRefused(subnetId, why.message(), now())).thenRun(next -> {
      if (client != null) client.tell(Rejection.of(why.kind(), why.message()));
      changed(next);
    }).thenNoReply();
  }

  /** A port's id for the DHCP server's address in a subnet (an address no port can get). */
  public static String dhcpPortId(String subnetId) {
    return "dhcp:" + subnetId;
  }

  public static boolean isDhcp(Attachment a) {
    return a.deviceOwner().equals(DHCP_OWNER);
  }

  static final String DHCP_OWNER = "network:dhcp";

  /**
   * A DHCP-served subnet's server address, taken from its pool as Neutron's DHCP port takes one
   * (on a SLAAC or DHCPv6-stateless subnet: the EUI-64 address of its MAC): every host that
   * carries the network answers DHCP and sends router advertisements from it. None if the pool
   * is full.
   */
  private Optional<Event> dhcpAddress(Network n, String subnetId) {
    Subnet s = n.subnet(subnetId).orElseThrow();
    if (!s.enableDhcp()) return Optional.empty();
    try {
      if (s.autoAddressed()) {
        return Optional.of(new PortAttached(dhcpPortId(subnetId),
            Ipam.autoAddressedServer(n, s, n.projectId(), DHCP_OWNER, NetworkEntity::randomMac), now()));
      }
      Attachment a = Ipam.attach(n, dhcpPortId(subnetId), n.projectId(), DHCP_OWNER, Optional.empty(),
          Optional.of(List.of(new IpRequest(Optional.of(subnetId), Optional.empty()))), NetworkEntity::randomMac);
      return Optional.of(new PortAttached(dhcpPortId(subnetId), a, now()));
    } catch (Ipam.Refused full) {
      return Optional.empty();
    }
  }

  private ReplyEffect<Event, State> refuse(Rejection why) {
    return Effect().persist(new NetworkRefused(why.message(), now())).thenRun(next -> {
      waitingCreate.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
      waitingCreate.clear();
      changed(next);
    }).thenNoReply();
  }

  /** Persists {@code event}, answers a waiting create once the network is usable, and drives on. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Active a && !waitingCreate.isEmpty()) {
        waitingCreate.forEach(to -> to.tell(StatusReply.success(a.network())));
        waitingCreate.clear();
      }
      changed(next);
    }).thenNoReply();
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.networkNotFound(networkId);
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return (state, event) -> next(state, event);
  }

  /** The phase an event leads to; shared with the read side, which replays the same events. */
  public static State next(State before, Event event) {
    if (event instanceof NetworkRequested e) return phaseOf(e.network());
    if (!(before instanceof Existing existing)) throw new IllegalStateException("event before creation: " + event);
    return phaseOf(existing.network().after(event));
  }

  private static State phaseOf(Network n) {
    return switch (n.phase()) {
      case CREATING -> new Creating(n);
      case ACTIVE -> new Active(n);
      case RELEASING -> new Releasing(n);
      case GONE -> new Gone(n);
    };
  }

  /** Tests kill the process just before a chosen event is written ({@link FaultInjection}). */
  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }

  /** Addresses handed out are not part of what the read side lists. */
  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof PortAttached || event instanceof PortDetached || event instanceof PortPlaced
        ? Set.of() : Set.of(TAG);
  }
}
