package nimbus.node.router;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.network.Attachment;
import nimbus.network.NetworkEntity;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * How the host a router is placed on makes the router's ports its own: each is bound to the host
 * and placed on its network at the host's underlay address, so the network's other hosts build
 * their tunnels to it (the router's entity chose the host; binding again changes nothing), and is
 * then the host's to call ACTIVE, as a guest's port is.
 */
public interface RouterPortBinding {
  CompletionStage<Void> bind(List<RouterPlan.Leg> legs, Attachment.Placement here);

  /** Asks the ports' and networks' entities. */
  static RouterPortBinding sharded(ClusterSharding sharding, Duration timeout) {
    return (legs, here) -> {
      List<CompletableFuture<?>> asks = new ArrayList<>();
      for (RouterPlan.Leg leg : legs) {
        asks.add(sharding.entityRefFor(PortEntity.TYPE_KEY, leg.portId())
            .<Port>askWithStatus(r -> new PortEntity.Bind(Optional.of(here.host()), r), timeout)
            .thenRun(() -> sharding.entityRefFor(PortEntity.TYPE_KEY, leg.portId())
                .tell(new PortEntity.ReportStatus(here.host(), "ACTIVE")))
            .toCompletableFuture());
        asks.add(sharding.entityRefFor(NetworkEntity.TYPE_KEY, leg.networkId())
            .<Done>askWithStatus(r -> new NetworkEntity.PlacePort(leg.portId(), Optional.of(here), r), timeout)
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new));
    };
  }
}
