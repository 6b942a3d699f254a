package nimbus.network;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** {@link FloatingIpReports} as messages to the sharded floating IP entities. */
public final class ShardedFloatingIpReports implements FloatingIpReports {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedFloatingIpReports(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Done> report(String floatingIpId, String routerId, String status) {
    return sharding.entityRefFor(FloatingIpEntity.TYPE_KEY, floatingIpId)
        .askWithStatus(r -> new FloatingIpEntity.Report(routerId, status, r), timeout);
  }
}
