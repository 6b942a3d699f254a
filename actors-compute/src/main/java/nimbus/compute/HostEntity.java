package nimbus.compute;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
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
 * One hypervisor host: its inventory and the capacity claimed on it, by server id. It is the
 * single writer of that capacity, so two servers can never claim the same room.
 */
public final class HostEntity
    extends EventSourcedBehaviorWithEnforcedReplies<HostEntity.Command, HostEntity.Event, HostEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Host");
  public static final String TAG = "host";

  /** Messages a host understands. */
  public sealed interface Command extends CborSerializable {}

  /** The agent's report of what the host offers, sent with every heartbeat. */
  public record ReportInventory(HostInventory inventory) implements Command {}

  /**
   * Claim {@code resources} for a server; claiming the same again is a no-op, and claiming other
   * resources for a server that holds some changes what it holds (resize).
   */
  public record Claim(String serverId, Resources resources, Optional<Placement> placement,
      ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Release(String serverId) implements Command {}

  /** {@link Release}, answered once done (a deleted server's release step waits for it). */
  public record ReleaseConfirmed(String serverId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetAllocations(ActorRef<StatusReply<Allocations>> replyTo) implements Command {}

  /** The servers that hold capacity on a host. */
  public record Allocations(List<String> serverIds) implements CborSerializable {}

  /** Facts about a host. */
  public sealed interface Event extends CborSerializable {}

  public record InventoryReported(HostInventory inventory) implements Event {}

  public record CapacityClaimed(String serverId, Resources resources, Optional<String> group) implements Event {}

  public record CapacityReleased(String serverId) implements Event {}

  /** A host's phases. */
  public sealed interface State extends CborSerializable {}

  /** No agent has reported yet: nothing can be claimed. */
  public record Unregistered() implements State {}

  /**
   * Reporting: its inventory and, by server id, what each server holds ({@code used} is their
   * sum) and the server group it is in.
   */
  public record Registered(HostInventory inventory, Map<String, Resources> allocations, Resources used,
      Map<String, String> groups) implements State {

    Optional<String> shortfall(Resources need) {
      Resources free = inventory.capacity().minus(used);
      if (need.ramMb() > free.ramMb()) return Optional.of("RAM: " + free.ramMb() + " MiB free");
      if (need.vcpus() > free.vcpus()) return Optional.of("vCPUs: " + free.vcpus() + " free");
      if (need.diskGb() > free.diskGb()) return Optional.of("disk: " + free.diskGb() + " GiB free");
      return Optional.empty();
    }

    // The allocations map is changed in place, by the event handler only: copying it for every
    // claim made each claim cost as much as the host's whole allocation list.
    Registered claimed(String serverId, Resources resources, Optional<String> group) {
      Resources before = allocations.put(serverId, resources);
      group.ifPresent(g -> groups.put(serverId, g));
      return new Registered(inventory, allocations, used.plus(resources).minus(before == null ? Resources.NONE : before),
          groups);
    }

    Registered released(String serverId) {
      Resources freed = allocations.remove(serverId);
      groups.remove(serverId);
      return new Registered(inventory, allocations, freed == null ? used : used.minus(freed), groups);
    }

    /** Whether another server of this anti-affinity group is here already. */
    boolean holdsOtherMemberOf(String group, String serverId) {
      return groups.entrySet().stream().anyMatch(e -> e.getValue().equals(group) && !e.getKey().equals(serverId));
    }
  }

  public static Behavior<Command> create(String host, Consumer<HostSummary> publisher) {
    return create(host, publisher, change -> {});
  }

  /**
   * The host; each persisted change (its inventory, a claim or release of capacity) is also told
   * to {@code changed} (the events API's {@code hypervisor}, for the cloud's admin).
   */
  public static Behavior<Command> create(String host, Consumer<HostSummary> publisher,
      Consumer<nimbus.cluster.ResourceChange> changed) {
    return new HostEntity(host, publisher, changed);
  }

  private final String host;
  private final Consumer<HostSummary> publisher;
  private final Consumer<nimbus.cluster.ResourceChange> changed;

  private HostEntity(String host, Consumer<HostSummary> publisher, Consumer<nimbus.cluster.ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), host), Entities.JOURNAL_BACKOFF);
    this.host = host;
    this.publisher = publisher;
    this.changed = changed;
  }

  /** After a persisted change: the summary for placement, and the change for live views. */
  private void persisted(State state) {
    publish(state);
    changed.accept(nimbus.cluster.ResourceChange.adminOnly("hypervisor", host, false));
  }

  @Override
  public State emptyState() {
    return new Unregistered();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Unregistered.class)
        .onCommand(Claim.class, (s, c) ->
            Effect().reply(c.replyTo(), Rejection.conflict("Host " + host + " has not reported its inventory")))
        .onCommand(GetAllocations.class, (s, c) ->
            Effect().reply(c.replyTo(), StatusReply.success(new Allocations(List.of()))))
        .onCommand(Release.class, (s, c) -> Effect().noReply())
        .onCommand(ReleaseConfirmed.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    builder.forStateType(Registered.class)
        .onCommand(Claim.class, this::claim)
        .onCommand(Release.class, (s, c) -> s.allocations().containsKey(c.serverId())
            ? Effect().persist(new CapacityReleased(c.serverId())).thenRun(this::persisted).thenNoReply()
            : Effect().noReply())
        .onCommand(ReleaseConfirmed.class, (s, c) -> s.allocations().containsKey(c.serverId())
            ? Effect().persist(new CapacityReleased(c.serverId())).thenRun(this::persisted)
                .thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(GetAllocations.class, (s, c) -> Effect().reply(c.replyTo(),
            StatusReply.success(new Allocations(List.copyOf(s.allocations().keySet())))));
    builder.forAnyState()
        .onCommand(ReportInventory.class, this::reportInventory);
    return builder.build();
  }

  private ReplyEffect<Event, State> claim(Registered state, Claim cmd) {
    Resources held = state.allocations().get(cmd.serverId());
    if (cmd.resources().equals(held)) return Effect().reply(cmd.replyTo(), StatusReply.ack());
    Resources need = held == null ? cmd.resources() : held.growthTo(cmd.resources());
    Optional<String> shortfall = state.shortfall(need);
    Optional<Placement> apart = cmd.placement().filter(Placement::apart);
    if (apart.isPresent() && state.holdsOtherMemberOf(apart.get().groupId(), cmd.serverId())) {
      return Effect().reply(cmd.replyTo(), Rejection.conflict("Host " + host
          + " holds another member of anti-affinity server group " + apart.get().groupId()));
    }
    if (shortfall.isPresent()) {
      return Effect().reply(cmd.replyTo(),
          Rejection.conflict("Host " + host + " has too little " + shortfall.get()));
    }
    return Effect().persist(new CapacityClaimed(cmd.serverId(), cmd.resources(), cmd.placement().map(Placement::groupId)))
        .thenRun(this::persisted)
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> reportInventory(State state, ReportInventory cmd) {
    boolean changed = !(state instanceof Registered r) || !r.inventory().equals(cmd.inventory());
    if (changed) {
      return Effect().persist(new InventoryReported(cmd.inventory())).thenRun(this::persisted).thenNoReply();
    }
    publish(state);
    return Effect().noReply();
  }

  private void publish(State state) {
    if (state instanceof Registered r) {
      publisher.accept(new HostSummary(host, r.inventory(), r.used(), r.allocations().size(),
          java.util.Set.copyOf(r.groups().values())));
    }
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forAnyState().onEvent(InventoryReported.class, (s, e) -> s instanceof Registered r
        ? new Registered(e.inventory(), r.allocations(), r.used(), r.groups())
        : new Registered(e.inventory(), new HashMap<>(), Resources.NONE, new HashMap<>()));
    builder.forStateType(Registered.class)
        .onEvent(CapacityClaimed.class, (s, e) -> s.claimed(e.serverId(), e.resources(), e.group()))
        .onEvent(CapacityReleased.class, (s, e) -> s.released(e.serverId()));
    return builder.build();
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(TAG);
  }
}
