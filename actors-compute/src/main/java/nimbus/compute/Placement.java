package nimbus.compute;

import nimbus.cluster.CborSerializable;

/**
 * A server's server group (of project {@code projectId}) and that group's policy, which the
 * scheduler and the hosts obey.
 */
public record Placement(String projectId, String groupId, String policy) implements CborSerializable {
  public static final String AFFINITY = "affinity";
  public static final String ANTI_AFFINITY = "anti-affinity";
  /** Nova's 2.15 policies: a preference the scheduler weighs, never a reason to refuse a host. */
  public static final String SOFT_AFFINITY = "soft-affinity";
  public static final String SOFT_ANTI_AFFINITY = "soft-anti-affinity";

  /** Members must be on different hosts (anti-affinity). */
  public boolean apart() {
    return policy.equals(ANTI_AFFINITY);
  }

  /** Members must be on the same host (affinity). */
  public boolean together() {
    return policy.equals(AFFINITY);
  }

  /** Whether the policy is only a preference (soft-affinity, soft-anti-affinity). */
  public boolean soft() {
    return policy.equals(SOFT_AFFINITY) || policy.equals(SOFT_ANTI_AFFINITY);
  }
}
