package nimbus.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The cluster's topic of resource changes (volumes, snapshots, images, networks, ports, routers,
 * floating IPs, security groups): each list projection publishes what it changed once its
 * transaction has committed, and every node's edge passes them to the event streams it serves.
 * A subscriber that stops leaves the topic by itself.
 */
public final class ResourceChanges implements Extension {
  private final ActorRef<Topic.Command<ResourceChange>> topic;

  private ResourceChanges(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(ResourceChange.class, "nimbus-resource-changes"),
        "nimbus-resource-changes", Props.empty());
  }

  public static ResourceChanges get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public void publish(ResourceChange change) {
    topic.tell(Topic.publish(change));
  }

  public void subscribe(ActorRef<ResourceChange> subscriber) {
    topic.tell(Topic.subscribe(subscriber));
  }

  private static final class Id extends ExtensionId<ResourceChanges> {
    static final Id INSTANCE = new Id();

    @Override
    public ResourceChanges createExtension(ActorSystem<?> system) {
      return new ResourceChanges(system);
    }
  }
}
