package nimbus.cluster;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * One topic actor per topic name on this node, kept for the node's life, for publishers that come
 * and go (entities passivate). A topic actor delivers only to the topic's instances it has learnt
 * of from the receptionist, and drops what is published before: a publisher that spawned its own
 * topic actor at each start lost its first message, every time. Meant for a bounded set of names
 * (one per host, say), not one per entity.
 */
public final class SharedTopics implements Extension {
  private final ActorSystem<?> system;
  private final Map<String, ActorRef<?>> topics = new ConcurrentHashMap<>();
  private final AtomicLong spawned = new AtomicLong();

  private SharedTopics(ActorSystem<?> system) {
    this.system = system;
  }

  public static SharedTopics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The node's topic actor for {@code name}, started on first use. */
  @SuppressWarnings("unchecked")
  public <T> ActorRef<Topic.Command<T>> topic(Class<T> type, String name) {
    return (ActorRef<Topic.Command<T>>) topics.computeIfAbsent(type.getName() + "/" + name,
        key -> system.systemActorOf(Topic.create(type, name), "shared-topic-" + spawned.incrementAndGet(), Props.empty()));
  }

  private static final class Id extends ExtensionId<SharedTopics> {
    static final Id INSTANCE = new Id();

    @Override
    public SharedTopics createExtension(ActorSystem<?> system) {
      return new SharedTopics(system);
    }
  }
}
