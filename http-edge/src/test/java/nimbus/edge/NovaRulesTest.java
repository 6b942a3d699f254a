package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Nova's rule checks and the Neutron rule Nova asks for, without a cloud. */
class NovaRulesTest {
  private static NovaRules.Rule asked(String json, Optional<String> group) {
    return NovaRules.asked(Json.parseObject(json), group);
  }

  @Test
  void anIcmpRuleOfAnyTypeAsksNeutronForNoPorts() {
    NovaRules.Rule rule = asked("{\"ip_protocol\": \"icmp\", \"from_port\": -1, \"to_port\": -1, "
        + "\"cidr\": \"10.0.0.0%2F8\"}", Optional.empty());
    assertEquals(Optional.of("10.0.0.0/8"), rule.cidr(), "Nova takes a URL-encoded range");
    assertEquals("{\"security_group_id\":\"g\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"icmp\","
        + "\"remote_ip_prefix\":\"10.0.0.0/8\",\"remote_group_id\":null}", NovaRules.neutronItem("g", rule).toString());
  }

  @Test
  void aGroupsRuleOpensTheProtocolsRangeAndAStringPortIsANumber() {
    NovaRules.Rule fromGroup = asked("{\"ip_protocol\": \"TCP\"}", Optional.of("src"));
    assertEquals(Optional.of(1), fromGroup.fromPort());
    assertEquals(Optional.of(65535), fromGroup.toPort());
    assertEquals(Optional.empty(), fromGroup.cidr());
    NovaRules.Rule strings = asked("{\"ip_protocol\": \"udp\", \"from_port\": \"53\", \"to_port\": \"53\"}",
        Optional.empty());
    assertEquals(Optional.of(53), strings.fromPort());
    assertEquals(Optional.of("0.0.0.0/0"), strings.cidr(), "no range is every address");
  }

  @Test
  void novasRefusals() {
    assertEquals("Bad prefix for network in cidr 10.0.0.0/0", assertThrows(ApiError.class, () -> asked(
        "{\"ip_protocol\": \"tcp\", \"from_port\": 1, \"to_port\": 2, \"cidr\": \"10.0.0.0/0\"}", Optional.empty()))
        .getMessage());
    assertEquals("Invalid input received: Type and Code must be integers for ICMP protocol type",
        assertThrows(ApiError.class, () -> asked("{\"ip_protocol\": \"icmp\", \"from_port\": 1.5, \"to_port\": 2}",
            Optional.empty())).getMessage());
    assertEquals("Invalid port range 1:65536. Valid UDP ports should be between 1-65535",
        assertThrows(ApiError.class, () -> asked("{\"ip_protocol\": \"udp\", \"from_port\": 1, \"to_port\": 65536}",
            Optional.empty())).getMessage());
  }
}
