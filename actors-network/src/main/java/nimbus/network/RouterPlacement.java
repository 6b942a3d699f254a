package nimbus.network;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where routers go: the hosts that may carry them (the compute hosts that are up, each with its
 * availability zone, which the node knows and actors-network does not: the node passes them in),
 * and the pure choice among them.
 */
public interface RouterPlacement {

  /** The hosts that may carry a router now, each with its availability zone. */
  Map<String, String> hosts();

  /** No host at all: routers wait, unplaced, until a placement that has hosts is given. */
  RouterPlacement NONE = Map::of;

  /**
   * The host for a router with availability zone {@code hints} (as Neutron's scheduler: a host in
   * one of them; any host when there is none), the one of those with the fewest routers; empty when
   * no host fits.
   */
  static Optional<String> choose(Map<String, String> hostZones, List<String> hints,
      Map<String, Integer> routersPerHost) {
    return fewestRouters(hostZones.keySet().stream()
        .filter(h -> hints.isEmpty() || hints.contains(hostZones.get(h))).toList(), routersPerHost);
  }

  /**
   * The host with the fewest routers ({@code routersPerHost}; a host missing from it has none),
   * ties broken by name so every node picks alike; empty when there is no host.
   */
  static Optional<String> fewestRouters(Collection<String> hosts, Map<String, Integer> routersPerHost) {
    return hosts.stream().min(Comparator.<String>comparingInt(h -> routersPerHost.getOrDefault(h, 0))
        .thenComparing(Comparator.naturalOrder()));
  }
}
