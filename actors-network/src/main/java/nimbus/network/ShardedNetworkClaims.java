package nimbus.network;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/** {@link NetworkClaims} as messages to the sharded quota, pool and network entities. */
public final class ShardedNetworkClaims implements NetworkClaims {
  private final ClusterSharding sharding;
  private final Duration timeout;
  /** The floating IPs associated with a port (the read side's answer). */
  private final java.util.function.Function<String, CompletionStage<List<String>>> floatingIpsOf;

  public ShardedNetworkClaims(ClusterSharding sharding, Duration timeout) {
    this(sharding, timeout, port -> java.util.concurrent.CompletableFuture.completedFuture(List.of()));
  }

  public ShardedNetworkClaims(ClusterSharding sharding, Duration timeout,
      java.util.function.Function<String, CompletionStage<List<String>>> floatingIpsOf) {
    this.sharding = sharding;
    this.timeout = timeout;
    this.floatingIpsOf = floatingIpsOf;
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserve(String projectId, String kind, String id) {
    return sharding.entityRefFor(NetworkQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new NetworkQuotaEntity.Reserve(kind, id, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String projectId, List<String> ids) {
    return sharding.entityRefFor(NetworkQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new NetworkQuotaEntity.Release(ids, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Integer>> allocateSegment(String pool, String networkId, Optional<Integer> wanted) {
    return sharding.entityRefFor(SegmentPoolEntity.TYPE_KEY, pool)
        .ask(r -> new SegmentPoolEntity.Allocate(networkId, wanted, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseSegment(String pool, String networkId) {
    return sharding.entityRefFor(SegmentPoolEntity.TYPE_KEY, pool)
        .ask(r -> new SegmentPoolEntity.Release(networkId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<String>> allocateCidr(String poolId, String subnetId, Optional<String> cidr,
      Optional<Integer> prefixlen) {
    return sharding.entityRefFor(SubnetPoolEntity.TYPE_KEY, poolId)
        .ask(r -> new SubnetPoolEntity.Allocate(subnetId, cidr, prefixlen, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseCidr(String poolId, String subnetId) {
    return sharding.entityRefFor(SubnetPoolEntity.TYPE_KEY, poolId)
        .ask(r -> new SubnetPoolEntity.Release(subnetId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Attachment>> attachPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
        .ask(r -> new NetworkEntity.AttachPort(portId, projectId, deviceOwner, mac, ips, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Attachment>> readdressPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
        .ask(r -> new NetworkEntity.ReaddressPort(portId, projectId, deviceOwner, mac, ips, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> detachPort(String networkId, String portId) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
        .ask(r -> new NetworkEntity.DetachPort(portId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> joinGroup(String groupId, String portId, List<String> addresses) {
    return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, groupId)
        .ask(r -> new SecurityGroupEntity.Join(portId, addresses, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> leaveGroup(String groupId, String portId) {
    return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, groupId)
        .ask(r -> new SecurityGroupEntity.Leave(portId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> securePort(String networkId, String portId, PortSecurity security) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
        .ask(r -> new NetworkEntity.SecurePort(portId, security, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseFloatingIps(String portId) {
    return floatingIpsOf.apply(portId).thenCompose(ids -> {
      java.util.concurrent.CompletableFuture<StatusReply<Done>> all =
          java.util.concurrent.CompletableFuture.completedFuture(StatusReply.ack());
      for (String id : ids) {
        all = all.thenCompose(before -> sharding.entityRefFor(FloatingIpEntity.TYPE_KEY, id)
            .<StatusReply<FloatingIp>>ask(r -> new FloatingIpEntity.Associate(Optional.empty(), r), timeout)
            // one released meanwhile is as good as let go
            .thenApply(r -> before.isError() ? before
                : r.isError() && nimbus.cluster.Rejection.from(r.getError()).kind() != nimbus.cluster.Rejection.Kind.NOT_FOUND
                    ? StatusReply.<Done>error(r.getError()) : StatusReply.ack())).toCompletableFuture();
      }
      return all;
    });
  }
}
