package nimbus.node.dataplane;

import java.util.Optional;
import java.util.Set;

/**
 * The host-local network: a bridge whose address is the first of the CIDR, and fixed addresses
 * for servers over the rest (from .10 of the network to one below its broadcast address).
 */
public record LocalNetwork(String bridge, String cidr) {
  /** OpenStack's MAC prefix, so tools that know Nova's NICs recognise ours. */
  private static final String MAC_PREFIX = "fa:16:3e";

  int prefix() {
    return Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
  }

  private long network() {
    long ip = 0;
    for (String part : cidr.substring(0, cidr.indexOf('/')).split("\\.")) ip = (ip << 8) | Integer.parseInt(part);
    long mask = (0xFFFFFFFFL << (32 - prefix())) & 0xFFFFFFFFL;
    return ip & mask;
  }

  private long broadcast() {
    return network() | ((1L << (32 - prefix())) - 1);
  }

  /** The bridge's own address, with prefix (e.g. 10.99.0.1/24). */
  public String gatewayWithPrefix() {
    return dotted(network() + 1) + "/" + prefix();
  }

  /** The network's own address (e.g. 10.99.0.0). */
  public String address() {
    return dotted(network());
  }

  public String netmask() {
    return dotted((0xFFFFFFFFL << (32 - prefix())) & 0xFFFFFFFFL);
  }

  public String dhcpStart() {
    return dotted(firstServer());
  }

  public String dhcpEnd() {
    return dotted(broadcast() - 1);
  }

  private long firstServer() {
    return Math.min(network() + 10, broadcast() - 2);
  }

  /** The lowest server address not in {@code used}; empty when all are taken. */
  public Optional<String> freeAddress(Set<String> used) {
    for (long ip = firstServer(); ip < broadcast(); ip++) {
      if (!used.contains(dotted(ip))) return Optional.of(dotted(ip));
    }
    return Optional.empty();
  }

  /**
   * The MAC of the NIC that holds {@code ip}: the prefix and the address's last three bytes, so
   * no two NICs on this network share one.
   */
  public static String macOf(String ip) {
    String[] p = ip.split("\\.");
    return String.format("%s:%02x:%02x:%02x", MAC_PREFIX,
        Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]));
  }

  static String dotted(long ip) {
    return ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." + ((ip >> 8) & 255) + "." + (ip & 255);
  }
}
