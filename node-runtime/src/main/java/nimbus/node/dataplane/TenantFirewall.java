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
 *       (UDP 67 and 68) nor ARP for those addresses may cross a
 *       network's uplinks, in either direction: not to this host (input), not between its ports
 *       (forward), not from it (output);
 *   <li>inet: guests reach nothing on the host but its DHCP servers: what arrives on a tenant
 *       bridge is dropped unless it is for UDP port 67.
 * </ul>
 */
public final class TenantFirewall {
  public static final String TABLE = "nimbus";
  private static final String DHCP = "udp dport { 67, 68 }";

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
      }
    }
    text.append("\t}\n");
  }

  private static void rules(StringBuilder text, String device, Guard g) {
    text.append("\t\t").append(device).append(' ').append(DHCP).append(" drop\n");
    if (g.dhcpAddresses().isEmpty()) return;
    String addresses = g.dhcpAddresses().size() == 1 ? g.dhcpAddresses().get(0)
        : g.dhcpAddresses().stream().collect(Collectors.joining(", ", "{ ", " }"));
    text.append("\t\t").append(device).append(" arp saddr ip ").append(addresses).append(" drop\n");
    text.append("\t\t").append(device).append(" arp daddr ip ").append(addresses).append(" drop\n");
  }
}
