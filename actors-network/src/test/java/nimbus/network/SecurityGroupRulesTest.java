package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Rules checked as Neutron checks them, with its messages. */
class SecurityGroupRulesTest {

  private static SecurityGroupRule rule(String ethertype, String protocol, Integer min, Integer max, String prefix) {
    return SecurityGroupRules.checked("r1", new SecurityGroupRules.Asked("g1", "p1", "ingress",
        Optional.ofNullable(ethertype), Optional.ofNullable(protocol), Optional.ofNullable(min),
        Optional.ofNullable(max), Optional.ofNullable(prefix), Optional.empty(), ""), Instant.EPOCH);
  }

  private static String refused(String ethertype, String protocol, Integer min, Integer max, String prefix) {
    return assertThrows(SecurityGroupRules.Refused.class, () -> rule(ethertype, protocol, min, max, prefix)).getMessage();
  }

  @Test
  void protocolsByNameOrNumberInCanonicalForm() {
    assertEquals(Optional.of("tcp"), rule(null, "TCP", 22, 22, null).protocol());
    assertEquals(Optional.of("17"), rule(null, "17", null, null, null).protocol());
    assertEquals(Optional.of("ipv6-icmp"), rule("ipv6", "icmp", null, null, null).protocol());
    assertEquals("IPv6", rule("ipv6", "icmp", null, null, null).ethertype());
    assertTrue(refused(null, "256", null, null, null).startsWith("SecurityGroupRuleInvalidProtocol: Security group rule "
        + "protocol 256 not supported."));
    assertTrue(refused(null, "bogus", null, null, null).contains("integer representations [0 to 255]"));
    assertTrue(refused("IPv5", null, null, null, null).startsWith("SecurityGroupRuleInvalidEtherType"));
  }

  @Test
  void portRangesAsNeutronChecksThem() {
    assertTrue(refused(null, null, 22, 22, null).contains("Must also specify protocol if port range is given."));
    assertTrue(refused(null, "tcp", 30, 20, null).contains("port_range_min must be <= port_range_max"));
    assertTrue(refused(null, "udp", 0, 20, null).contains("Invalid value for port 0"));
    assertTrue(refused(null, "icmp", 256, null, null).contains("Invalid value for ICMP type (port_range_min) 256. "
        + "It must be 0 to 255."));
    assertTrue(refused(null, "icmp", null, 3, null).startsWith("SecurityGroupMissingIcmpType"));
    assertTrue(refused(null, "gre", 1, 2, null).startsWith("SecurityGroupInvalidProtocolForPort"));
    assertEquals(Optional.empty(), rule(null, "tcp", 1, 65535, null).portRangeMin());
    assertEquals(Optional.of(8), rule(null, "icmp", 8, 0, null).portRangeMin());
  }

  @Test
  void remotePrefixesHaveAMaskAndTheRulesFamily() {
    assertEquals(Optional.of("10.0.0.5/32"), rule(null, null, null, null, "10.0.0.5").remoteIpPrefix());
    assertEquals(Optional.of("10.0.0.5/24"), rule(null, null, null, null, "10.0.0.5/24").remoteIpPrefix());
    assertTrue(refused(null, null, null, null, "2001:db8::/64").startsWith("SecurityGroupRuleParameterConflict: "
        + "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64"));
    assertTrue(refused(null, null, null, null, "10.0.0.0/33").startsWith("InvalidCIDR"));
    assertTrue(refused(null, "ipv6-icmp", null, null, null).startsWith("SecurityGroupEthertypeConflictWithProtocol"));
  }

  @Test
  void theSameRuleHasTheSameKeyWhateverItsWording() {
    assertEquals(SecurityGroupRules.key(rule(null, "tcp", 22, 22, "0.0.0.0/0")),
        SecurityGroupRules.key(rule("ipv4", "6", 22, 22, null)));
    assertNotEquals(SecurityGroupRules.key(rule(null, "tcp", 22, 22, null)),
        SecurityGroupRules.key(rule(null, "tcp", 22, 23, null)));
  }
}
