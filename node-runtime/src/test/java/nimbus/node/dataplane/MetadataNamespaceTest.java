package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A network's metadata namespace: its names, its MAC and the commands that make it. */
class MetadataNamespaceTest {
  private static final String NET = "3F2A9C1D-77b4-4e0a-9d21-5c6b7a8e9f00";
  private static final MetadataNamespace NS = new MetadataNamespace(NET, 1450);

  @Test
  void namesFollowTheNetworkAndFitLinux() {
    assertEquals("nm-3f2a9c1d77b", NS.name());
    assertEquals("nmv-3f2a9c1d77b", NS.outside());
    assertEquals("nmi-3f2a9c1d77b", NS.inside());
    assertTrue(NS.outside().length() <= TenantSegment.MAX_DEVICE_NAME && NS.inside().length() <= TenantSegment.MAX_DEVICE_NAME);
    assertTrue(MetadataNamespace.isMetadataNamespace(NS.name()));
    assertFalse(MetadataNamespace.isMetadataNamespace("host1"), "an operator's namespace is not ours");
    assertFalse(MetadataNamespace.isMetadataNamespace("nm-3f2a9c1d77bx"));
    assertThrows(IllegalArgumentException.class, () -> new MetadataNamespace("../etc", 1450));
  }

  @Test
  void itsMacIsTheSameOnEveryHostAndAnotherNetworksDiffers() {
    assertEquals(NS.mac(), new MetadataNamespace(NET.toLowerCase(), 1500).mac());
    assertTrue(NS.mac().matches("fa:16:3f(:[0-9a-f]{2}){3}"), NS.mac());
    assertNotEquals(NS.mac(), new MetadataNamespace("3f2a9c1d-77b4-4e0a-9d21-5c6b7a8e9f01", 1450).mac());
  }

  @Test
  void aNewNamespaceGetsItsVethOnTheBridgeAndOnlyTheMetadataAddress() {
    assertEquals(List.of(
        List.of("ip", "netns", "add", "nm-3f2a9c1d77b"),
        List.of("ip", "link", "add", "nmv-3f2a9c1d77b", "mtu", "1450", "type", "veth", "peer", "name", "nmi-3f2a9c1d77b",
            "mtu", "1450", "address", NS.mac(), "netns", "nm-3f2a9c1d77b"),
        List.of("ip", "link", "set", "dev", "nmv-3f2a9c1d77b", "mtu", "1450", "master", "nbr-3f2a9c1d77b", "up"),
        List.of("ip", "-n", "nm-3f2a9c1d77b", "link", "set", "dev", "lo", "up"),
        List.of("ip", "-n", "nm-3f2a9c1d77b", "link", "set", "dev", "nmi-3f2a9c1d77b", "mtu", "1450", "address", NS.mac(), "up"),
        List.of("ip", "-n", "nm-3f2a9c1d77b", "addr", "replace", "169.254.169.254/32", "dev", "nmi-3f2a9c1d77b"),
        List.of("ip", "-n", "nm-3f2a9c1d77b", "route", "replace", "default", "dev", "nmi-3f2a9c1d77b")),
        NS.ensure(Set.of("other"), Set.of("nbr-3f2a9c1d77b"), "nbr-3f2a9c1d77b"));
  }

  @Test
  void whatExistsIsNotMadeAgain() {
    List<List<String>> again = NS.ensure(Set.of("nm-3f2a9c1d77b"), Set.of("nmv-3f2a9c1d77b"), "nbr-3f2a9c1d77b");
    assertTrue(again.stream().noneMatch(c -> c.contains("add")), "no add of what is there: " + again);
    List<List<String>> lostVeth = NS.ensure(Set.of("nm-3f2a9c1d77b"), Set.of(), "nbr-3f2a9c1d77b");
    assertEquals("add", lostVeth.get(0).get(2), "a veth the host lost is made again: " + lostVeth);
    assertEquals(List.of("ip", "netns", "delete", "nm-3f2a9c1d77b"), NS.remove());
  }

  @Test
  void namespaceNamesAreReadFromIpNetnsList() {
    assertEquals(Set.of("nm-3f2a9c1d77b", "host1"), MetadataNamespace.namespaceNames("nm-3f2a9c1d77b (id: 3)\nhost1\n\n"));
  }
}
