package nimbus.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A host's underlay address: where the tunnels of tenant networks start here and end from other
 * hosts, so it must be an address other hosts reach (never only loopback when there is another).
 */
final class Underlay {
  private static final String KEY = "nimbus.host.underlay-address";
  private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
  /** Devices Nimbus makes (the host-local bridge and tenant networks' devices): their addresses are guests' side. */
  private static final Pattern NIMBUS_DEVICE = Pattern.compile("n(br|vx|vl|gr|tp)-.*");

  private Underlay() {}

  /** {@code value} if it is a host's IP address written as one (a name would need DNS at every start). */
  static String literal(String value) {
    if (IPV4.matcher(value).matches() || IPV6.matcher(value).matches()) {
      try {
        InetAddress a = InetAddress.getByName(value); // a literal is parsed, never looked up
        if (!a.isAnyLocalAddress() && !a.isMulticastAddress()) return value;
      } catch (UnknownHostException e) {
        // refused below
      }
    }
    throw new SettingsException(KEY, "'" + value + "' is not a host's IP address",
        "write this host's address on the network between the hosts, e.g. 192.0.2.10 (empty: the address its name resolves to)");
  }

  /**
   * What the host's name resolves to, unless that is loopback only; then the first address of
   * this machine's own interfaces (IPv4 first; not Nimbus's bridges, whose addresses belong to
   * guests' networks); loopback only on a machine with nothing else (a one-host cloud).
   */
  static String defaultAddress(String hostName, String localBridge) {
    try {
      for (InetAddress a : InetAddress.getAllByName(hostName)) {
        if (reachable(a)) return a.getHostAddress();
      }
    } catch (UnknownHostException e) {
      // a name only the cluster knows: the interfaces say
    }
    List<InetAddress> own = new ArrayList<>();
    try {
      for (NetworkInterface i : NetworkInterface.networkInterfaces()
          .sorted(Comparator.comparingInt(NetworkInterface::getIndex)).toList()) {
        if (!i.isUp() || i.isLoopback() || i.getName().equals(localBridge) || NIMBUS_DEVICE.matcher(i.getName()).matches()) {
          continue;
        }
        i.inetAddresses().filter(Underlay::reachable).forEach(own::add);
      }
    } catch (SocketException e) {
      // no interfaces readable: loopback below
    }
    return own.stream().sorted(Comparator.comparing(a -> a instanceof Inet4Address ? 0 : 1)).findFirst()
        // an interface's IPv6 address carries its scope ("%eth0"), which is no part of the address
        .map(a -> a.getHostAddress().replaceFirst("%.*", "")).orElse("127.0.0.1");
  }

  private static boolean reachable(InetAddress a) {
    return !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress() && !a.isMulticastAddress();
  }
}
