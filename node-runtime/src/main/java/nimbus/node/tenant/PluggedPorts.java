package nimbus.node.tenant;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import nimbus.node.dataplane.TenantPort;

/** The ports plugged on this host, by network and port. Used by {@link TenantNetworks} on its own thread only. */
final class PluggedPorts {
  private final Map<String, Map<String, TenantPort>> byNetwork = new HashMap<>();

  void add(String networkId, TenantPort port) {
    byNetwork.computeIfAbsent(networkId, k -> new LinkedHashMap<>()).put(port.portId(), port);
  }

  /** Drops a server's ports; answers the networks it had ports on. */
  Set<String> forget(String serverId) {
    Set<String> networks = new LinkedHashSet<>();
    byNetwork.forEach((network, ports) -> {
      if (ports.values().removeIf(p -> p.serverId().equals(serverId))) networks.add(network);
    });
    byNetwork.values().removeIf(Map::isEmpty);
    return networks;
  }

  /** The networks with ports here. */
  Set<String> networks() {
    return Set.copyOf(byNetwork.keySet());
  }

  boolean has(String networkId) {
    return byNetwork.containsKey(networkId);
  }

  List<TenantPort> on(String networkId) {
    return List.copyOf(byNetwork.getOrDefault(networkId, Map.of()).values());
  }

  Set<String> servers() {
    Set<String> servers = new HashSet<>();
    byNetwork.values().forEach(ports -> ports.values().forEach(p -> servers.add(p.serverId())));
    return servers;
  }
}
