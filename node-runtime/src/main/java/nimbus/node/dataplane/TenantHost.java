package nimbus.node.dataplane;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How a host makes its tenant networks real: devices, DHCP, firewall, and the record of the
 * ports plugged here, which outlives the agent. Every call is idempotent. Blocking: call it on
 * the blocking dispatcher, one call at a time.
 */
public interface TenantHost {

  /** The network types this host can carry. */
  Set<NetworkType> carries();

  /**
   * Why this host cannot carry flat and VLAN networks of physical network {@code physicalNetwork}
   * (it has no interface on it), if it cannot. Not blocking.
   */
  Optional<String> physicalNetworkRefusal(String physicalNetwork);

  /** The ports plugged here, by network, as last recorded (after an agent restart: what it had). */
  Map<String, List<TenantPort>> plugged();

  /** Records the ports plugged here on a network (none: the network has none here any more). */
  void record(String networkId, List<TenantPort> ports);

  /** Makes the network as this host must have it: devices, peers, DHCP address and server, taps. */
  void apply(HostNetwork network);

  /** Removes the network from this host: its dnsmasq and its devices ({@code last}: as last applied, if known). */
  void remove(String networkId, Optional<HostNetwork> last);

  /** Replaces the firewall rules with those of these networks (the ones this host carries). */
  void protect(List<HostNetwork> networks);

  /**
   * Filters these ports (those plugged here with port security on) by the rules of {@code groups}
   * (a group a port names that is not there allows nothing), and sends every port only from its
   * own addresses; every other port is not filtered.
   */
  default void filter(List<FilteredPort> ports, Map<String, nimbus.network.SecurityGroup> groups) {
    // a host that filters nothing
  }

  /**
   * The metadata service answers on these networks (the ones this host carries, made by
   * {@link #apply}), and on no other.
   */
  default void serveMetadata(List<HostNetwork> networks) {
    // a host without the metadata service
  }

  /**
   * Removes what Nimbus made here for networks other than {@code networks} (whose ports are
   * plugged here): devices, dnsmasq processes and their files.
   */
  void sweep(List<HostNetwork> networks);
}
