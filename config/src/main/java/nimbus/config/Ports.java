package nimbus.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Port range checks, and the start-up check that a port this node binds is free. */
public final class Ports {
  private Ports() {}

  static int check(String setting, int port, boolean zeroAllowed) {
    if (port < (zeroAllowed ? 0 : 1) || port > 65535) {
      throw new SettingsException(setting, port + " is not a TCP port",
          "use a number from " + (zeroAllowed ? 0 : 1) + " to 65535");
    }
    return port;
  }

  /** Fails with a one-line message if {@code host:port} cannot be bound now. */
  public static void requireFree(String setting, String host, int port) {
    if (port == 0) return;
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new SettingsException(setting, host + ":" + port + " is already in use",
          "stop the process that holds it or choose another port");
    }
  }
}
