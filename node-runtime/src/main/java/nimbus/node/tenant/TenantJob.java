package nimbus.node.tenant;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.network.SecurityGroup;
import nimbus.node.dataplane.FilteredPort;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.TenantHost;
import nimbus.node.dataplane.TenantPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the host's tenant networks over those changed since the last: each network's
 * ports recorded, then the network made, refused or removed; then the firewall, the ports'
 * security groups (when all are known) and the metadata
 * service of all of them, and, at a reconciliation, the sweep of what none uses. A network's failure is its own: the
 * others are made regardless. Blocking.
 */
final class TenantJob {
  private static final Logger log = LoggerFactory.getLogger(TenantJob.class);

  private TenantJob() {}

  /**
   * What to do with one network: record {@code ports}; then remove it ({@code gone}), fail with
   * {@code refusal}, or make it as {@code plan} says (none: it is not known yet, so only recorded).
   * {@code last}: as it was last made here, for its removal.
   */
  record Step(String networkId, List<TenantPort> ports, boolean gone, Optional<String> refusal,
      Optional<HostNetwork> plan, Optional<HostNetwork> last) {}

  /** The ports filtered here and the groups they need (a group not there allows nothing). */
  record Filter(List<FilteredPort> ports, Map<String, SecurityGroup> groups) {}

  /** The networks made as planned, and why the others failed, by network. */
  record Outcome(Map<String, HostNetwork> applied, Map<String, String> failures) {}

  /**
   * {@code carried}: every network the host carries now (its firewall holds theirs alone). A job
   * of no network and no sweep (a security group's change, or a port's groups, address pairs or
   * port security) leaves the firewall and the metadata
   * service alone: they depend on the networks only, and each is a process or two that would hold
   * the group's rules back (seconds on a loaded host).
   */
  static Outcome run(TenantHost host, String hostName, List<Step> steps, List<HostNetwork> carried,
      Optional<Filter> filter, boolean sweep) {
    long start = System.nanoTime();
    Map<String, HostNetwork> applied = new HashMap<>();
    Map<String, String> failures = new HashMap<>();
    for (Step s : steps) {
      try {
        host.record(s.networkId(), s.ports());
        if (s.gone()) {
          host.remove(s.networkId(), s.last());
        } else if (s.refusal().isPresent()) {
          failures.put(s.networkId(), s.refusal().get());
        } else if (s.plan().isPresent()) {
          host.apply(s.plan().get());
          applied.put(s.networkId(), s.plan().get());
        }
      } catch (RuntimeException e) {
        failures.put(s.networkId(), "Network " + s.networkId() + " on host " + hostName + ": " + e.getMessage());
      }
    }
    boolean networks = !steps.isEmpty() || sweep;
    try {
      if (networks) host.protect(carried);
    } catch (RuntimeException e) {
      // a network the host cannot firewall is not safe to plug guests on
      steps.forEach(s -> failures.putIfAbsent(s.networkId(), "firewall of host " + hostName + ": " + e.getMessage()));
    }
    long filtering = System.nanoTime();
    try {
      if (filter.isPresent()) host.filter(filter.get().ports(), filter.get().groups());
    } catch (RuntimeException e) {
      // the rules last applied stay; the next job (at the latest the reconciliation's) tries again
      log.warn("the security groups of host {} failed: {}", hostName, e.getMessage());
    }
    long filtered = System.nanoTime();
    try {
      if (networks) host.serveMetadata(carried);
    } catch (RuntimeException e) {
      // the networks carry traffic still; the next job tries again
      log.warn("the metadata service of host {} failed: {}", hostName, e.getMessage());
    }
    if (sweep) {
      try {
        host.sweep(carried);
      } catch (RuntimeException e) {
        log.warn("sweeping the tenant networks of host {} failed: {}", hostName, e.getMessage());
      }
    }
    log.debug("job of host {}: {} networks {} ms, security groups of {} ports {} ms, all {} ms", hostName, steps.size(),
        (filtering - start) / 1_000_000, filter.map(f -> f.ports().size()).orElse(0), (filtered - filtering) / 1_000_000,
        (System.nanoTime() - start) / 1_000_000);
    return new Outcome(Map.copyOf(applied), Map.copyOf(failures));
  }
}
