package nimbus.network;

import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * Where routers go: the hosts that may carry them (the compute hosts that are up, which the node
 * knows and actors-network does not: the node passes them in), and the pure choice among them.
 */
public interface RouterPlacement {

  /** The hosts that may carry a router now. */
  Collection<String> hosts();

  /** No host at all: routers wait, unplaced, until a placement that has hosts is given. */
  RouterPlacement NONE = java.util.List::of;

  /**
   * The host with the fewest routers ({@code routersPerHost}; a host missing from it has none),
   * ties broken by name so every node picks alike; empty when there is no host.
   */
  static Optional<String> fewestRouters(Collection<String> hosts, Map<String, Integer> routersPerHost) {
    return hosts.stream().min(Comparator.<String>comparingInt(h -> routersPerHost.getOrDefault(h, 0))
        .thenComparing(Comparator.naturalOrder()));
  }
}
