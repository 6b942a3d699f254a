package nimbus.node.dataplane;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant networks that change nothing on the host, for demos and tests without root: every type
 * is carried, nothing is recorded, and what the Linux host would do is only logged.
 */
public final class RecordingTenantHost implements TenantHost {
  private static final Logger log = LoggerFactory.getLogger(RecordingTenantHost.class);

  @Override
  public Set<NetworkType> carries() {
    return EnumSet.allOf(NetworkType.class);
  }

  /** Every physical network too: nothing leaves this host anyway. */
  @Override
  public Optional<String> physicalNetworkRefusal(String physicalNetwork) {
    return Optional.empty();
  }

  @Override
  public Map<String, List<TenantPort>> plugged() {
    return Map.of();
  }

  @Override
  public void record(String networkId, List<TenantPort> ports) {
    // nothing outlives the node
  }

  @Override
  public void apply(HostNetwork network) {
    log.debug("tenant network (recording only): {} with {} ports here, peers {}", network.networkId(),
        network.ports().size(), network.peers());
  }

  @Override
  public void remove(String networkId, Optional<HostNetwork> last) {
    log.debug("tenant network (recording only): {} removed", networkId);
  }

  @Override
  public void protect(List<HostNetwork> networks) {
    // no rules to write
  }

  @Override
  public void sweep(List<HostNetwork> networks) {
    // nothing was made
  }
}
