package nimbus.compute;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import nimbus.config.ComputeSettings;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * This node's view of every host, kept current by the summaries host entities publish on a
 * cluster topic. The scheduler filters and weighs hosts from it without asking anyone; since it
 * may be a moment stale, the claim on the host entity has the last word.
 */
public final class HostDirectory implements Extension {
  private final Map<String, HostSummary> hosts = new ConcurrentHashMap<>();
  private final ActorRef<Topic.Command<HostSummary>> topic;
  private final Instant startedAt = Instant.now();

  private HostDirectory(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(HostSummary.class, "nimbus-hosts"), "nimbus-hosts",
        Props.empty());
    ActorRef<HostSummary> subscriber = system.systemActorOf(Behaviors.receiveMessage(summary -> {
      hosts.merge(summary.host(), summary, HostDirectory::newer);
      return Behaviors.same();
    }), "nimbus-host-directory", Props.empty());
    topic.tell(Topic.subscribe(subscriber));
  }

  public static HostDirectory get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Tells every node's directory about a host (and this one at once). */
  public void publish(HostSummary summary) {
    hosts.merge(summary.host(), summary, HostDirectory::newer);
    topic.tell(Topic.publish(summary));
  }

  /** When this node began to listen for hosts. */
  public Instant startedAt() {
    return startedAt;
  }

  public Collection<HostSummary> hosts() {
    return hosts.values();
  }

  /** Hosts that are up and fit {@code need}, best first by the configured weigher. */
  public List<String> candidates(Resources need, Set<String> excluded, ComputeSettings settings,
      Clock clock) {
    return rank(hosts.values(), need, excluded, settings, clock.instant());
  }

  static List<String> rank(Collection<HostSummary> hosts, Resources need, Set<String> excluded,
      ComputeSettings settings, Instant now) {
    Instant upSince = now.minus(settings.hostDownAfter());
    Comparator<HostSummary> byFreeRam = Comparator.comparingInt(h -> h.free().ramMb());
    Comparator<HostSummary> order =
        settings.weigher() == ComputeSettings.Weigher.SPREAD ? byFreeRam.reversed() : byFreeRam;
    return hosts.stream()
        .filter(h -> !excluded.contains(h.host()))
        .filter(h -> h.agentSeenAt().isAfter(upSince))
        .filter(h -> h.fits(need))
        .sorted(order.thenComparing(HostSummary::host))
        .map(HostSummary::host)
        .toList();
  }

  private static HostSummary newer(HostSummary a, HostSummary b) {
    // Summaries from one host entity can arrive out of order across nodes; keep the newest beat,
    // but let a same-beat summary (a claim or release) replace the older usage.
    return b.agentSeenAt().isBefore(a.agentSeenAt()) ? a : b;
  }

  private static final class Id extends ExtensionId<HostDirectory> {
    static final Id INSTANCE = new Id();

    @Override
    public HostDirectory createExtension(ActorSystem<?> system) {
      return new HostDirectory(system);
    }
  }

}
