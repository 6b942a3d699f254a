package nimbus.node.dataplane;

import java.util.List;
import java.util.Optional;

/**
 * What a tenant network's dnsmasq does for its IPv6 subnets, by Neutron's modes. Neutron's
 * routers send the router advertisements (radvd) and its dnsmasq serves DHCPv6; Nimbus has no
 * routers yet, so the network's dnsmasq sends them too, from the bridge, for subnets whose
 * {@code ipv6_ra_mode} says OpenStack advertises them. Pure.
 *
 * <table>
 *   <caption>dnsmasq's range mode per subnet</caption>
 *   <tr><th>ra mode</th><th>address mode</th><th>range</th><th>guests get</th></tr>
 *   <tr><td>slaac</td><td>slaac or none</td><td>ra-only</td><td>the prefix (A flag): their EUI-64 address</td></tr>
 *   <tr><td>dhcpv6-stateless</td><td>same or none</td><td>ra-stateless</td><td>the prefix, and options by DHCPv6 (O flag)</td></tr>
 *   <tr><td>dhcpv6-stateful</td><td>same or none</td><td>static</td><td>their address by DHCPv6 (M flag): the port's, by MAC</td></tr>
 *   <tr><td>none</td><td>slaac</td><td>none</td><td>nothing from here: a router of the physical network advertises</td></tr>
 *   <tr><td>none</td><td>dhcpv6-* or none</td><td>static</td><td>DHCPv6 as Neutron's dnsmasq serves it, no advertisement</td></tr>
 * </table>
 *
 * <p>The advertisements carry the network's MTU and a router lifetime of 0: the host is not the
 * guests' router (nothing routes tenant traffic here), only the source of their prefix.
 */
final class TenantDhcp6 {
  /** Seconds between unsolicited advertisements; guests that boot ask (router solicitation) and are answered at once. */
  static final int RA_INTERVAL = 30;

  private TenantDhcp6() {}

  /** The subnet's {@code --dhcp-range}, if dnsmasq serves it. */
  static Optional<String> range(DhcpSubnet s) {
    DhcpSubnet.Ipv6Modes modes = s.ipv6().orElse(new DhcpSubnet.Ipv6Modes(Optional.empty(), Optional.empty()));
    String mode;
    if (modes.raMode().isPresent()) {
      mode = switch (modes.raMode().get()) {
        case "slaac" -> "ra-only";
        case "dhcpv6-stateless" -> "ra-stateless";
        default -> "static";
      };
    } else if (modes.addressMode().filter(m -> m.equals("slaac")).isPresent()) {
      return Optional.empty();
    } else {
      mode = "static";
    }
    String cidr = s.cidr();
    int slash = cidr.indexOf('/');
    return Optional.of("--dhcp-range=set:" + s.tag() + "," + cidr.substring(0, slash) + "," + mode + ","
        + cidr.substring(slash + 1) + "," + TenantDhcp.LEASE_TIME);
  }

  /** Router advertisements on the bridge, if one of the network's subnets has them sent from here. */
  static List<String> advertisements(HostNetwork network) {
    boolean any = network.subnets().stream()
        .anyMatch(s -> s.isIpv6() && s.ipv6().flatMap(DhcpSubnet.Ipv6Modes::raMode).isPresent());
    if (!any) return List.of();
    return List.of("--enable-ra", "--ra-param=" + network.segment().bridge() + ",mtu:" + network.segment().mtu()
        + "," + RA_INTERVAL + ",0");
  }

  /**
   * The subnet's DHCPv6 options: its name servers, sent empty when it has none (dnsmasq would
   * offer itself, where no DNS answers). None for SLAAC subnets, whose guests ask nothing.
   */
  static String options(DhcpSubnet s) {
    boolean slaacOnly = s.ipv6().map(m -> m.raMode().or(m::addressMode).filter(x -> x.equals("slaac")).isPresent())
        .orElse(false);
    if (slaacOnly) return "";
    StringBuilder text = new StringBuilder("tag:").append(s.tag()).append(",option6:dns-server");
    s.dnsServers().forEach(d -> text.append(",[").append(d).append(']'));
    return text.append('\n').toString();
  }
}
