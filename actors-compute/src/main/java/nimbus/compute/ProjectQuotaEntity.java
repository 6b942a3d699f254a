package nimbus.compute;

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
 * One project's compute quota: its limits and what its servers hold, by server id. Like a
 * host's capacity, it has a single writer, so concurrent creates can never together pass the
 * limit; a reservation for a server id is idempotent and is released when the server is deleted.
 */
public final class ProjectQuotaEntity extends EventSourcedBehaviorWithEnforcedReplies<
    ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ProjectQuota");

  /** How many servers, vCPUs and MiB of RAM a project may hold. */
  public record Limits(int instances, int cores, int ramMb) implements CborSerializable {}

  /** Messages a project's quota understands. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Reserve room for these servers (all or none). A server that holds room already is resized:
   * only its growth is checked against the limits.
   */
  public record Reserve(Map<String, Resources> servers, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Gives back what these servers hold, answered once done (a create's undo, a delete's release). */
  public record ReleaseConfirmed(List<String> serverIds, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** What a server holds is now {@code resources} (a resize ended); never refused, answered once done. */
  public record Adjust(String serverId, Resources resources, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SetLimits(Limits limits, ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Back to the cloud's defaults (Nova's quota set delete): the limits an admin set are gone. */
  public record ClearLimits(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Quota>> replyTo) implements Command {}

  /** Facts about a project's quota. */
  public sealed interface Event extends CborSerializable {}

  public record Reserved(Map<String, Resources> servers) implements Event {}

  public record Released(List<String> serverIds) implements Event {}

  public record LimitsSet(Limits limits) implements Event {}

  public record LimitsCleared() implements Event {}

  /** The limits an admin set (empty: the cloud's defaults), the defaults, and what is held. */
  public record Quota(Optional<Limits> limits, Limits defaults, Map<String, Resources> held)
      implements CborSerializable {

    public Limits effective() {
      return limits.orElse(defaults);
    }

    public int instancesUsed() {
      return held.size();
    }

    public Resources used() {
      return held.values().stream().reduce(Resources.NONE, Resources::plus);
    }
  }

  public static Behavior<Command> create(String projectId, Limits defaults) {
    return create(projectId, defaults, change -> {});
  }

  /** The project's quota; a change of its limits, once persisted, is told to {@code changed} (the events API's {@code quota}). */
  public static Behavior<Command> create(String projectId, Limits defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    return new ProjectQuotaEntity(projectId, defaults, changed);
  }

  private final String projectId;
  private final Limits defaults;
  private final java.util.function.Consumer<nimbus.cluster.ResourceChange> changed;

  private ProjectQuotaEntity(String projectId, Limits defaults,
      java.util.function.Consumer<nimbus.cluster.ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.projectId = projectId;
    this.defaults = defaults;
    this.changed = changed;
  }

  private void tell() {
    changed.accept(nimbus.cluster.ResourceChange.owned("quota", projectId, projectId, false));
  }

  @Override
  public Quota emptyState() {
    return new Quota(Optional.empty(), defaults, Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Quota> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Reserve.class, this::reserve)
        .onCommand(ReleaseConfirmed.class, (q, c) -> c.serverIds().stream().anyMatch(q.held()::containsKey)
            ? Effect().persist(new Released(c.serverIds())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Adjust.class, (q, c) -> q.held().containsKey(c.serverId())
                && !q.held().get(c.serverId()).equals(c.resources())
            ? Effect().persist(new Reserved(Map.of(c.serverId(), c.resources()))).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(SetLimits.class, (q, c) -> Effect().persist(new LimitsSet(c.limits())).thenRun(n -> tell())
            .thenReply(c.replyTo(), StatusReply::success))
        .onCommand(ClearLimits.class, (q, c) -> q.limits().isEmpty()
            ? Effect().reply(c.replyTo(), StatusReply.success(q))
            : Effect().persist(new LimitsCleared()).thenRun(n -> tell()).thenReply(c.replyTo(), StatusReply::success))
        .onCommand(Get.class, (q, c) -> Effect().reply(c.replyTo(), StatusReply.success(q)))
        .build();
  }

  private ReplyEffect<Event, Quota> reserve(Quota q, Reserve c) {
    Map<String, Resources> changed = new HashMap<>(c.servers());
    changed.entrySet().removeIf(e -> e.getValue().equals(q.held().get(e.getKey())));
    if (changed.isEmpty()) return Effect().reply(c.replyTo(), StatusReply.ack());
    Limits limits = q.effective();
    int newServers = (int) changed.keySet().stream().filter(id -> !q.held().containsKey(id)).count();
    Resources asked = changed.entrySet().stream()
        .map(e -> q.held().getOrDefault(e.getKey(), Resources.NONE).growthTo(e.getValue()))
        .reduce(Resources.NONE, Resources::plus);
    Resources used = q.used();
    String over = null;
    if (newServers > 0 && q.instancesUsed() + newServers > limits.instances()) {
      over = exceeded("instances", newServers, q.instancesUsed(), limits.instances());
    } else if (asked.vcpus() > 0 && used.vcpus() + asked.vcpus() > limits.cores()) {
      over = exceeded("cores", asked.vcpus(), used.vcpus(), limits.cores());
    } else if (asked.ramMb() > 0 && used.ramMb() + asked.ramMb() > limits.ramMb()) {
      over = exceeded("ram", asked.ramMb(), used.ramMb(), limits.ramMb());
    }
    if (over != null) return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, over));
    return Effect().persist(new Reserved(Map.copyOf(changed))).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  /** Nova's wording. */
  private static String exceeded(String what, int requested, int used, int limit) {
    return "Quota exceeded for " + what + ": Requested " + requested + ", but already used " + used
        + " of " + limit + " " + what;
  }

  @Override
  public EventHandler<Quota, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Reserved.class, (q, e) -> {
          Map<String, Resources> next = new HashMap<>(q.held());
          next.putAll(e.servers());
          return new Quota(q.limits(), defaults, Map.copyOf(next));
        })
        .onEvent(Released.class, (q, e) -> {
          Map<String, Resources> next = new HashMap<>(q.held());
          e.serverIds().forEach(next::remove);
          return new Quota(q.limits(), defaults, Map.copyOf(next));
        })
        .onEvent(LimitsSet.class, (q, e) -> new Quota(Optional.of(e.limits()), defaults, q.held()))
        .onEvent(LimitsCleared.class, (q, e) -> new Quota(Optional.empty(), defaults, q.held()))
        .build();
  }
}
