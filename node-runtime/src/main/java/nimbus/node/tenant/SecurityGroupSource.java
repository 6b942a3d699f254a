package nimbus.node.tenant;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Where a host asks for a security group as it is now (empty: there is no such group). */
public interface SecurityGroupSource {

  /** The group, or empty if it does not exist; fails if it cannot be asked now. */
  CompletionStage<Optional<SecurityGroup>> fetch(String securityGroupId);

  /** Asks the group's entity; its "not found" is an empty answer, any other failure fails. */
  static SecurityGroupSource sharded(ClusterSharding sharding, Duration timeout) {
    return id -> sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, id)
        .<SecurityGroup>askWithStatus(SecurityGroupEntity.Get::new, timeout)
        .handle((group, error) -> {
          if (error == null) return Optional.of(group);
          if (Rejection.isNotFound(error)) return Optional.<SecurityGroup>empty();
          throw new CompletionException(error);
        });
  }
}
