package nimbus.node.storage;

import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The storage host's rules for its NBD ports, as the text {@code nft -f} reads: table
 * {@code inet }{@value #TABLE}, Nimbus's alone, whose input chain lets a TCP connection to
 * {@link NbdPorts} in only from the addresses in its sets (the cluster's compute hosts' underlay
 * addresses) and drops all else: other machines on the underlay, the host-local network's and
 * tenants' guests, other namespaces of the host. The export name's 128 random bits stay the second
 * lock. The chains are written as the agent starts ({@link #ruleset}), the sets kept apart from
 * them ({@link #members}), so the hosts joining and leaving change the sets alone, each change one
 * transaction. Pure.
 */
final class NbdFirewall {
  static final String TABLE = "nimbus-nbd";
  static final String MEMBERS4 = "computes4";
  static final String MEMBERS6 = "computes6";
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

  private NbdFirewall() {}

  /**
   * The chains for these ports, replacing whatever rules the table held; its sets (created empty if
   * the table is new) are kept as they are, so a new agent lets in the hosts the last one did.
   */
  static String ruleset(NbdPorts ports) {
    String declared = "table inet " + TABLE + " {\n"
        + "\tset " + MEMBERS4 + " { type ipv4_addr; }\n"
        + "\tset " + MEMBERS6 + " { type ipv6_addr; }\n"
        + "\tchain input { type filter hook input priority filter; policy accept; }\n"
        + "\tchain nbd {}\n"
        + "}\n";
    return declared
        + "flush chain inet " + TABLE + " input\n"
        + "flush chain inet " + TABLE + " nbd\n"
        + "table inet " + TABLE + " {\n"
        + "\tchain input {\n\t\ttcp dport " + ports.first() + "-" + ports.last() + " jump nbd\n\t}\n"
        + "\tchain nbd {\n"
        + "\t\tip saddr @" + MEMBERS4 + " accept\n"
        + "\t\tip6 saddr @" + MEMBERS6 + " accept\n"
        + "\t\tdrop\n"
        + "\t}\n"
        + "}\n";
  }

  /**
   * The sets holding exactly {@code addresses} ({@code exact}), or at least them (added to what
   * they hold: while the cluster's view of its hosts is not complete, nobody is taken out).
   */
  static String members(Collection<String> addresses, boolean exact) {
    addresses.stream().filter(a -> !literal(a)).findFirst().ifPresent(a -> {
      throw new IllegalArgumentException("not an IP address: " + a);
    });
    StringBuilder text = new StringBuilder();
    if (exact) {
      text.append("flush set inet ").append(TABLE).append(' ').append(MEMBERS4).append('\n');
      text.append("flush set inet ").append(TABLE).append(' ').append(MEMBERS6).append('\n');
    }
    elements(text, MEMBERS4, addresses.stream().filter(a -> !a.contains(":")).sorted().toList());
    elements(text, MEMBERS6, addresses.stream().filter(a -> a.contains(":")).sorted().toList());
    return text.toString();
  }

  /** Whether {@code address} is an IP address literal, the only thing the sets may hold. */
  static boolean literal(String address) {
    return IPV4.matcher(address).matches() || address.contains(":") && IPV6.matcher(address).matches();
  }

  private static void elements(StringBuilder text, String set, List<String> addresses) {
    if (addresses.isEmpty()) return;
    text.append("add element inet ").append(TABLE).append(' ').append(set)
        .append(addresses.stream().collect(Collectors.joining(", ", " { ", " }"))).append('\n');
  }
}
