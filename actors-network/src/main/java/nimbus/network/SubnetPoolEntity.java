package nimbus.network;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One Neutron subnet pool, keyed by its UUID: the single writer of the CIDRs its subnets take, so
 * no two subnets of a pool ever overlap, however many are created at once. A subnet's network
 * takes its CIDR as a persisted step of the subnet's creation ({@link Allocate}, idempotent by
 * subnet) and gives it back when the subnet is deleted or refused ({@link Release}). A pool whose
 * CIDRs are in use cannot be deleted (409 SubnetPoolInUse).
 */
public final class SubnetPoolEntity extends EventSourcedBehaviorWithEnforcedReplies<
    SubnetPoolEntity.Command, SubnetPoolEntity.Event, SubnetPoolEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SubnetPool");
  public static final String TAG = "subnetpool";

  // ---------------------------------------------------------------- commands

  /** Messages a subnet pool understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the pool ({@link SubnetPool#checked}); the same create again gets the same pool. */
  public record Create(SubnetPool pool, ActorRef<StatusReply<SubnetPool>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<SubnetPool>> replyTo) implements Command {}

  public record Update(SubnetPool.Changes changes, ActorRef<StatusReply<SubnetPool>> replyTo) implements Command {}

  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A CIDR for subnet {@code subnetId}: {@code cidr} itself, or a free block of {@code prefixlen}. */
  public record Allocate(String subnetId, Optional<String> cidr, Optional<Integer> prefixlen,
      ActorRef<StatusReply<String>> replyTo) implements Command {}

  /** Subnet {@code subnetId}'s CIDR goes back to the pool; answered also when it held none. */
  public record Release(String subnetId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a pool's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record PoolCreated(SubnetPool pool, Instant at) implements Event {}

  public record PoolUpdated(SubnetPool pool, Instant at) implements Event {}

  public record PoolDeleted(Instant at) implements Event {}

  public record CidrAllocated(String subnetId, String cidr, Instant at) implements Event {}

  public record CidrReleased(String subnetId, Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A pool's phases. */
  public sealed interface State extends CborSerializable {}

  public record NoPool() implements State {}

  public record Active(SubnetPool pool) implements State {}

  public record Deleted(SubnetPool pool) implements State {}

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String poolId, Clock clock) {
    return new SubnetPoolEntity(poolId, clock);
  }

  private final String poolId;
  private final Clock clock;

  private SubnetPoolEntity(String poolId, Clock clock) {
    super(PersistenceId.of(TYPE_KEY.name(), poolId), Entities.JOURNAL_BACKOFF);
    this.poolId = poolId;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return new NoPool();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoPool.class)
        .onCommand(Create.class, (s, c) -> c.pool().id().equals(poolId)
            ? Effect().persist(new PoolCreated(c.pool(), now())).thenReply(c.replyTo(), n -> StatusReply.success(pool(n)))
            : Effect().reply(c.replyTo(), Rejection.invalid("subnet pool id does not match its entity")));
    b.forStateType(Active.class)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            s.pool().projectId().equals(c.pool().projectId()) && s.pool().name().equals(c.pool().name())
                ? StatusReply.success(s.pool()) : Rejection.conflict("Subnet pool " + poolId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.pool())))
        .onCommand(Update.class, this::update)
        .onCommand(Delete.class, (s, c) -> s.pool().allocations().isEmpty()
            ? Effect().persist(new PoolDeleted(now())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "SubnetPoolInUse",
                "Unable to complete operation on subnet pool " + poolId + ". "
                    + "Subnets are still allocated from it: " + String.join(",", new java.util.TreeSet<>(
                        s.pool().allocations().keySet())) + ".")))
        .onCommand(Allocate.class, this::allocate)
        .onCommand(Release.class, (s, c) -> s.pool().allocations().containsKey(c.subnetId())
            ? Effect().persist(new CidrReleased(c.subnetId(), now())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()));
    b.forAnyState()
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Subnet pool " + poolId + " already exists.")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Allocate.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    return b.build();
  }

  private ReplyEffect<Event, State> update(Active s, Update c) {
    SubnetPool next;
    try {
      next = s.pool().changed(c.changes(), now());
    } catch (SubnetPool.Refused refused) {
      return Effect().reply(c.replyTo(), Rejection.of(refused.rejection.kind(), refused.rejection.message()));
    }
    return Effect().persist(new PoolUpdated(next, now())).thenReply(c.replyTo(), n -> StatusReply.success(pool(n)));
  }

  private ReplyEffect<Event, State> allocate(Active s, Allocate c) {
    String cidr;
    try {
      cidr = s.pool().allocate(c.subnetId(), c.cidr(), c.prefixlen());
    } catch (SubnetPool.Refused refused) {
      return Effect().reply(c.replyTo(), Rejection.of(refused.rejection.kind(), refused.rejection.message()));
    } catch (IllegalArgumentException bad) {
      return Effect().reply(c.replyTo(), NetworkRefusal.invalid(bad.getMessage()));
    }
    if (s.pool().allocations().containsKey(c.subnetId())) return Effect().reply(c.replyTo(), StatusReply.success(cidr));
    return Effect().persist(new CidrAllocated(c.subnetId(), cidr, now()))
        .thenReply(c.replyTo(), n -> StatusReply.success(cidr));
  }

  private static SubnetPool pool(State s) {
    return s instanceof Active a ? a.pool() : ((Deleted) s).pool();
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "SubnetPoolNotFound", "Subnet pool " + poolId
        + " could not be found.");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return SubnetPoolEntity::next;
  }

  /** The phase an event leads to; shared with the read side. */
  public static State next(State before, Event event) {
    if (event instanceof PoolCreated e) return new Active(e.pool());
    SubnetPool p = before instanceof Active a ? a.pool() : before instanceof Deleted d ? d.pool() : null;
    if (p == null) throw new IllegalStateException("event before creation: " + event);
    SubnetPool after = p.after(event);
    return after.deleted() ? new Deleted(after) : new Active(after);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
