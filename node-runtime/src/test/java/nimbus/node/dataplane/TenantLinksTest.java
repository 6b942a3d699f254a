package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import nimbus.node.agent.CommandRunner;
import org.junit.jupiter.api.Test;

/**
 * {@link TenantLinks} joining taps to their bridge, with commands answered by a script: a tap
 * that goes while it is joined (its guest stopped) fails nothing, one that stays and cannot be
 * joined fails the network.
 */
class TenantLinksTest {
  private static final String NETWORK = "7d3e7a1c-5a38-4f5e-9f34-1d2b9d0c4e11";
  private static final TenantPort PORT =
      new TenantPort("server-1", "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8", "fa:16:3e:00:00:01", Optional.empty(), "one");
  private static final HostNetwork NETWORK_HERE = new HostNetwork(
      new TenantSegment(NETWORK, NetworkType.VXLAN, Optional.of(7), Optional.empty(), 1450), Set.of(), List.of(),
      Optional.empty(), List.of(PORT), List.of());

  @Test
  void aTapThatGoesWhileItIsJoinedFailsNothing() {
    AtomicBoolean tapGone = new AtomicBoolean(false);
    CommandRunner host = (command, timeout) -> {
      if (command.contains("show") && command.contains("link")) return listing(!tapGone.get());
      if (command.contains("master") && command.contains(PORT.tap())) {
        tapGone.set(true); // the guest stopped just now: libvirt removed its tap
        throw new IllegalStateException("ip link set failed: Cannot find device \"" + PORT.tap() + "\"");
      }
      return "";
    };
    assertDoesNotThrow(() -> new TenantLinks(host, "192.0.2.1", "nimbus0", java.util.Map.of()).ensure(NETWORK_HERE));
  }

  @Test
  void aTapThatStaysAndCannotBeJoinedFailsTheNetwork() {
    CommandRunner host = (command, timeout) -> {
      if (command.contains("show") && command.contains("link")) return listing(true);
      if (command.contains("master") && command.contains(PORT.tap())) {
        throw new IllegalStateException("ip link set failed: Error: mtu greater than device maximum.");
      }
      return "";
    };
    assertThrows(IllegalStateException.class, () -> new TenantLinks(host, "192.0.2.1", "nimbus0", java.util.Map.of()).ensure(NETWORK_HERE));
  }

  /** {@code ip -o link show} of a host with the network's bridge and VXLAN device, and the tap if {@code withTap}. */
  private static String listing(boolean withTap) {
    String bridge = TenantSegment.bridgeOf(NETWORK);
    return "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n"
        + "5: " + bridge + ": <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP\n"
        + "6: nvx-7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master " + bridge + " state UNKNOWN\n"
        + (withTap ? "7: " + PORT.tap() + ": <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc fq master " + bridge
            + " state UNKNOWN\n" : "");
  }
}
