package nimbus.compute;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The cluster's topic of server changes: the server-list projection publishes each server's
 * state once it has applied its events, and every node's edge passes them to the event streams
 * it serves. A subscriber that stops leaves the topic by itself.
 */
public final class ServerChanges implements Extension {
  private final ActorRef<Topic.Command<ServerChange>> topic;

  private ServerChanges(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(ServerChange.class, "nimbus-server-changes"),
        "nimbus-server-changes", Props.empty());
  }

  public static ServerChanges get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public void publish(ServerChange change) {
    topic.tell(Topic.publish(change));
  }

  public void subscribe(ActorRef<ServerChange> subscriber) {
    topic.tell(Topic.subscribe(subscriber));
  }

  private static final class Id extends ExtensionId<ServerChanges> {
    static final Id INSTANCE = new Id();

    @Override
    public ServerChanges createExtension(ActorSystem<?> system) {
      return new ServerChanges(system);
    }
  }
}
