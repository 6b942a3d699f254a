package nimbus.network;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@link RouterClaims} as messages to the sharded quota, port and network entities; a router's
 * host is the one of {@link RouterPlacement#hosts} in its zone hints carrying the fewest routers, as the read side
 * counts them ({@code routersPerHost}, blocking: run on {@code blocking}).
 */
public final class ShardedRouterClaims implements RouterClaims {
  private final ClusterSharding sharding;
  private final NetworkClaims network;
  private final Duration timeout;
  private final RouterPlacement placement;
  private final Supplier<Map<String, Integer>> routersPerHost;
  private final java.util.concurrent.Executor blocking;

  public ShardedRouterClaims(ClusterSharding sharding, NetworkClaims network, Duration timeout,
      RouterPlacement placement, Supplier<Map<String, Integer>> routersPerHost, java.util.concurrent.Executor blocking) {
    this.sharding = sharding;
    this.network = network;
    this.timeout = timeout;
    this.placement = placement;
    this.routersPerHost = routersPerHost;
    this.blocking = blocking;
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserve(String projectId, String kind, String id) {
    return network.reserve(projectId, kind, id);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String projectId, List<String> ids) {
    return network.release(projectId, ids);
  }

  @Override
  public CompletionStage<StatusReply<Port>> createPort(Port port) {
    return sharding.entityRefFor(PortEntity.TYPE_KEY, port.id()).ask(r -> new PortEntity.Create(port, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Port>> claimPort(String portId, String deviceId, String deviceOwner) {
    return sharding.entityRefFor(PortEntity.TYPE_KEY, portId)
        .ask(r -> new PortEntity.ClaimDevice(deviceId, deviceOwner, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> deletePort(String portId, String networkId, String projectId) {
    // answered once the port is gone, its subnet address and quota given back; one gone already is as good
    return sharding.entityRefFor(PortEntity.TYPE_KEY, portId).<StatusReply<Done>>ask(PortEntity.Delete::new, timeout)
        .thenApply(d -> d.isError() && Rejection.from(d.getError()).kind() == Rejection.Kind.NOT_FOUND ? StatusReply.ack() : d);
  }

  @Override
  public CompletionStage<StatusReply<String>> place(String routerId, List<String> zoneHints) {
    return CompletableFuture.supplyAsync(() -> {
      Map<String, String> hosts = placement.hosts();
      // no host: no need to count what each carries
      return (hosts.isEmpty() ? java.util.Optional.<String>empty()
          : RouterPlacement.choose(hosts, zoneHints, routersPerHost.get())).map(StatusReply::success)
          .orElseGet(() -> Rejection.of(Rejection.Kind.CONFLICT, zoneHints.isEmpty() ? "no host can carry routers yet"
              : "no host of availability zones " + zoneHints + " can carry routers yet"));
    }, blocking);
  }

  @Override
  public CompletionStage<StatusReply<Done>> addFloatingIp(String routerId, Router.FloatingIpMapping mapping) {
    return sharding.entityRefFor(RouterEntity.TYPE_KEY, routerId)
        .ask(r -> new RouterEntity.AddFloatingIp(mapping, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeFloatingIp(String routerId, String floatingIpId) {
    return sharding.entityRefFor(RouterEntity.TYPE_KEY, routerId)
        .ask(r -> new RouterEntity.RemoveFloatingIp(floatingIpId, r), timeout);
  }
}
