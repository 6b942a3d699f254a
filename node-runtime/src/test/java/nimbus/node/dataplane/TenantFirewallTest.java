package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nftables rules of tenant networks: the exact text, and that this machine's nft accepts it
 * (checked only, {@code nft -c}: nothing is changed).
 */
class TenantFirewallTest {
  @TempDir
  Path dir;

  private static final TenantFirewall.Guard VXLAN = new TenantFirewall.Guard(List.of("nvx-1001"), List.of("10.1.0.2"));
  /** An IPv4 and an IPv6 DHCP address: ARP rules are for the IPv4 one only. */
  private static final TenantFirewall.Guard DUAL = new TenantFirewall.Guard(List.of("nvx-1003"),
      List.of("10.4.0.2", "2001:db8:4::2"));
  private static final TenantFirewall.Guard GRE = new TenantFirewall.Guard(List.of("ngr-0123456789a", "ngr-0123456789b"),
      List.of("10.2.0.2", "10.3.0.2"));

  @Test
  void dhcpAndArpForDhcpAddressesNeverCrossAnUplinkAndGuestsReachOnlyDhcpOnTheHost() {
    assertEquals("""
        table bridge nimbus {}
        delete table bridge nimbus
        table inet nimbus {}
        delete table inet nimbus
        table bridge nimbus {
        	chain input {
        		type filter hook input priority filter; policy accept;
        		iifname "nvx-1001" udp dport { 67, 68 } drop
        		iifname "nvx-1001" udp dport { 546, 547 } drop
        		iifname "nvx-1001" arp saddr ip 10.1.0.2 drop
        		iifname "nvx-1001" arp daddr ip 10.1.0.2 drop
        	}
        	chain forward {
        		type filter hook forward priority filter; policy accept;
        		iifname "nvx-1001" udp dport { 67, 68 } drop
        		iifname "nvx-1001" udp dport { 546, 547 } drop
        		iifname "nvx-1001" arp saddr ip 10.1.0.2 drop
        		iifname "nvx-1001" arp daddr ip 10.1.0.2 drop
        		oifname "nvx-1001" udp dport { 67, 68 } drop
        		oifname "nvx-1001" udp dport { 546, 547 } drop
        		oifname "nvx-1001" arp saddr ip 10.1.0.2 drop
        		oifname "nvx-1001" arp daddr ip 10.1.0.2 drop
        	}
        	chain output {
        		type filter hook output priority filter; policy accept;
        		oifname "nvx-1001" udp dport { 67, 68 } drop
        		oifname "nvx-1001" udp dport { 546, 547 } drop
        		oifname "nvx-1001" arp saddr ip 10.1.0.2 drop
        		oifname "nvx-1001" arp daddr ip 10.1.0.2 drop
        		oifname "nvx-1001" icmpv6 type nd-router-advert drop
        		oifname "nvx-1001" ip6 saddr :: icmpv6 type nd-neighbor-solicit drop
        	}
        }
        table inet nimbus {
        	chain input {
        		type filter hook input priority filter; policy accept;
        		iifname "nbr-*" udp dport 67 accept
        		iifname "nbr-*" udp dport 547 accept
        		iifname "nbr-*" icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept
        		iifname "nbr-*" drop
        	}
        }
        """, TenantFirewall.ruleset(List.of(VXLAN)));
  }

  @Test
  void aNetworkWithoutDhcpKeepsOnlyDhcpFromCrossingAndSeveralAddressesAreOneSet() {
    String rules = TenantFirewall.ruleset(List.of(GRE, new TenantFirewall.Guard(List.of("nvx-7"), List.of()),
        new TenantFirewall.Guard(List.of(), List.of("10.9.0.2"))));
    assertTrue(rules.contains("\t\tiifname \"ngr-0123456789b\" arp daddr ip { 10.2.0.2, 10.3.0.2 } drop\n"), rules);
    assertTrue(rules.contains("\t\toifname \"nvx-7\" udp dport { 67, 68 } drop\n"), rules);
    assertTrue(!rules.contains("\"nvx-7\" arp") && !rules.contains("10.9.0.2"), "no uplink, no rule: " + rules);
  }

  @Test
  void ipv6DhcpAddressesNeedNoArpRules() {
    String rules = TenantFirewall.ruleset(List.of(DUAL));
    assertTrue(rules.contains("\t\tiifname \"nvx-1003\" arp saddr ip 10.4.0.2 drop\n"), rules);
    assertTrue(!rules.contains("2001:db8:4::2"), rules);
  }

  @Test
  void removingDeclaresBeforeDeletingSoItNeverFails() {
    assertEquals("""
        table bridge nimbus {}
        delete table bridge nimbus
        table inet nimbus {}
        delete table inet nimbus
        """, TenantFirewall.removal());
  }

  @Test
  void thisMachinesNftAcceptsTheRules() throws IOException {
    for (String rules : List.of(TenantFirewall.ruleset(List.of(VXLAN, GRE, DUAL)), TenantFirewall.ruleset(List.of()),
        TenantFirewall.removal())) {
      Path file = Files.writeString(dir.resolve("rules.nft"), rules);
      Shell.Result check = Shell.run(List.of("nft", "-c", "-f", file.toString()));
      assertEquals(0, check.exit(), check.output() + "\n" + rules);
    }
  }
}
