package nimbus.network;

import nimbus.cluster.CborSerializable;

/**
 * A security group as it is after a change (its rules or its members), published to the hosts that
 * subscribed to it ({@link #topic}): those with a port in the group, or in a group with a rule
 * naming it as remote group. A deleted group is published once more, {@link SecurityGroup#deleted}.
 */
public record SecurityGroupChanged(SecurityGroup group) implements CborSerializable {

  /** The name of a group's topic. */
  public static String topic(String securityGroupId) {
    return "security-group-" + securityGroupId;
  }
}
