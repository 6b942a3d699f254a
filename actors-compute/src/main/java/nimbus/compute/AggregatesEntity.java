package nimbus.compute;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
 * The cloud's host aggregates (Nova's os-aggregates), one entity for the whole cloud
 * ({@link #CLOUD}): numbered groups of compute hosts with metadata. As in Nova, an aggregate's
 * availability zone is its {@code availability_zone} metadata key, and a host is in at most one
 * zone. A host's zone is also its own configuration (what it reports), so an aggregate only takes
 * a host whose reported zone is the aggregate's: aggregates do not move hosts between zones.
 */
public final class AggregatesEntity extends EventSourcedBehaviorWithEnforcedReplies<
    AggregatesEntity.Command, AggregatesEntity.Event, AggregatesEntity.Aggregates> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Aggregates");
  /** The one entity's id. */
  public static final String CLOUD = "cloud";
  /** The metadata key that is an aggregate's availability zone, as Nova's. */
  public static final String ZONE_KEY = "availability_zone";

  /** A host aggregate; {@code hosts} in the order they were added; adding or removing one is no update of it, as in Nova. */
  public record Aggregate(int id, String name, List<String> hosts, Map<String, String> metadata, Instant createdAt,
      Optional<Instant> updatedAt) implements CborSerializable {

    public Optional<String> availabilityZone() {
      return Optional.ofNullable(metadata.get(ZONE_KEY));
    }
  }

  /** Messages the aggregates understand; {@code hostZones} is each known host's reported zone. */
  public sealed interface Command extends CborSerializable {}

  public record Create(String name, Optional<String> zone, Instant at, ActorRef<StatusReply<Aggregate>> replyTo)
      implements Command {}

  public record Get(int id, ActorRef<StatusReply<Aggregate>> replyTo) implements Command {}

  /** Answers every aggregate (in a record: a reply that crosses nodes keeps its element type). */
  public record ListAll(ActorRef<StatusReply<Aggregates>> replyTo) implements Command {}

  /** Renames and/or sets the zone ({@code metadata} of the zone key only, or empty). */
  public record Update(int id, Optional<String> name, Map<String, String> metadata, List<String> unset,
      Map<String, String> hostZones, Instant at, ActorRef<StatusReply<Aggregate>> replyTo) implements Command {}

  /** Nova's set_metadata: {@code metadata} set, {@code unset} keys removed (the rest kept). */
  public record SetMetadata(int id, Map<String, String> metadata, List<String> unset, Map<String, String> hostZones,
      Instant at, ActorRef<StatusReply<Aggregate>> replyTo) implements Command {}

  public record AddHost(int id, String host, String hostZone, ActorRef<StatusReply<Aggregate>> replyTo)
      implements Command {}

  public record RemoveHost(int id, String host, ActorRef<StatusReply<Aggregate>> replyTo) implements Command {}

  public record Delete(int id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Facts about the aggregates. */
  public sealed interface Event extends CborSerializable {}

  public record Created(Aggregate aggregate) implements Event {}

  public record Renamed(int id, String name, Instant at) implements Event {}

  public record MetadataChanged(int id, Map<String, String> set, List<String> unset, Instant at) implements Event {}

  public record HostAdded(int id, String host) implements Event {}

  public record HostRemoved(int id, String host) implements Event {}

  public record Deleted(int id) implements Event {}

  /** The aggregates by id, and the last id given (ids are never reused, as a database sequence). */
  public record Aggregates(int lastId, Map<Integer, Aggregate> byId) implements CborSerializable {

    Optional<Aggregate> named(String name) {
      return byId.values().stream().filter(a -> a.name().equals(name)).findFirst();
    }
  }

  public static Behavior<Command> create() {
    return new AggregatesEntity();
  }

  private AggregatesEntity() {
    super(PersistenceId.of(TYPE_KEY.name(), CLOUD), Entities.JOURNAL_BACKOFF);
  }

  @Override
  public Aggregates emptyState() {
    return new Aggregates(0, Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Aggregates> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::create)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), found(s, c.id())))
        .onCommand(ListAll.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .onCommand(Update.class, this::update)
        .onCommand(SetMetadata.class, this::setMetadata)
        .onCommand(AddHost.class, this::addHost)
        .onCommand(RemoveHost.class, this::removeHost)
        .onCommand(Delete.class, this::delete)
        .build();
  }

  private ReplyEffect<Event, Aggregates> create(Aggregates s, Create c) {
    if (s.named(c.name()).isPresent()) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Aggregate " + c.name() + " already exists."));
    }
    Aggregate created = new Aggregate(s.lastId() + 1, c.name(), List.of(),
        c.zone().map(z -> Map.of(ZONE_KEY, z)).orElse(Map.of()), c.at(), Optional.empty());
    return Effect().persist(new Created(created)).thenReply(c.replyTo(), n -> StatusReply.success(created));
  }

  private ReplyEffect<Event, Aggregates> update(Aggregates s, Update c) {
    Aggregate a = s.byId().get(c.id());
    if (a == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (c.name().isPresent() && s.named(c.name().get()).filter(o -> o.id() != a.id()).isPresent()) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Aggregate " + c.name().get() + " already exists."));
    }
    Optional<String> refused = zoneRefusal(s, a, c.metadata(), c.unset(), c.hostZones());
    if (refused.isPresent()) {
      return Effect().reply(c.replyTo(),
          Rejection.invalid("Cannot update aggregate " + a.id() + ". Reason: " + refused.get()));
    }
    List<Event> events = new ArrayList<>();
    c.name().ifPresent(n -> events.add(new Renamed(a.id(), n, c.at())));
    if (!c.metadata().isEmpty() || !c.unset().isEmpty()) {
      events.add(new MetadataChanged(a.id(), c.metadata(), c.unset(), c.at()));
    }
    return Effect().persist(events).thenReply(c.replyTo(), n -> StatusReply.success(n.byId().get(a.id())));
  }

  private ReplyEffect<Event, Aggregates> setMetadata(Aggregates s, SetMetadata c) {
    Aggregate a = s.byId().get(c.id());
    if (a == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    Optional<String> refused = zoneRefusal(s, a, c.metadata(), c.unset(), c.hostZones());
    if (refused.isPresent()) {
      return Effect().reply(c.replyTo(),
          Rejection.invalid("Cannot update metadata of aggregate " + a.id() + ". Reason: " + refused.get()));
    }
    return Effect().persist(new MetadataChanged(a.id(), c.metadata(), c.unset(), c.at()))
        .thenReply(c.replyTo(), n -> StatusReply.success(n.byId().get(a.id())));
  }

  private ReplyEffect<Event, Aggregates> addHost(Aggregates s, AddHost c) {
    Aggregate a = s.byId().get(c.id());
    if (a == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (a.hosts().contains(c.host())) {
      return Effect().reply(c.replyTo(),
          Rejection.conflict("Aggregate " + a.id() + " already has host " + c.host() + "."));
    }
    Optional<String> refused = a.availabilityZone()
        .flatMap(zone -> hostRefusal(s, a.id(), c.host(), c.hostZone(), zone));
    if (refused.isPresent()) {
      return Effect().reply(c.replyTo(),
          Rejection.conflict("Cannot add host to aggregate " + a.id() + ". Reason: " + refused.get()));
    }
    return Effect().persist(new HostAdded(a.id(), c.host()))
        .thenReply(c.replyTo(), n -> StatusReply.success(n.byId().get(a.id())));
  }

  private ReplyEffect<Event, Aggregates> removeHost(Aggregates s, RemoveHost c) {
    Aggregate a = s.byId().get(c.id());
    if (a == null || !a.hosts().contains(c.host())) {
      return Effect().reply(c.replyTo(),
          Rejection.notFound("Cannot remove host " + c.host() + " in aggregate " + c.id()));
    }
    return Effect().persist(new HostRemoved(a.id(), c.host()))
        .thenReply(c.replyTo(), n -> StatusReply.success(n.byId().get(a.id())));
  }

  private ReplyEffect<Event, Aggregates> delete(Aggregates s, Delete c) {
    Aggregate a = s.byId().get(c.id());
    if (a == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (!a.hosts().isEmpty()) {
      return Effect().reply(c.replyTo(),
          Rejection.invalid("Cannot remove aggregate " + a.id() + ". Reason: Host aggregate is not empty"));
    }
    return Effect().persist(new Deleted(a.id())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  /** Why the zone a metadata change gives {@code a} cannot be, if it cannot (Nova's checks, then the hosts' own zones). */
  private static Optional<String> zoneRefusal(Aggregates s, Aggregate a, Map<String, String> set, List<String> unset,
      Map<String, String> hostZones) {
    if (unset.contains(ZONE_KEY) && !a.hosts().isEmpty() && a.availabilityZone().isPresent()) {
      return Optional.of("Hosts of this aggregate are in availability zone " + a.availabilityZone().get());
    }
    String zone = set.get(ZONE_KEY);
    if (zone == null) return Optional.empty();
    if (zone.isEmpty()) return Optional.of("Aggregate " + a.name() + " does not support empty named availability zone");
    for (String host : a.hosts()) {
      Optional<String> refused = hostRefusal(s, a.id(), host, hostZones.getOrDefault(host, HostInventory.DEFAULT_ZONE), zone);
      if (refused.isPresent()) return refused;
    }
    return Optional.empty();
  }

  /** Why {@code host} (reporting {@code hostZone}) cannot be in zone {@code zone} through aggregate {@code id}. */
  private static Optional<String> hostRefusal(Aggregates s, int id, String host, String hostZone, String zone) {
    List<String> conflicting = s.byId().values().stream()
        .filter(o -> o.id() != id && o.hosts().contains(host))
        .flatMap(o -> o.availabilityZone().stream()).filter(z -> !z.equals(zone)).toList();
    if (!conflicting.isEmpty()) {
      return Optional.of("One or more hosts already in availability zone(s) " + conflicting);
    }
    if (!hostZone.equals(zone)) {
      return Optional.of("Host " + host + " is in availability zone " + hostZone + " by its own configuration");
    }
    return Optional.empty();
  }

  private static StatusReply<Aggregate> found(Aggregates s, int id) {
    Aggregate a = s.byId().get(id);
    return a == null ? notFound(id) : StatusReply.success(a);
  }

  private static <T> StatusReply<T> notFound(int id) {
    return Rejection.notFound("Aggregate " + id + " could not be found.");
  }

  @Override
  public EventHandler<Aggregates, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(AggregatesEntity::next);
  }

  /** The aggregates after an event. */
  static Aggregates next(Aggregates s, Event event) {
    if (event instanceof Created e) {
      return with(new Aggregates(e.aggregate().id(), s.byId()), e.aggregate());
    }
    if (event instanceof Deleted e) {
      Map<Integer, Aggregate> rest = new TreeMap<>(s.byId());
      rest.remove(e.id());
      return new Aggregates(s.lastId(), rest);
    }
    if (event instanceof Renamed e) {
      Aggregate a = s.byId().get(e.id());
      return with(s, new Aggregate(a.id(), e.name(), a.hosts(), a.metadata(), a.createdAt(), Optional.of(e.at())));
    }
    if (event instanceof MetadataChanged e) {
      Aggregate a = s.byId().get(e.id());
      Map<String, String> metadata = new LinkedHashMap<>(a.metadata());
      e.unset().forEach(metadata::remove);
      metadata.putAll(e.set());
      return with(s, new Aggregate(a.id(), a.name(), a.hosts(), Map.copyOf(metadata), a.createdAt(), Optional.of(e.at())));
    }
    if (event instanceof HostAdded e) {
      Aggregate a = s.byId().get(e.id());
      List<String> hosts = new ArrayList<>(a.hosts());
      hosts.add(e.host());
      return with(s, new Aggregate(a.id(), a.name(), List.copyOf(hosts), a.metadata(), a.createdAt(), a.updatedAt()));
    }
    HostRemoved e = (HostRemoved) event;
    Aggregate a = s.byId().get(e.id());
    List<String> hosts = new ArrayList<>(a.hosts());
    hosts.remove(e.host());
    return with(s, new Aggregate(a.id(), a.name(), List.copyOf(hosts), a.metadata(), a.createdAt(), a.updatedAt()));
  }

  private static Aggregates with(Aggregates s, Aggregate a) {
    Map<Integer, Aggregate> next = new TreeMap<>(s.byId());
    next.put(a.id(), a);
    return new Aggregates(s.lastId(), next);
  }
}
