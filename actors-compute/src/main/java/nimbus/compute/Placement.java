package nimbus.compute;

import nimbus.cluster.CborSerializable;

/**
 * A server's server group (of project {@code projectId}) and that group's policy, which the
 * scheduler and the hosts obey.
 */
public record Placement(String projectId, String groupId, String policy) implements CborSerializable {
  public static final String AFFINITY = "affinity";
  public static final String ANTI_AFFINITY = "anti-affinity";

  /** Members must be on different hosts (anti-affinity); otherwise on the same one. */
  public boolean apart() {
    return policy.equals(ANTI_AFFINITY);
  }
}
