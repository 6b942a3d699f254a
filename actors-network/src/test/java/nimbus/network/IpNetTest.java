package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** CIDRs, addresses and a subnet's pools and checks, IPv4 and IPv6. */
class IpNetTest {

  @Test
  void parsesStrictlyAndWritesAsUsersDo() {
    assertEquals("10.0.0.0/24", IpNet.parse("10.0.0.0/24").toString());
    assertEquals("2001:db8::/64", IpNet.parse("2001:db8::/64").toString());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> IpNet.parse("10.0.0.5/24")).getMessage()
        .contains("'10.0.0.0/24' is recommended"));
    assertThrows(IllegalArgumentException.class, () -> IpNet.parse("10.0.0.0/33"));
    assertThrows(IllegalArgumentException.class, () -> IpNet.parse("example.com/24"));
    assertTrue(IpNet.Address.parse("localhost").isEmpty(), "a name is never resolved");
    assertEquals("::1", IpNet.Address.parse("0:0:0:0:0:0:0:1").orElseThrow().toString());
  }

  @Test
  void overlapAndContainment() {
    assertTrue(IpNet.parse("10.0.0.0/16").overlaps(IpNet.parse("10.0.5.0/24")));
    assertFalse(IpNet.parse("10.0.0.0/24").overlaps(IpNet.parse("10.0.1.0/24")));
    assertFalse(IpNet.parse("10.0.0.0/24").contains(IpNet.Address.parse("10.0.1.0").orElseThrow()));
  }

  @Test
  void defaultPoolsLeaveOutTheGatewayAndTheNetworksOwnAddresses() {
    IpNet v4 = IpNet.parse("192.168.1.0/24");
    assertEquals(List.of(new Subnet.Pool("192.168.1.2", "192.168.1.254")),
        Subnet.defaultPools(v4, IpNet.Address.parse("192.168.1.1")));
    assertEquals(List.of(new Subnet.Pool("192.168.1.1", "192.168.1.99"), new Subnet.Pool("192.168.1.101", "192.168.1.254")),
        Subnet.defaultPools(v4, IpNet.Address.parse("192.168.1.100")));
    IpNet v6 = IpNet.parse("2001:db8::/64");
    assertEquals(List.of(new Subnet.Pool("2001:db8::2", "2001:db8::ffff:ffff:ffff:ffff")),
        Subnet.defaultPools(v6, IpNet.Address.parse("2001:db8::1")));
  }

  @Test
  void aSubnetsProblemsAreNamed() {
    assertTrue(subnet("10.0.0.0/24", "10.0.1.1", List.of(new Subnet.Pool("10.0.0.2", "10.0.0.9"))).problem().isEmpty());
    assertTrue(subnet("10.0.0.0/24", "10.0.0.1", List.of(new Subnet.Pool("10.0.0.2", "10.0.1.9"))).problem().orElseThrow()
        .contains("spans beyond the subnet cidr"));
    assertTrue(subnet("10.0.0.0/24", "10.0.0.5", List.of(new Subnet.Pool("10.0.0.2", "10.0.0.9"))).problem().orElseThrow()
        .contains("conflicts with allocation pool"));
    assertTrue(subnet("10.0.0.0/24", "10.0.0.1", List.of(new Subnet.Pool("10.0.0.2", "10.0.0.9"),
        new Subnet.Pool("10.0.0.9", "10.0.0.20"))).problem().orElseThrow().contains("overlapping"));
  }

  @Test
  void slaacAddressesComeFromTheMac() {
    Subnet s = new Subnet("s", "n", "p", "", "", 6, "2001:db8::/64", Optional.empty(), List.of(), true, List.of(),
        List.of(), Optional.of("slaac"), Optional.of("slaac"), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
    assertEquals("2001:db8::f816:3eff:fe12:3456", Ipam.eui64(s, "fa:16:3e:12:34:56"));
  }

  private static Subnet subnet(String cidr, String gateway, List<Subnet.Pool> pools) {
    return new Subnet("s", "n", "p", "", "", 4, cidr, Optional.of(gateway), pools, true, List.of(), List.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }
}
