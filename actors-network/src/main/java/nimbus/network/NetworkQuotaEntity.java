package nimbus.network;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * One project's Neutron quota: its limits per resource kind and the ids of what it holds. A
 * single writer per project, so concurrent creates never together pass a limit; holding and
 * giving back are idempotent by the resource's id.
 */
public final class NetworkQuotaEntity extends EventSourcedBehaviorWithEnforcedReplies<
    NetworkQuotaEntity.Command, NetworkQuotaEntity.Event, NetworkQuotaEntity.Quota> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "NetworkQuota");

  /** Messages a project's network quota understands. */
  public sealed interface Command extends CborSerializable {}

  /** Holds one {@code kind} for resource {@code id}, unless the limit is reached (409 OverQuota). */
  public record Reserve(String kind, String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Gives back what these resources hold, answered once done. */
  public record Release(List<String> ids, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Sets limits (-1: unlimited); kinds not named keep theirs. */
  public record SetLimits(Map<String, Integer> limits, ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Back to the cloud's defaults. */
  public record ResetLimits(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Facts about a project's network quota. */
  public sealed interface Event extends CborSerializable {}

  public record Reserved(String kind, String id) implements Event {}

  public record Released(List<String> ids) implements Event {}

  public record LimitsSet(Map<String, Integer> limits) implements Event {}

  public record LimitsReset() implements Event {}

  /** The limits an admin set over the defaults, and the ids held per kind. */
  public record Quota(Map<String, Integer> limits, Map<String, Integer> defaults, Map<String, Set<String>> held)
      implements CborSerializable {

    public int limit(String kind) {
      return limits.getOrDefault(kind, defaults.getOrDefault(kind, -1));
    }

    public int used(String kind) {
      return held.getOrDefault(kind, Set.of()).size();
    }

    /** Every kind with its limit. */
    public Map<String, Integer> effective() {
      Map<String, Integer> all = new HashMap<>(defaults);
      all.putAll(limits);
      return Map.copyOf(all);
    }
  }

  /** The project's quota; a change of its limits, once persisted, is told to {@code changed} (the events API's {@code quota}). */
  public static Behavior<Command> create(String projectId, Map<String, Integer> defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    return new NetworkQuotaEntity(projectId, defaults, changed);
  }

  private final String projectId;
  private final Map<String, Integer> defaults;
  private final java.util.function.Consumer<nimbus.cluster.ResourceChange> changed;

  private NetworkQuotaEntity(String projectId, Map<String, Integer> defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.projectId = projectId;
    this.defaults = Map.copyOf(defaults);
    this.changed = changed;
  }

  private void tell() {
    changed.accept(nimbus.cluster.ResourceChange.owned("quota", projectId, projectId, false));
  }

  @Override
  public Quota emptyState() {
    return new Quota(Map.of(), defaults, Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Quota> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Reserve.class, this::reserve)
        .onCommand(Release.class, (q, c) -> q.held().values().stream().anyMatch(ids -> c.ids().stream().anyMatch(ids::contains))
            ? Effect().persist(new Released(List.copyOf(c.ids()))).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(SetLimits.class, (q, c) -> Effect().persist(new LimitsSet(Map.copyOf(c.limits()))).thenRun(n -> tell())
            .thenReply(c.replyTo(), StatusReply::success))
        .onCommand(ResetLimits.class, (q, c) -> Effect().persist(new LimitsReset()).thenRun(n -> tell())
            .thenReply(c.replyTo(), StatusReply::success))
        .onCommand(Get.class, (q, c) -> Effect().reply(c.replyTo(), StatusReply.success(q)))
        .build();
  }

  private ReplyEffect<Event, Quota> reserve(Quota q, Reserve c) {
    if (q.held().getOrDefault(c.kind(), Set.of()).contains(c.id())) return Effect().reply(c.replyTo(), StatusReply.ack());
    int limit = q.limit(c.kind());
    if (limit >= 0 && q.used(c.kind()) + 1 > limit) {
      return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "OverQuota",
          "Quota exceeded for resources: ['" + c.kind() + "']."));
    }
    return Effect().persist(new Reserved(c.kind(), c.id())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  @Override
  public EventHandler<Quota, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Reserved.class, (q, e) -> {
          Map<String, Set<String>> held = copy(q.held());
          held.computeIfAbsent(e.kind(), k -> new HashSet<>()).add(e.id());
          return new Quota(q.limits(), defaults, freeze(held));
        })
        .onEvent(Released.class, (q, e) -> {
          Map<String, Set<String>> held = copy(q.held());
          held.values().forEach(ids -> e.ids().forEach(ids::remove));
          return new Quota(q.limits(), defaults, freeze(held));
        })
        .onEvent(LimitsSet.class, (q, e) -> {
          Map<String, Integer> limits = new HashMap<>(q.limits());
          limits.putAll(e.limits());
          return new Quota(Map.copyOf(limits), defaults, q.held());
        })
        .onEvent(LimitsReset.class, (q, e) -> new Quota(Map.of(), defaults, q.held()))
        .build();
  }

  private static Map<String, Set<String>> copy(Map<String, Set<String>> held) {
    Map<String, Set<String>> out = new HashMap<>();
    held.forEach((k, v) -> out.put(k, new HashSet<>(v)));
    return out;
  }

  private static Map<String, Set<String>> freeze(Map<String, Set<String>> held) {
    Map<String, Set<String>> out = new HashMap<>();
    held.forEach((k, v) -> out.put(k, Set.copyOf(v)));
    return Map.copyOf(out);
  }
}
