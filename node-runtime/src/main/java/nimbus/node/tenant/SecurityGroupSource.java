package nimbus.node.tenant;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.network.SecurityGroup;

/** Where a host asks for a security group as it is now (empty: there is no such group). */
public interface SecurityGroupSource {

  /** The group, or empty if it does not exist; fails if it cannot be asked now. */
  CompletionStage<Optional<SecurityGroup>> fetch(String securityGroupId);

  /** Knows no group: filtered ports are let nothing in or out by rules (no port is filtered yet anyway). */
  SecurityGroupSource NONE = id -> CompletableFuture.completedFuture(Optional.empty());
}
