package nimbus.node.dataplane;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The nftables rules of the host's tenant networks, as the text {@code nft -f} reads. Two tables
 * named {@value #TABLE}, one in the bridge family and one in the inet family, belong to Nimbus
 * entirely: each text first creates and deletes them, then writes them whole, so one
 * {@code nft -f} replaces them in a single transaction (never half old, half new) however often
 * it runs. Pure.
 *
 * <ul>
 *   <li>bridge: every host answers DHCP for its own guests only, from the same address and MAC on
 *       every host (and the metadata service from 169.254.169.254 on every host), so neither DHCP
 *       (UDP 67 and 68; DHCPv6, 546 and 547) nor ARP for those addresses may cross a network's
 *       uplinks, in either direction: not to this host (input), not between its ports (forward),
 *       not from it (output); nor may this host's own router advertisements and duplicate address
 *       probes (its IPv6 addresses are every host's) leave;
 *   <li>inet: guests reach nothing on the host but its DHCP servers: what arrives on a tenant
 *       bridge is dropped unless it is for UDP port 67 or 547, or IPv6 neighbour discovery and
 *       router solicitation (which DHCPv6 and advertisements need).
 * </ul>
 */
public final class TenantFirewall {
  public static final String TABLE = "nimbus";
  private static final String DHCP = "udp dport { 67, 68 }";
  private static final String DHCP6 = "udp dport { 546, 547 }";

  private TenantFirewall() {}

  /**
   * One network's devices towards other hosts, and the addresses each host answers for itself
   * there: its DHCP servers' and the metadata service's.
   */
  public record Guard(List<String> uplinks, List<String> dhcpAddresses) {
    public Guard {
      uplinks = List.copyOf(uplinks);
      dhcpAddresses = List.copyOf(dhcpAddresses);
    }
  }

  /** The rules for these networks, replacing whatever the tables held. */
  public static String ruleset(List<Guard> guards) {
    StringBuilder text = new StringBuilder(removal());
    text.append("table bridge ").append(TABLE).append(" {\n");
    chain(text, "input", guards, true, false);
    chain(text, "forward", guards, true, true);
    chain(text, "output", guards, false, true);
    text.append("}\n");
    text.append("table inet ").append(TABLE).append(" {\n");
    text.append("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
    text.append("\t\tiifname \"nbr-*\" udp dport 67 accept\n");
    text.append("\t\tiifname \"nbr-*\" udp dport 547 accept\n");
    text.append("\t\tiifname \"nbr-*\" icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept\n");
    text.append("\t\tiifname \"nbr-*\" drop\n");
    text.append("\t}\n}\n");
    return text.toString();
  }

  /** Removes both tables (a host that carries no tenant network keeps no rules for them). */
  public static String removal() {
    StringBuilder text = new StringBuilder();
    for (String family : List.of("bridge", "inet")) {
      // declaring a table that exists changes nothing, so the delete never fails
      text.append("table ").append(family).append(' ').append(TABLE).append(" {}\n");
      text.append("delete table ").append(family).append(' ').append(TABLE).append('\n');
    }
    return text.toString();
  }

  private static void chain(StringBuilder text, String hook, List<Guard> guards, boolean in, boolean out) {
    text.append("\tchain ").append(hook).append(" {\n\t\ttype filter hook ").append(hook)
        .append(" priority filter; policy accept;\n");
    for (Guard g : guards) {
      for (String uplink : g.uplinks()) {
        if (in) rules(text, "iifname \"" + uplink + "\"", g);
        if (out) rules(text, "oifname \"" + uplink + "\"", g);
        if (out && !in) ownIpv6(text, "oifname \"" + uplink + "\"");
      }
    }
    text.append("\t}\n");
  }

  /** What only this host sends: its router advertisements, and probes for its own IPv6 addresses (from ::). */
  private static void ownIpv6(StringBuilder text, String device) {
    text.append("\t\t").append(device).append(" icmpv6 type nd-router-advert drop\n");
    text.append("\t\t").append(device).append(" ip6 saddr :: icmpv6 type nd-neighbor-solicit drop\n");
  }

  private static void rules(StringBuilder text, String device, Guard g) {
    text.append("\t\t").append(device).append(' ').append(DHCP).append(" drop\n");
    text.append("\t\t").append(device).append(' ').append(DHCP6).append(" drop\n");
    List<String> ipv4 = g.dhcpAddresses().stream().filter(a -> !a.contains(":")).toList();
    if (ipv4.isEmpty()) return;
    String addresses = ipv4.size() == 1 ? ipv4.get(0) : ipv4.stream().collect(Collectors.joining(", ", "{ ", " }"));
    text.append("\t\t").append(device).append(" arp saddr ip ").append(addresses).append(" drop\n");
    text.append("\t\t").append(device).append(" arp daddr ip ").append(addresses).append(" drop\n");
  }
}
