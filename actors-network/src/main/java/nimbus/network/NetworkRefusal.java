package nimbus.network;

import nimbus.cluster.Rejection;
import org.apache.pekko.pattern.StatusReply;

/**
 * Refusals in Neutron's words: the message carries Neutron's exception name ahead of the text
 * ({@code "NetworkInUse: Unable to ..."}), which the edge puts in {@code NeutronError.type}.
 */
public final class NetworkRefusal {
  private NetworkRefusal() {}

  public static <T> StatusReply<T> of(Rejection.Kind kind, String type, String message) {
    return Rejection.of(kind, type + ": " + message);
  }

  public static Rejection rejection(Rejection.Kind kind, String type, String message) {
    return new Rejection(kind, type + ": " + message);
  }

  public static <T> StatusReply<T> networkNotFound(String id) {
    return of(Rejection.Kind.NOT_FOUND, "NetworkNotFound", "Network " + id + " could not be found.");
  }

  public static <T> StatusReply<T> subnetNotFound(String id) {
    return of(Rejection.Kind.NOT_FOUND, "SubnetNotFound", "Subnet " + id + " could not be found.");
  }

  public static <T> StatusReply<T> portNotFound(String id) {
    return of(Rejection.Kind.NOT_FOUND, "PortNotFound", "Port " + id + " could not be found.");
  }

  public static <T> StatusReply<T> invalid(String message) {
    return of(Rejection.Kind.INVALID, "InvalidInput", "Invalid input for operation: " + message);
  }
}
