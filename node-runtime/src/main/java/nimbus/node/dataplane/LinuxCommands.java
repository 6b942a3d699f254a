package nimbus.node.dataplane;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The iproute2 and dnsmasq command lines that build the host-local network, optionally inside a
 * network namespace (a simulated host). Pure: input a network, output argument lists.
 */
public final class LinuxCommands {
  private final LocalNetwork network;
  private final Optional<String> netns;

  public LinuxCommands(LocalNetwork network, Optional<String> netns) {
    this.network = network;
    this.netns = netns;
  }

  private List<String> in(List<String> command) {
    if (netns.isEmpty()) return command;
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", netns.get()));
    out.addAll(command);
    return out;
  }

  public List<String> showBridge() {
    return in(List.of("ip", "-o", "link", "show", "dev", network.bridge()));
  }

  public List<String> addBridge() {
    return in(List.of("ip", "link", "add", "name", network.bridge(), "type", "bridge"));
  }

  /** {@code replace}, not {@code add}: running it again is harmless. */
  public List<String> setAddress() {
    return in(List.of("ip", "addr", "replace", network.gatewayWithPrefix(), "dev", network.bridge()));
  }

  public List<String> bringUp() {
    return in(List.of("ip", "link", "set", "dev", network.bridge(), "up"));
  }

  /** DHCP only (--port=0 turns DNS off), bound to the bridge alone. */
  public List<String> startDnsmasq(Path pidFile, Path leaseFile) {
    return in(List.of("dnsmasq", "--conf-file=/dev/null", "--interface=" + network.bridge(),
        "--except-interface=lo", "--bind-interfaces", "--port=0",
        "--dhcp-range=" + network.dhcpStart() + "," + network.dhcpEnd() + ",12h",
        "--pid-file=" + pidFile, "--dhcp-leasefile=" + leaseFile));
  }
}
