package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NbdFirewallTest {
  @Test
  void aRangeHoldingSshTheNodesOwnPortsOrOutgoingPortsIsNoExportRange() {
    Map<String, Integer> own = Map.of("nimbus.api.port", 8774, "nimbus.cluster.port", 25520);
    NbdPorts outgoing = new NbdPorts(32768, 60999);
    assertEquals(Optional.empty(), NbdPorts.parse("10809-11308").clash(own, outgoing));
    assertEquals(Optional.of("it holds privileged ports (below 1024)"), NbdPorts.parse("22-2000").clash(own, outgoing));
    assertEquals(Optional.of("it holds nimbus.api.port 8774"), NbdPorts.parse("8000-9000").clash(own, outgoing));
    assertEquals(Optional.of("it overlaps the kernel's ports for outgoing connections (32768-60999)"),
        NbdPorts.parse("30000-33000").clash(own, outgoing));
  }

  @Test
  void theChainsLetOnlyTheSetsMembersReachTheNbdPortsAndKeepTheSets() {
    assertEquals("""
        table inet nimbus-nbd {
        \tset computes4 { type ipv4_addr; }
        \tset computes6 { type ipv6_addr; }
        \tchain input { type filter hook input priority filter; policy accept; }
        \tchain nbd {}
        }
        flush chain inet nimbus-nbd input
        flush chain inet nimbus-nbd nbd
        table inet nimbus-nbd {
        \tchain input {
        \t\ttcp dport 10809-11308 jump nbd
        \t}
        \tchain nbd {
        \t\tip saddr @computes4 accept
        \t\tip6 saddr @computes6 accept
        \t\tdrop
        \t}
        }
        """, NbdFirewall.ruleset(new NbdPorts(10809, 11308)));
  }

  @Test
  void theMembersReplaceTheSetsOrAreOnlyAddedWhileTheViewIsIncomplete() {
    List<String> hosts = List.of("10.252.0.12", "fd00::2", "10.252.0.11");
    assertEquals("""
        flush set inet nimbus-nbd computes4
        flush set inet nimbus-nbd computes6
        add element inet nimbus-nbd computes4 { 10.252.0.11, 10.252.0.12 }
        add element inet nimbus-nbd computes6 { fd00::2 }
        """, NbdFirewall.members(hosts, true));
    assertEquals("add element inet nimbus-nbd computes4 { 10.252.0.11, 10.252.0.12 }\n"
        + "add element inet nimbus-nbd computes6 { fd00::2 }\n", NbdFirewall.members(hosts, false));
    assertEquals("flush set inet nimbus-nbd computes4\nflush set inet nimbus-nbd computes6\n",
        NbdFirewall.members(Set.of(), true), "no host: nobody");
    assertEquals("", NbdFirewall.members(Set.of(), false));
  }

  @Test
  void onlyAddressLiteralsReachTheRules() {
    assertTrue(NbdFirewall.literal("10.252.0.11") && NbdFirewall.literal("fd00::1") && NbdFirewall.literal("::ffff:10.0.0.1"));
    for (String bad : List.of("10.252.0.11 }\nflush ruleset", "host1", "10.0.0.256", "1.2.3", "", ":")) {
      assertFalse(NbdFirewall.literal(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> NbdFirewall.members(List.of("10.0.0.1 } ; flush ruleset"), true));
  }

  @Test
  void thePortsAreARange() {
    assertEquals(new NbdPorts(10809, 11308), NbdPorts.parse(" 10809-11308 "));
    for (String bad : List.of("10809", "11308-10809", "0-10", "1-70000", "a-b", "1-2-3")) {
      assertThrows(IllegalArgumentException.class, () -> NbdPorts.parse(bad), bad);
    }
  }
}
