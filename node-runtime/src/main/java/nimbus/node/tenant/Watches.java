package nimbus.node.tenant;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.network.Network;
import nimbus.network.NetworkChanged;
import nimbus.node.dataplane.HostNetwork;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The networks a host listens to: for each, its topic, the network as last heard, and what was
 * last built from it. Used by {@link TenantNetworks} on its own thread only.
 *
 * <p>A network is heard two ways: its topic, and an answer to asking it. Which is newer cannot be
 * told (a port's change leaves the network's revision as it was), so an answer counts only if
 * nothing was heard on the topic since it was asked: once the topic speaks, it carries every
 * later change in order.
 */
final class Watches {
  private final ActorContext<?> ctx;
  private final ActorRef<NetworkChanged> listener;
  private final Map<String, Watch> watches = new HashMap<>();
  /** Topic actors get names of their own: a stopped one's name may not be free yet. */
  private long spawned;

  private static final class Watch {
    final ActorRef<Topic.Command<NetworkChanged>> topic;
    long generation;
    Optional<Network> network = Optional.empty();
    Optional<String> missing = Optional.empty();
    Optional<HostNetwork> applied = Optional.empty();

    Watch(ActorRef<Topic.Command<NetworkChanged>> topic) {
      this.topic = topic;
    }
  }

  Watches(ActorContext<?> ctx, ActorRef<NetworkChanged> listener) {
    this.ctx = ctx;
    this.listener = listener;
  }

  /** Starts listening to the network's topic; answers whether it is new (then ask the network). */
  boolean watch(String networkId) {
    if (watches.containsKey(networkId)) return false;
    ActorRef<Topic.Command<NetworkChanged>> topic = ctx.spawn(
        Topic.create(NetworkChanged.class, NetworkChanged.topic(networkId)), "network-" + networkId + "-" + ++spawned);
    topic.tell(Topic.subscribe(listener));
    watches.put(networkId, new Watch(topic));
    return true;
  }

  /** Stops listening: stopping the topic actor ends the subscription. */
  void unwatch(String networkId) {
    Watch w = watches.remove(networkId);
    if (w != null) ctx.stop(w.topic);
  }

  boolean isWatched(String networkId) {
    return watches.containsKey(networkId);
  }

  Set<String> ids() {
    return Set.copyOf(watches.keySet());
  }

  /** How often the topic has spoken: an answer asked for at this count is current if it still is. */
  long generation(String networkId) {
    return watches.get(networkId).generation;
  }

  /** The topic's news; answers whether it changed what is known. */
  boolean heard(Network n) {
    Watch w = watches.get(n.id());
    if (w == null) return false;
    w.generation++;
    return set(w, Optional.of(n), Optional.empty());
  }

  /** An answer to asking the network; answers whether it counted and changed what is known. */
  boolean fetched(String networkId, long generation, Network n) {
    Watch w = watches.get(networkId);
    return w != null && w.generation == generation && set(w, Optional.of(n), Optional.empty());
  }

  /** The network says it does not exist (or is being deleted). */
  boolean lost(String networkId, long generation, String why) {
    Watch w = watches.get(networkId);
    return w != null && w.generation == generation && set(w, Optional.empty(), Optional.of(why));
  }

  private static boolean set(Watch w, Optional<Network> network, Optional<String> missing) {
    boolean changed = !w.network.equals(network) || !w.missing.equals(missing);
    w.network = network;
    w.missing = missing;
    return changed;
  }

  /** Whether the network has answered, either way. */
  boolean known(String networkId) {
    Watch w = watches.get(networkId);
    return w != null && (w.network.isPresent() || w.missing.isPresent());
  }

  Optional<Network> network(String networkId) {
    Watch w = watches.get(networkId);
    return w == null ? Optional.empty() : w.network;
  }

  Optional<String> missing(String networkId) {
    Watch w = watches.get(networkId);
    return w == null ? Optional.empty() : w.missing;
  }

  /** Deleted, or said not to exist: nothing of it stays on the host. */
  boolean gone(String networkId) {
    return missing(networkId).isPresent()
        || network(networkId).map(n -> n.phase() != Network.Phase.ACTIVE).orElse(false);
  }

  Optional<HostNetwork> applied(String networkId) {
    Watch w = watches.get(networkId);
    return w == null ? Optional.empty() : w.applied;
  }

  void applied(String networkId, HostNetwork network) {
    Watch w = watches.get(networkId);
    if (w != null) w.applied = Optional.of(network);
  }
}
