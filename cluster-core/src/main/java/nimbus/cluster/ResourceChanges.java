package nimbus.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The cluster's topic of resource changes (volumes, snapshots, images, networks, ports, routers,
 * floating IPs, security groups): each list projection publishes what it changed once its
 * transaction has committed, and every node's edge passes them to the event streams it serves.
 * A subscriber that stops leaves the topic by itself.
 */
public final class ResourceChanges {
  private final ActorRef<Topic.Command<ResourceChange>> topic;

  private ResourceChanges(ActorRef<Topic.Command<ResourceChange>> topic) {
    this.topic = topic;
  }

  /** The node's one topic actor for resource changes ({@link SharedTopics}). */
  public static ResourceChanges get(ActorSystem<?> system) {
    return new ResourceChanges(SharedTopics.get(system).topic(ResourceChange.class, "nimbus-resource-changes"));
  }

  public void publish(ResourceChange change) {
    topic.tell(Topic.publish(change));
  }

  public void subscribe(ActorRef<ResourceChange> subscriber) {
    topic.tell(Topic.subscribe(subscriber));
  }
}
