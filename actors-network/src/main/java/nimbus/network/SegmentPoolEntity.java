package nimbus.network;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * The segmentation ids of one pool (all VNIs; the VLAN ids of one physical network; the one
 * untagged segment of a flat physical network), keyed by the pool's name ({@link Segment#pool}).
 * One writer per pool, so no id ever goes to two networks; allocation is idempotent by network.
 * Tenant networks get the lowest free id of the configured ranges; an admin may name any valid id.
 */
public final class SegmentPoolEntity extends EventSourcedBehaviorWithEnforcedReplies<
    SegmentPoolEntity.Command, SegmentPoolEntity.Event, SegmentPoolEntity.Pool> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SegmentPool");

  /** Ids tenant networks are given, both ends included. */
  public record Range(int first, int last) implements CborSerializable {}

  /** Messages a pool understands. */
  public sealed interface Command extends CborSerializable {}

  public record Allocate(String networkId, Optional<Integer> wanted, ActorRef<StatusReply<Integer>> replyTo)
      implements Command {}

  public record Release(String networkId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Facts about a pool. */
  public sealed interface Event extends CborSerializable {}

  public record Allocated(String networkId, int segmentationId) implements Event {}

  public record Released(String networkId) implements Event {}

  /** Which network holds which id. */
  public record Pool(Map<String, Integer> byNetwork) implements CborSerializable {}

  /**
   * {@code ranges}: what tenant networks get (none: only named ids, as for provider networks);
   * {@code max}: the largest valid id of the type.
   */
  public static Behavior<Command> create(String pool, List<Range> ranges, long max) {
    return new SegmentPoolEntity(pool, ranges, max);
  }

  private final String pool;
  private final List<Range> ranges;
  private final long max;

  private SegmentPoolEntity(String pool, List<Range> ranges, long max) {
    super(PersistenceId.of(TYPE_KEY.name(), pool), Entities.JOURNAL_BACKOFF);
    this.pool = pool;
    this.ranges = List.copyOf(ranges);
    this.max = max;
  }

  @Override
  public Pool emptyState() {
    return new Pool(Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Pool> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Allocate.class, this::allocate)
        .onCommand(Release.class, (p, c) -> p.byNetwork().containsKey(c.networkId())
            ? Effect().persist(new Released(c.networkId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .build();
  }

  private ReplyEffect<Event, Pool> allocate(Pool p, Allocate c) {
    Integer held = p.byNetwork().get(c.networkId());
    if (held != null) return Effect().reply(c.replyTo(), StatusReply.success(held));
    Optional<Integer> id = c.wanted().isPresent() ? wanted(p, c.wanted().get()) : free(p);
    if (id.isEmpty()) return Effect().reply(c.replyTo(), refusal(c.wanted()));
    return Effect().persist(new Allocated(c.networkId(), id.get()))
        .thenReply(c.replyTo(), n -> StatusReply.success(id.get()));
  }

  private Optional<Integer> wanted(Pool p, int id) {
    boolean valid = pool.startsWith("flat:") ? id == 0 : id >= 1 && id <= max;
    return valid && !p.byNetwork().containsValue(id) ? Optional.of(id) : Optional.empty();
  }

  private Optional<Integer> free(Pool p) {
    var used = new java.util.HashSet<>(p.byNetwork().values());
    for (Range r : ranges) {
      for (int id = r.first(); id <= r.last(); id++) if (!used.contains(id)) return Optional.of(id);
    }
    return Optional.empty();
  }

  /** Neutron's refusals: a named id in use (409), or no id left for a tenant network (503). */
  private <T> StatusReply<T> refusal(Optional<Integer> wanted) {
    String physnet = pool.contains(":") ? pool.substring(pool.indexOf(':') + 1) : "";
    if (pool.startsWith("flat:")) {
      return ranges.isEmpty()
          ? NetworkRefusal.invalid("physical_network '" + physnet + "' unknown for flat provider network")
          : NetworkRefusal.of(Rejection.Kind.CONFLICT, "FlatNetworkInUse",
              "Unable to create the flat network. Physical network " + physnet + " is in use.");
    }
    if (wanted.isPresent()) {
      if (wanted.get() < 1 || wanted.get() > max) {
        return NetworkRefusal.invalid("segmentation_id " + wanted.get() + " out of range (1 through " + max + ")");
      }
      return pool.startsWith("vlan:")
          ? NetworkRefusal.of(Rejection.Kind.CONFLICT, "VlanIdInUse", "Unable to create the network. The VLAN "
              + wanted.get() + " on physical network " + physnet + " is in use.")
          : NetworkRefusal.of(Rejection.Kind.CONFLICT, "TunnelIdInUse", "Unable to create the network. The tunnel ID "
              + wanted.get() + " is in use.");
    }
    return NetworkRefusal.of(Rejection.Kind.UNAVAILABLE, "NoNetworkAvailable",
        "Unable to create the network. No tenant network is available for allocation.");
  }

  @Override
  public EventHandler<Pool, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Allocated.class, (p, e) -> {
          Map<String, Integer> next = new HashMap<>(p.byNetwork());
          next.put(e.networkId(), e.segmentationId());
          return new Pool(Map.copyOf(next));
        })
        .onEvent(Released.class, (p, e) -> {
          Map<String, Integer> next = new HashMap<>(p.byNetwork());
          next.remove(e.networkId());
          return new Pool(Map.copyOf(next));
        })
        .build();
  }
}
