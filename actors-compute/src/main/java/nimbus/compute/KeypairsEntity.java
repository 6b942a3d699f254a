package nimbus.compute;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

/**
 * One user's keypairs, keyed by the user's id: keypairs belong to users (not projects), names
 * are unique per user, and a user's list is one question to one entity. Each change, once
 * persisted, is told to {@code changed} (the events API's {@code keypair}, the name as its id, for
 * the user alone).
 */
public final class KeypairsEntity
    extends EventSourcedBehaviorWithEnforcedReplies<KeypairsEntity.Command, KeypairsEntity.Event, KeypairsEntity.State> {

  /** Nova's key_pairs quota: per user. */
  static final int MAX_KEYPAIRS = 100;

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Keypairs");

  /** Messages a user's keypairs understand. */
  public sealed interface Command extends CborSerializable {}

  /** Adds a keypair; the name must be new for this user. */
  public record Add(Keypair keypair, ActorRef<StatusReply<Keypair>> replyTo) implements Command {}

  public record Remove(String name, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Get(String name, ActorRef<StatusReply<Keypair>> replyTo) implements Command {}

  public record ListAll(ActorRef<StatusReply<Listing>> replyTo) implements Command {}

  /** A user's keypairs, by name. */
  public record Listing(List<Keypair> keypairs) implements CborSerializable {}

  /** Facts about a user's keypairs. */
  public sealed interface Event extends CborSerializable {}

  public record KeypairAdded(Keypair keypair) implements Event {}

  public record KeypairRemoved(String name) implements Event {}

  /** All of a user's keypairs. */
  public record State(Map<String, Keypair> byName) implements CborSerializable {}

  private final String userId;
  private final Consumer<ResourceChange> changed;

  public static Behavior<Command> create(String userId, Consumer<ResourceChange> changed) {
    return new KeypairsEntity(userId, changed);
  }

  private KeypairsEntity(String userId, Consumer<ResourceChange> changed) {
    super(PersistenceId.of(TYPE_KEY.name(), userId), Entities.JOURNAL_BACKOFF);
    this.userId = userId;
    this.changed = changed;
  }

  private void tell(String name, boolean deleted) {
    changed.accept(ResourceChange.personal("keypair", name, userId, deleted));
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Add.class, (s, c) -> {
          if (s.byName().containsKey(c.keypair().name())) {
            return Effect().reply(c.replyTo(), Rejection.conflict("Key pair '" + c.keypair().name() + "' already exists."));
          }
          if (s.byName().size() >= MAX_KEYPAIRS) {
            return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, "Quota exceeded, too many key pairs."));
          }
          return Effect().persist(new KeypairAdded(c.keypair()))
              .thenRun(n -> tell(c.keypair().name(), false)).thenReply(c.replyTo(), n -> StatusReply.success(c.keypair()));
        })
        .onCommand(Remove.class, (s, c) -> s.byName().containsKey(c.name())
            ? Effect().persist(new KeypairRemoved(c.name()))
                .thenRun(n -> tell(c.name(), true)).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), notFound(c.name())))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.byName().containsKey(c.name())
            ? StatusReply.success(s.byName().get(c.name())) : notFound(c.name())))
        .onCommand(ListAll.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(new Listing(
            s.byName().values().stream().sorted(java.util.Comparator.comparing(Keypair::name)).toList()))))
        .build();
  }

  private static <T> StatusReply<T> notFound(String name) {
    return Rejection.notFound("Keypair " + name + " not found.");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(KeypairAdded.class, (s, e) -> {
          Map<String, Keypair> next = new HashMap<>(s.byName());
          next.put(e.keypair().name(), e.keypair());
          return new State(Map.copyOf(next));
        })
        .onEvent(KeypairRemoved.class, (s, e) -> {
          Map<String, Keypair> next = new HashMap<>(s.byName());
          next.remove(e.name());
          return new State(Map.copyOf(next));
        })
        .build();
  }
}
