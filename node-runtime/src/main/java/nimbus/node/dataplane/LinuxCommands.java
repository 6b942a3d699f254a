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

  /**
   * DHCP only (--port=0 turns DNS off), bound to the bridge alone, for static leases only: each
   * server's MAC and address are a file in {@code hostsDir}, which dnsmasq reads as it appears.
   * An address known in advance is offered at once (a dynamic one waits for a ping check).
   */
  public List<String> startDnsmasq(Path pidFile, Path leaseFile, Path hostsDir) {
    return in(List.of("dnsmasq", "--conf-file=/dev/null", "--interface=" + network.bridge(),
        "--except-interface=lo", "--bind-interfaces", "--port=0",
        "--dhcp-range=" + network.address() + ",static," + network.netmask() + ",12h",
        "--dhcp-hostsdir=" + hostsDir, "--pid-file=" + pidFile, "--dhcp-leasefile=" + leaseFile));
  }

  /** dnsmasq reads new host files by itself but forgets removed ones only when told (SIGHUP). */
  public static List<String> reloadDnsmasq(long pid) {
    return List.of("kill", "-HUP", String.valueOf(pid));
  }

  /** A server's line in dnsmasq's host files: that MAC gets that address. */
  public static String dhcpHost(Lease lease) {
    return lease.mac() + "," + lease.ip() + "\n";
  }
}
