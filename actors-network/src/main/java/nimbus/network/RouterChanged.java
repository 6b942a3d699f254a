package nimbus.network;

import nimbus.cluster.CborSerializable;

/**
 * A router as it is after a change, published to its host ({@link #hostTopic}): the host it is
 * placed on builds it, a host it left removes it. A deleted router is published once more,
 * {@link Router#deleted}.
 */
public record RouterChanged(Router router) implements CborSerializable {

  /**
   * The name of the topic of the routers placed on {@code host}: every change of a router there
   * (and of one that left it, or was deleted) is published here.
   */
  public static String hostTopic(String host) {
    return "routers-on-" + host;
  }
}
