package nimbus.node.tenant;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupChanged;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The security groups a host follows (those its filtered ports use, and those their rules name as
 * remote groups): for each, its topic and the group as last heard. An answer to asking counts
 * only if the topic has not spoken since it was asked, as with {@link Watches}. Used by
 * {@link TenantNetworks} on its own thread only.
 */
final class GroupWatches {
  private final ActorContext<?> ctx;
  private final ActorRef<SecurityGroupChanged> listener;
  private final Map<String, Watch> watches = new HashMap<>();
  private long spawned;

  private static final class Watch {
    final ActorRef<Topic.Command<SecurityGroupChanged>> topic;
    long generation;
    boolean known;
    Optional<SecurityGroup> group = Optional.empty();

    Watch(ActorRef<Topic.Command<SecurityGroupChanged>> topic) {
      this.topic = topic;
    }
  }

  GroupWatches(ActorContext<?> ctx, ActorRef<SecurityGroupChanged> listener) {
    this.ctx = ctx;
    this.listener = listener;
  }

  /** Starts listening to the group's topic; answers whether it is new (then ask for the group). */
  boolean watch(String groupId) {
    if (watches.containsKey(groupId)) return false;
    ActorRef<Topic.Command<SecurityGroupChanged>> topic = ctx.spawn(Topic.create(SecurityGroupChanged.class,
        SecurityGroupChanged.topic(groupId)), "security-group-" + groupId + "-" + ++spawned);
    topic.tell(Topic.subscribe(listener));
    watches.put(groupId, new Watch(topic));
    return true;
  }

  /** Stops listening: stopping the topic actor ends the subscription. */
  void unwatch(String groupId) {
    Watch w = watches.remove(groupId);
    if (w != null) ctx.stop(w.topic);
  }

  boolean isWatched(String groupId) {
    return watches.containsKey(groupId);
  }

  Set<String> ids() {
    return Set.copyOf(watches.keySet());
  }

  long generation(String groupId) {
    return watches.get(groupId).generation;
  }

  /** The topic's news; answers whether it changed what is known. A deleted group is no group. */
  boolean heard(SecurityGroup g) {
    Watch w = watches.get(g.id());
    if (w == null) return false;
    w.generation++;
    return set(w, g.deleted() ? Optional.empty() : Optional.of(g));
  }

  /** An answer to asking for the group; answers whether it counted and changed what is known. */
  boolean fetched(String groupId, long generation, Optional<SecurityGroup> g) {
    Watch w = watches.get(groupId);
    return w != null && w.generation == generation && set(w, g.filter(group -> !group.deleted()));
  }

  private static boolean set(Watch w, Optional<SecurityGroup> g) {
    boolean changed = !w.known || !w.group.equals(g);
    w.known = true;
    w.group = g;
    return changed;
  }

  /** Whether the group has answered, either way. */
  boolean known(String groupId) {
    Watch w = watches.get(groupId);
    return w != null && w.known;
  }

  /** The groups known to exist, by id. */
  Map<String, SecurityGroup> groups() {
    Map<String, SecurityGroup> groups = new HashMap<>();
    watches.forEach((id, w) -> w.group.ifPresent(g -> groups.put(id, g)));
    return groups;
  }
}
