package nimbus.compute;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import nimbus.cluster.ResourceChange;
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
 * The cloud's flavors: the built-in ones ({@link Flavor#DEFAULTS}) and those admins create,
 * public or private to the projects given access, with their extra specs. One entity holds the
 * whole catalog: it is small, and ids and names must stay unique. Each change, once persisted,
 * is told to {@code changed} (the events API's {@code flavor}: to everyone for a public flavor, to
 * the projects that had or have access to a private one).
 */
public final class FlavorCatalogEntity extends EventSourcedBehaviorWithEnforcedReplies<
    FlavorCatalogEntity.Command, FlavorCatalogEntity.Event, FlavorCatalogEntity.Catalog> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Flavors");
  public static final String ENTITY_ID = "flavors";

  /** A flavor with who may use it and its extra specs. */
  public record Entry(Flavor flavor, boolean isPublic, Set<String> projects, Map<String, String> extraSpecs)
      implements CborSerializable {

    public boolean usableBy(String projectId) {
      return isPublic || projects.contains(projectId);
    }
  }

  /** Messages the flavor catalog understands. */
  public sealed interface Command extends CborSerializable {}

  public record Create(Entry entry, ActorRef<StatusReply<Entry>> replyTo) implements Command {}

  public record Delete(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Gives ({@code grant}) or takes away a project's access to a private flavor. */
  public record Access(String id, String projectId, boolean grant, ActorRef<StatusReply<Entry>> replyTo)
      implements Command {}

  public record SetExtraSpecs(String id, Map<String, String> specs, ActorRef<StatusReply<Entry>> replyTo)
      implements Command {}

  /** Removes one extra spec of a flavor (Nova's 404 when it has none of that key). */
  public record UnsetExtraSpec(String id, String key, ActorRef<StatusReply<Entry>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Catalog>> replyTo) implements Command {}

  /** Facts about flavors. */
  public sealed interface Event extends CborSerializable {}

  public record FlavorSaved(Entry entry) implements Event {}

  public record FlavorDeleted(String id) implements Event {}

  /** All flavors, by id. */
  public record Catalog(Map<String, Entry> byId) implements CborSerializable {

    public List<Entry> sorted() {
      return byId.values().stream().sorted(Comparator.comparing((Entry e) -> e.flavor().ramMb())
          .thenComparing(e -> e.flavor().id())).toList();
    }
  }

  private final Consumer<ResourceChange> changed;

  public static Behavior<Command> create(Consumer<ResourceChange> changed) {
    return new FlavorCatalogEntity(changed);
  }

  private FlavorCatalogEntity(Consumer<ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), ENTITY_ID), Entities.JOURNAL_BACKOFF);
    this.changed = changed;
  }

  /** Persists a flavor's new entry and tells who could see it before or sees it now. */
  private ReplyEffect<Event, Catalog> save(Catalog s, Entry next, ActorRef<StatusReply<Entry>> replyTo) {
    Entry before = s.byId().get(next.flavor().id());
    return Effect().persist(new FlavorSaved(next)).thenRun(n -> tell(before, next, false))
        .thenReply(replyTo, n -> StatusReply.success(next));
  }

  private void tell(Entry before, Entry after, boolean deleted) {
    Set<String> projects = new HashSet<>(after.projects());
    if (before != null) projects.addAll(before.projects());
    boolean everyone = after.isPublic() || (before != null && before.isPublic());
    changed.accept(new ResourceChange("flavor", after.flavor().id(), "", everyone, List.copyOf(projects), deleted));
  }

  @Override
  public Catalog emptyState() {
    Map<String, Entry> defaults = new HashMap<>();
    Flavor.DEFAULTS.forEach(f -> defaults.put(f.id(), new Entry(f, true, Set.of(), Map.of())));
    return new Catalog(Map.copyOf(defaults));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Catalog> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::create)
        .onCommand(Delete.class, (s, c) -> s.byId().containsKey(c.id())
            ? Effect().persist(new FlavorDeleted(c.id())).thenRun(n -> tell(s.byId().get(c.id()), s.byId().get(c.id()), true))
                .thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), notFound(c.id())))
        .onCommand(Access.class, this::access)
        .onCommand(SetExtraSpecs.class, (s, c) -> {
          Entry e = s.byId().get(c.id());
          if (e == null) return Effect().reply(c.replyTo(), notFound(c.id()));
          Map<String, String> specs = new HashMap<>(e.extraSpecs());
          specs.putAll(c.specs());
          return save(s, new Entry(e.flavor(), e.isPublic(), e.projects(), Map.copyOf(specs)), c.replyTo());
        })
        .onCommand(UnsetExtraSpec.class, this::unsetExtraSpec)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  private ReplyEffect<Event, Catalog> create(Catalog s, Create c) {
    Flavor f = c.entry().flavor();
    if (s.byId().containsKey(f.id())) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Flavor with ID " + f.id() + " already exists."));
    }
    if (s.byId().values().stream().anyMatch(e -> e.flavor().name().equals(f.name()))) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Flavor with name " + f.name() + " already exists."));
    }
    return save(s, c.entry(), c.replyTo());
  }

  private ReplyEffect<Event, Catalog> unsetExtraSpec(Catalog s, UnsetExtraSpec c) {
    Entry e = s.byId().get(c.id());
    if (e == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (!e.extraSpecs().containsKey(c.key())) {
      return Effect().reply(c.replyTo(), Rejection.notFound(noSuchSpec(c.id(), c.key())));
    }
    Map<String, String> specs = new HashMap<>(e.extraSpecs());
    specs.remove(c.key());
    return save(s, new Entry(e.flavor(), e.isPublic(), e.projects(), Map.copyOf(specs)), c.replyTo());
  }

  /** Nova's words for an extra spec a flavor does not have. */
  public static String noSuchSpec(String flavorId, String key) {
    return "Flavor " + flavorId + " has no extra specs with key " + key + ".";
  }

  private ReplyEffect<Event, Catalog> access(Catalog s, Access c) {
    Entry e = s.byId().get(c.id());
    if (e == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (e.isPublic()) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Can not add access to a public flavor."));
    }
    Set<String> projects = new HashSet<>(e.projects());
    boolean changed = c.grant() ? projects.add(c.projectId()) : projects.remove(c.projectId());
    if (!changed) {
      return c.grant()
          ? Effect().reply(c.replyTo(), Rejection.conflict("Flavor access already exists for flavor " + c.id()
              + " and project " + c.projectId() + " combination."))
          : Effect().reply(c.replyTo(), Rejection.notFound("Flavor access not found for " + c.id() + " / "
              + c.projectId() + " combination."));
    }
    return save(s, new Entry(e.flavor(), false, Set.copyOf(projects), e.extraSpecs()), c.replyTo());
  }

  private static <T> StatusReply<T> notFound(String id) {
    return Rejection.notFound("Flavor " + id + " could not be found.");
  }

  @Override
  public EventHandler<Catalog, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(FlavorSaved.class, (s, e) -> {
          Map<String, Entry> next = new HashMap<>(s.byId());
          next.put(e.entry().flavor().id(), e.entry());
          return new Catalog(Map.copyOf(next));
        })
        .onEvent(FlavorDeleted.class, (s, e) -> {
          Map<String, Entry> next = new HashMap<>(s.byId());
          next.remove(e.id());
          return new Catalog(Map.copyOf(next));
        })
        .build();
  }
}
