package nimbus.node.router;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The nftables rules of a router's namespace, as the text {@code nft -f} reads: one table,
 * {@value #TABLE}, declared, deleted and written whole, so one load replaces it in a single
 * transaction however often it runs. Pure.
 *
 * <ul>
 *   <li>forward: between the router's legs only;
 *   <li>prerouting: traffic to a floating address goes to its fixed address (DNAT);
 *   <li>postrouting, leaving through the gateway leg: from a fixed address with a floating one,
 *       from the floating address; else, with SNAT on, from the gateway address. The floating
 *       IPs' rule comes first, so it takes precedence.
 * </ul>
 *
 * Floating IPs are two maps, so a packet costs one lookup however many a router has.
 */
public final class RouterFirewall {
  public static final String TABLE = "nimbus_router";

  private RouterFirewall() {}

  public static String ruleset(RouterPlan plan) {
    StringBuilder text = new StringBuilder();
    text.append("table ip ").append(TABLE).append(" {}\n");
    text.append("delete table ip ").append(TABLE).append('\n');
    text.append("table ip ").append(TABLE).append(" {\n");
    map(text, "floating_in", plan.floatingIps().stream().map(f -> f.floatingAddress() + " : " + f.fixedAddress()).toList());
    map(text, "floating_out", plan.floatingIps().stream().map(f -> f.fixedAddress() + " : " + f.floatingAddress()).toList());
    text.append("\tset floating_pairs {\n\t\ttype ipv4_addr . ipv4_addr\n");
    if (!plan.floatingIps().isEmpty()) {
      text.append("\t\telements = { ").append(plan.floatingIps().stream().map(f -> f.floatingAddress() + " . " + f.fixedAddress())
          .collect(Collectors.joining(", "))).append(" }\n");
    }
    text.append("\t}\n");
    text.append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
    // conntrack keeps translating a connection a floating IP let in after the mapping is gone:
    // such a connection ends with its mapping (Neutron deletes its conntrack state)
    text.append("\t\tct status dnat ct original ip daddr . ct reply ip saddr != @floating_pairs drop\n");
    if (!plan.legs().isEmpty()) {
      String legs = plan.legs().stream().map(l -> '"' + l.inside() + '"').collect(Collectors.joining(", ", "{ ", " }"));
      text.append("\t\tiifname ").append(legs).append(" oifname ").append(legs).append(" accept\n");
    }
    text.append("\t}\n");
    text.append("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
    text.append("\t\tdnat to ip daddr map @floating_in\n");
    text.append("\t}\n");
    text.append("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
    plan.gateway().ifPresent(g -> {
      text.append("\t\toifname \"").append(g.inside()).append("\" snat to ip saddr map @floating_out\n");
      plan.snatAddress().ifPresent(a ->
          text.append("\t\toifname \"").append(g.inside()).append("\" snat to ").append(a).append('\n'));
    });
    text.append("\t}\n}\n");
    return text.toString();
  }

  private static void map(StringBuilder text, String name, List<String> elements) {
    text.append("\tmap ").append(name).append(" {\n\t\ttype ipv4_addr : ipv4_addr\n");
    if (!elements.isEmpty()) text.append("\t\telements = { ").append(String.join(", ", elements)).append(" }\n");
    text.append("\t}\n");
  }
}
