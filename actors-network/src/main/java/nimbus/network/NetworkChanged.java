package nimbus.network;

import nimbus.cluster.CborSerializable;

/**
 * A network as it is after a change, published to every host that subscribed to it
 * ({@link #topic}): its agents rebuild tunnels and DHCP leases from it. A network that is gone is
 * published once more, in its last phase, so hosts tear it down.
 */
public record NetworkChanged(Network network) implements CborSerializable {

  /** The name of a network's topic. */
  public static String topic(String networkId) {
    return "network-" + networkId;
  }
}
