package nimbus.storage;

import java.util.HashMap;
import java.util.Map;
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
 * One project's block storage quota (Cinder's {@code volumes} and {@code gigabytes}): its limits
 * and the gigabytes each of its volumes holds. A single writer per project, so concurrent creates
 * never together pass a limit; holding and giving back are idempotent by the volume's id.
 */
public final class VolumeQuotaEntity extends EventSourcedBehaviorWithEnforcedReplies<
    VolumeQuotaEntity.Command, VolumeQuotaEntity.Event, VolumeQuotaEntity.Quota> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VolumeQuota");
  public static final String VOLUMES = "volumes";
  public static final String GIGABYTES = "gigabytes";
  /** Cinder's defaults (quota_volumes, quota_gigabytes). */
  public static final Map<String, Integer> DEFAULTS = Map.of(VOLUMES, 10, GIGABYTES, 1000);

  /** Messages a project's volume quota understands. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Holds {@code gigabytes} for the volume in place of what it held (a new volume also counts as
   * one), unless a limit would be passed (413, as Cinder).
   */
  public record Reserve(String volumeId, int gigabytes, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Gives back what the volume holds, answered once done. */
  public record Release(String volumeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Sets limits (-1: unlimited); kinds not named keep theirs. */
  public record SetLimits(Map<String, Integer> limits, ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Facts about a project's volume quota. */
  public sealed interface Event extends CborSerializable {}

  public record Reserved(String volumeId, int gigabytes) implements Event {}

  public record Released(String volumeId) implements Event {}

  public record LimitsSet(Map<String, Integer> limits) implements Event {}

  /** The limits an admin set over the defaults, and the gigabytes held per volume. */
  public record Quota(Map<String, Integer> limits, Map<String, Integer> defaults, Map<String, Integer> held)
      implements CborSerializable {

    public int limit(String kind) {
      return limits.getOrDefault(kind, defaults.getOrDefault(kind, -1));
    }

    /** What is in use of {@code kind}: volumes held, or their gigabytes. */
    public int used(String kind) {
      return kind.equals(VOLUMES) ? held.size() : held.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Every kind with its limit. */
    public Map<String, Integer> effective() {
      Map<String, Integer> all = new HashMap<>(defaults);
      all.putAll(limits);
      return Map.copyOf(all);
    }
  }

  public static Behavior<Command> create(String projectId, Map<String, Integer> defaults) {
    return new VolumeQuotaEntity(projectId, defaults);
  }

  private final Map<String, Integer> defaults;

  private VolumeQuotaEntity(String projectId, Map<String, Integer> defaults) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.defaults = Map.copyOf(defaults);
  }

  @Override
  public Quota emptyState() {
    return new Quota(Map.of(), defaults, Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Quota> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Reserve.class, this::reserve)
        .onCommand(Release.class, (q, c) -> q.held().containsKey(c.volumeId())
            ? Effect().persist(new Released(c.volumeId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(SetLimits.class, (q, c) -> Effect().persist(new LimitsSet(Map.copyOf(c.limits())))
            .thenReply(c.replyTo(), StatusReply::success))
        .onCommand(Get.class, (q, c) -> Effect().reply(c.replyTo(), StatusReply.success(q)))
        .build();
  }

  private ReplyEffect<Event, Quota> reserve(Quota q, Reserve c) {
    Integer before = q.held().get(c.volumeId());
    if (before != null && before == c.gigabytes()) return Effect().reply(c.replyTo(), StatusReply.ack());
    int volumes = q.limit(VOLUMES);
    if (before == null && volumes >= 0 && q.used(VOLUMES) + 1 > volumes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeLimitExceeded: Maximum number of volumes allowed (" + volumes + ") exceeded for quota 'volumes'."));
    }
    int gigabytes = q.limit(GIGABYTES);
    int consumed = q.used(GIGABYTES) - (before == null ? 0 : before);
    // giving some back always passes: a failed extend's quota must come down
    boolean growing = before == null || c.gigabytes() > before;
    if (growing && gigabytes >= 0 && consumed + c.gigabytes() > gigabytes) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
          "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
              + c.gigabytes() + "G, quota is " + gigabytes + "G and " + consumed + "G has been consumed."));
    }
    return Effect().persist(new Reserved(c.volumeId(), c.gigabytes())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  @Override
  public EventHandler<Quota, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Reserved.class, (q, e) -> {
          Map<String, Integer> held = new HashMap<>(q.held());
          held.put(e.volumeId(), e.gigabytes());
          return new Quota(q.limits(), defaults, Map.copyOf(held));
        })
        .onEvent(Released.class, (q, e) -> {
          Map<String, Integer> held = new HashMap<>(q.held());
          held.remove(e.volumeId());
          return new Quota(q.limits(), defaults, Map.copyOf(held));
        })
        .onEvent(LimitsSet.class, (q, e) -> {
          Map<String, Integer> limits = new HashMap<>(q.limits());
          limits.putAll(e.limits());
          return new Quota(Map.copyOf(limits), defaults, q.held());
        })
        .build();
  }
}
