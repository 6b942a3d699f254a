package nimbus.node.metadata;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.compute.ServerPort;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A guest's NICs as its metadata describes them: each port with its network's MTU and its
 * subnets, asked of the networks' entities (each network once). Never blocks.
 */
public final class GuestNetworks {
  private GuestNetworks() {}

  public static CompletionStage<List<GuestNic>> of(ClusterSharding sharding, List<ServerPort> ports, Duration timeout) {
    Map<String, CompletableFuture<Network>> networks = new LinkedHashMap<>();
    for (ServerPort port : ports) {
      networks.computeIfAbsent(port.networkId(), id -> sharding.entityRefFor(NetworkEntity.TYPE_KEY, id)
          .<Network>askWithStatus(NetworkEntity.Get::new, timeout).toCompletableFuture());
    }
    return CompletableFuture.allOf(networks.values().toArray(CompletableFuture[]::new))
        .thenApply(all -> ports.stream().map(p -> GuestNic.of(p, networks.get(p.networkId()).join())).toList());
  }
}
