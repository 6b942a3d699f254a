package nimbus.storage;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * The cloud's volume types: {@link VolumeType#DEFAULT} and those admins create, with their extra
 * specs and the projects a private one is open to. One entity holds the whole catalog, as the
 * flavor catalog does: it is small, admin-written, and names must stay unique.
 */
public final class VolumeTypeCatalogEntity extends EventSourcedBehaviorWithEnforcedReplies<
    VolumeTypeCatalogEntity.Command, VolumeTypeCatalogEntity.Event, VolumeTypeCatalogEntity.Catalog> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VolumeTypes");
  public static final String ENTITY_ID = "volume-types";

  /** Messages the volume type catalog understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the type (409 when its name is taken). */
  public record Create(VolumeType type, ActorRef<StatusReply<VolumeType>> replyTo) implements Command {}

  /** Changes what is given of name, description and {@code is_public} (409 when the new name is taken). */
  public record Update(String id, Optional<String> name, Optional<String> description, Optional<Boolean> isPublic,
      ActorRef<StatusReply<VolumeType>> replyTo) implements Command {}

  /** Deletes the type; the default one is refused (400). The caller has checked that no volume uses it. */
  public record Delete(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Adds or replaces these extra specs. */
  public record SetExtraSpecs(String id, Map<String, String> specs, ActorRef<StatusReply<VolumeType>> replyTo)
      implements Command {}

  /** Removes one extra spec (404 when the type has none of that key, as Cinder). */
  public record UnsetExtraSpec(String id, String key, ActorRef<StatusReply<VolumeType>> replyTo) implements Command {}

  /** Gives ({@code grant}) or takes away a project's access to a private type. */
  public record Access(String id, String projectId, boolean grant, ActorRef<StatusReply<VolumeType>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<Catalog>> replyTo) implements Command {}

  /** Facts about volume types. */
  public sealed interface Event extends CborSerializable {}

  public record TypeSaved(VolumeType type) implements Event {}

  public record TypeDeleted(String id) implements Event {}

  /** Every type, by id. */
  public record Catalog(Map<String, VolumeType> byId) implements CborSerializable {

    public static final Catalog INITIAL = new Catalog(Map.of(VolumeType.DEFAULT_ID, VolumeType.DEFAULT));

    /** By name, then id: a stable order for lists. */
    public List<VolumeType> sorted() {
      return byId.values().stream().sorted(Comparator.comparing(VolumeType::name).thenComparing(VolumeType::id)).toList();
    }

    /** The type named by id or by name (a volume create accepts either). */
    public Optional<VolumeType> find(String idOrName) {
      VolumeType byTheId = byId.get(idOrName);
      if (byTheId != null) return Optional.of(byTheId);
      return byId.values().stream().filter(t -> t.name().equals(idOrName)).findFirst();
    }

    /** The catalog after {@code event}; the entity's only way of changing. */
    public Catalog after(Event event) {
      Map<String, VolumeType> next = new HashMap<>(byId);
      if (event instanceof TypeSaved saved) next.put(saved.type().id(), saved.type());
      if (event instanceof TypeDeleted deleted) next.remove(deleted.id());
      return new Catalog(Map.copyOf(next));
    }

    private boolean nameTaken(String name, String exceptId) {
      return byId.values().stream().anyMatch(t -> t.name().equals(name) && !t.id().equals(exceptId));
    }
  }

  public static Behavior<Command> create() {
    return new VolumeTypeCatalogEntity();
  }

  private VolumeTypeCatalogEntity() {
    super(PersistenceId.of(TYPE_KEY.name(), ENTITY_ID), Entities.JOURNAL_BACKOFF);
  }

  @Override
  public Catalog emptyState() {
    return Catalog.INITIAL;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Catalog> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, (s, c) -> s.byId().containsKey(c.type().id()) || s.nameTaken(c.type().name(), "")
            ? Effect().reply(c.replyTo(), Rejection.conflict("Volume Type " + c.type().name() + " already exists."))
            : save(c.type(), c.replyTo()))
        .onCommand(Update.class, this::update)
        .onCommand(Delete.class, this::delete)
        .onCommand(SetExtraSpecs.class, (s, c) -> {
          VolumeType t = s.byId().get(c.id());
          if (t == null) return Effect().reply(c.replyTo(), notFound(c.id()));
          Map<String, String> specs = new HashMap<>(t.extraSpecs());
          specs.putAll(c.specs());
          return save(t.withSpecs(specs), c.replyTo());
        })
        .onCommand(UnsetExtraSpec.class, (s, c) -> {
          VolumeType t = s.byId().get(c.id());
          if (t == null) return Effect().reply(c.replyTo(), notFound(c.id()));
          if (!t.extraSpecs().containsKey(c.key())) {
            return Effect().reply(c.replyTo(), Rejection.notFound(noSuchSpec(c.id(), c.key())));
          }
          Map<String, String> specs = new HashMap<>(t.extraSpecs());
          specs.remove(c.key());
          return save(t.withSpecs(specs), c.replyTo());
        })
        .onCommand(Access.class, this::access)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  private ReplyEffect<Event, Catalog> update(Catalog s, Update c) {
    VolumeType t = s.byId().get(c.id());
    if (t == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    String name = c.name().orElse(t.name());
    if (s.nameTaken(name, t.id())) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Volume Type " + name + " already exists."));
    }
    if (t.id().equals(VolumeType.DEFAULT_ID) && !name.equals(t.name())) {
      return Effect().reply(c.replyTo(), Rejection.invalid("The default volume type cannot be renamed."));
    }
    return save(t.renamed(name, c.description().orElse(t.description()), c.isPublic().orElse(t.isPublic())), c.replyTo());
  }

  private ReplyEffect<Event, Catalog> delete(Catalog s, Delete c) {
    if (!s.byId().containsKey(c.id())) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (c.id().equals(VolumeType.DEFAULT_ID)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Default volume type can not be deleted."));
    }
    return Effect().persist(new TypeDeleted(c.id())).thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private ReplyEffect<Event, Catalog> access(Catalog s, Access c) {
    VolumeType t = s.byId().get(c.id());
    if (t == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (t.isPublic()) {
      return Effect().reply(c.replyTo(), Rejection.invalid("Invalid volume type: Type access modification is not"
          + " applicable to public volume type."));
    }
    Set<String> projects = new HashSet<>(t.projects());
    boolean changed = c.grant() ? projects.add(c.projectId()) : projects.remove(c.projectId());
    if (!changed) {
      return c.grant()
          ? Effect().reply(c.replyTo(), Rejection.conflict("Volume type access for " + c.id() + " / "
              + c.projectId() + " combination already exists."))
          : Effect().reply(c.replyTo(), Rejection.notFound("Volume type access not found for " + c.id() + " / "
              + c.projectId() + " combination."));
    }
    return save(t.withProjects(projects), c.replyTo());
  }

  private ReplyEffect<Event, Catalog> save(VolumeType type, ActorRef<StatusReply<VolumeType>> replyTo) {
    return Effect().persist(new TypeSaved(type)).thenReply(replyTo, n -> StatusReply.success(type));
  }

  /** Cinder's words for a type that does not exist. */
  public static <T> StatusReply<T> notFound(String id) {
    return Rejection.notFound("Volume type " + id + " could not be found.");
  }

  /** Cinder's words for an extra spec a type does not have. */
  public static String noSuchSpec(String typeId, String key) {
    return "Volume Type " + typeId + " has no extra specs with key " + key + ".";
  }

  @Override
  public EventHandler<Catalog, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Catalog::after);
  }
}
