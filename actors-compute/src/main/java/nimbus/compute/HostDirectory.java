package nimbus.compute;

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
 * This node's view of every host, kept current by two cluster topics: the capacity summaries
 * host entities publish after every change, and the agents' heartbeats (a host is up while its
 * beats arrive, timed by this node's own clock). The scheduler filters and weighs hosts from it
 * without asking anyone; since it may be a moment stale, the claim on the host entity has the
 * last word.
 */
public final class HostDirectory implements Extension {
  private final Map<String, HostSummary> hosts = new ConcurrentHashMap<>();
  private final Map<String, Instant> beats = new ConcurrentHashMap<>();
  private final Map<String, ActorRef<HostAgentCommand>> agents = new ConcurrentHashMap<>();
  private final ActorRef<Topic.Command<HostSummary>> summaries;
  private final ActorRef<Topic.Command<HostBeat>> heartbeats;
  private final Instant startedAt = Instant.now();

  private HostDirectory(ActorSystem<?> system) {
    summaries = system.systemActorOf(Topic.create(HostSummary.class, "nimbus-hosts"),
        "nimbus-hosts", Props.empty());
    heartbeats = system.systemActorOf(Topic.create(HostBeat.class, "nimbus-host-beats"),
        "nimbus-host-beats", Props.empty());
    summaries.tell(Topic.subscribe(system.systemActorOf(Behaviors.<HostSummary>receiveMessage(s -> {
      hosts.put(s.host(), s);
      return Behaviors.same();
    }), "nimbus-host-summaries", Props.empty())));
    heartbeats.tell(Topic.subscribe(system.systemActorOf(Behaviors.<HostBeat>receiveMessage(b -> {
      beats.put(b.host(), Instant.now());
      agents.put(b.host(), b.agent());
      return Behaviors.same();
    }), "nimbus-host-liveness", Props.empty())));
  }

  public static HostDirectory get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Tells every node's directory what a host offers and has claimed. */
  public void publish(HostSummary summary) {
    summaries.tell(Topic.publish(summary));
  }

  /** Tells every node's directory that a host's agent is alive, and where it is. */
  public void beat(String host, ActorRef<HostAgentCommand> agent) {
    heartbeats.tell(Topic.publish(new HostBeat(host, agent)));
  }

  /** The agent of a host, once one of its beats arrived. */
  public java.util.Optional<ActorRef<HostAgentCommand>> agent(String host) {
    return java.util.Optional.ofNullable(agents.get(host));
  }

  /** Whether a beat of the host arrived within {@code within}. */
  public boolean isUp(String host, java.time.Duration within) {
    Instant last = beats.get(host);
    return last != null && last.isAfter(Instant.now().minus(within));
  }

  /** Whether this node has listened for hosts at least this long (so its view is complete). */
  public boolean listeningFor(java.time.Duration time) {
    return Instant.now().isAfter(startedAt.plus(time));
  }

  public Collection<HostSummary> hosts() {
    return hosts.values();
  }

  /** Hosts that are up and meet {@code demand}, best first by the configured weigher. */
  public List<String> candidates(Demand demand, Set<String> excluded, ComputeSettings settings) {
    return rank(hosts.values(), h -> isUp(h, settings.hostDownAfter()), demand, excluded, settings);
  }

  /** The availability zones hosts have reported, with their hosts. */
  public java.util.Map<String, List<HostSummary>> zones() {
    return hosts.values().stream().collect(java.util.stream.Collectors.groupingBy(
        h -> h.inventory().availabilityZone(), java.util.TreeMap::new, java.util.stream.Collectors.toList()));
  }

  /** The zone of a host, once it has reported. */
  public java.util.Optional<String> zoneOf(String host) {
    return java.util.Optional.ofNullable(hosts.get(host)).map(h -> h.inventory().availabilityZone());
  }

  /**
   * The scheduler's decision: filter the hosts that are up, fit, are in the zone asked for and
   * obey the server group's policy (anti-affinity: none of its members; affinity: where its
   * members are, once one is placed), then order them by the soft policy's preference, if any,
   * and the weigher.
   */
  public static List<String> rank(Collection<HostSummary> hosts, java.util.function.Predicate<String> up,
      Demand demand, Set<String> excluded, ComputeSettings settings) {
    Resources need = demand.need();
    java.util.Optional<Placement> placement = demand.group();
    java.util.function.Predicate<HostSummary> obeysGroup = h -> true;
    Comparator<HostSummary> byGroup = (a, b) -> 0;
    if (placement.isPresent()) {
      String group = placement.get().groupId();
      boolean placed = hosts.stream().anyMatch(h -> h.groups().contains(group));
      if (placement.get().soft()) {
        // Nova's soft weighers: a host with a member first (soft-affinity) or last (soft-anti-affinity)
        boolean near = placement.get().policy().equals(Placement.SOFT_AFFINITY);
        byGroup = Comparator.comparing(h -> h.groups().contains(group) != near);
      } else {
        obeysGroup = placement.get().apart() ? h -> !h.groups().contains(group)
            : h -> !placed || h.groups().contains(group);
      }
    }
    Comparator<HostSummary> byFreeRam = Comparator.comparingInt(h -> h.free().ramMb());
    Comparator<HostSummary> order = byGroup.thenComparing(
        settings.weigher() == ComputeSettings.Weigher.SPREAD ? byFreeRam.reversed() : byFreeRam);
    List<HostSummary> fit = new java.util.ArrayList<>(hosts.stream()
        .filter(h -> !excluded.contains(h.host()))
        .filter(h -> up.test(h.host()))
        .filter(h -> h.fits(need))
        .filter(h -> demand.zone().map(z -> z.equals(h.inventory().availabilityZone())).orElse(true))
        .filter(obeysGroup)
        .toList());
    // equal hosts in random order (the sort keeps it): servers scheduled at the same moment
    // from the same view do not all pick the first name
    java.util.Collections.shuffle(fit, java.util.concurrent.ThreadLocalRandom.current());
    fit.sort(order);
    return fit.stream().map(HostSummary::host).toList();
  }

  private static final class Id extends ExtensionId<HostDirectory> {
    static final Id INSTANCE = new Id();

    @Override
    public HostDirectory createExtension(ActorSystem<?> system) {
      return new HostDirectory(system);
    }
  }

}
