package nimbus.network;

import nimbus.cluster.CborSerializable;

/**
 * A router as it is after a change, published to the hosts that subscribed to it ({@link #topic}):
 * the host it is placed on builds it, a host it left removes it. A deleted router is published
 * once more, {@link Router#deleted}.
 */
public record RouterChanged(Router router) implements CborSerializable {

  /** The name of a router's topic. */
  public static String topic(String routerId) {
    return "router-" + routerId;
  }
}
