package nimbus.node.dataplane;

/**
 * The host-local network: a bridge whose address is the first of the CIDR, and a DHCP range
 * over the rest (from .10 of the network to two below its broadcast address).
 */
public record LocalNetwork(String bridge, String cidr) {

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

  public String dhcpStart() {
    return dotted(Math.min(network() + 10, broadcast() - 2));
  }

  public String dhcpEnd() {
    return dotted(broadcast() - 1);
  }

  static String dotted(long ip) {
    return ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." + ((ip >> 8) & 255) + "." + (ip & 255);
  }
}
