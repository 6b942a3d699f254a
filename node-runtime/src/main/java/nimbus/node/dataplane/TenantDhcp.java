package nimbus.node.dataplane;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The dnsmasq of one tenant network on one host, as OVN serves DHCP: every host that carries the
 * network answers its own guests only, from the network's DHCP address (the bridge carries it),
 * with static leases alone. Pure: input a network, output the command line and the contents of
 * the files dnsmasq reads.
 *
 * <p>Files, in the network's directory: {@code hosts/PORT-ID} (one static lease per port, read
 * as it appears; a change or removal needs SIGHUP), {@code opts} (the subnets' options, read again
 * on SIGHUP), and dnsmasq's pid and lease files. Changing the subnets changes the command line,
 * so dnsmasq is restarted then.
 */
public final class TenantDhcp {
  /** Neutron's default lease time ({@code dhcp_lease_duration}). */
  static final String LEASE_TIME = "86400s";
  private static final int MAX_HOSTNAME = 63;
  private static final Pattern SEPARATORS = Pattern.compile("[ _.]");
  private static final Pattern NOT_HOSTNAME = Pattern.compile("[^a-z0-9-]+");
  /** What dnsmasq reads as a lease time (or a keyword) instead of a name in a dhcp-host line. */
  private static final Pattern READ_AS_OTHER = Pattern.compile("[0-9]+[a-z]?|infinite|ignore");

  private TenantDhcp() {}

  public static Path hostsDir(Path dir) {
    return dir.resolve("hosts");
  }

  public static Path optionsFile(Path dir) {
    return dir.resolve("opts");
  }

  public static Path pidFile(Path dir) {
    return dir.resolve("dnsmasq.pid");
  }

  /**
   * DHCP only ({@code --port=0} turns DNS off), bound to the network's bridge alone, one static
   * range per subnet (so only addresses known in advance are given, at once, without dnsmasq's
   * ping check), each tagged so that its options reach its guests only.
   */
  public static List<String> arguments(HostNetwork network, Path dir) {
    List<String> args = new ArrayList<>(List.of("dnsmasq", "--conf-file=/dev/null",
        "--interface=" + network.segment().bridge(), "--except-interface=lo", "--bind-interfaces", "--port=0"));
    for (DhcpSubnet s : network.subnets()) {
      LocalNetwork range = new LocalNetwork(network.segment().bridge(), s.cidr()); // its address arithmetic
      args.add("--dhcp-range=set:" + s.tag() + "," + range.address() + ",static," + range.netmask() + "," + LEASE_TIME);
    }
    args.addAll(List.of("--dhcp-hostsdir=" + hostsDir(dir), "--dhcp-optsfile=" + optionsFile(dir),
        "--pid-file=" + pidFile(dir), "--dhcp-leasefile=" + dir.resolve("dnsmasq.leases")));
    return args;
  }

  /**
   * The options guests get, per subnet: the MTU (26) of the network, the router (3) and name
   * servers (6), each sent empty when the subnet has none (else dnsmasq offers its own address,
   * where nothing routes or answers), and the subnet's host routes (121) with the default route
   * added, because a client that takes option 121 ignores option 3 (RFC 3442).
   */
  public static String options(HostNetwork network) {
    return options(network, false);
  }

  /**
   * The options, and with {@code metadata} the route to the metadata service: on-link (router
   * 0.0.0.0, RFC 3442), since each host answers for {@value MetadataNamespace#ADDRESS} itself
   * ({@link MetadataNamespace}); a subnet's own route there (to a router of the user's) wins.
   */
  public static String options(HostNetwork network, boolean metadata) {
    StringBuilder text = new StringBuilder();
    text.append("option:mtu,").append(network.segment().mtu()).append('\n');
    for (DhcpSubnet s : network.subnets()) {
      String tag = "tag:" + s.tag() + ",";
      text.append(tag).append("option:router").append(s.gateway().map(g -> "," + g).orElse("")).append('\n');
      text.append(tag).append("option:dns-server");
      s.dnsServers().forEach(d -> text.append(',').append(d));
      text.append('\n');
      boolean metadataRoute = metadata
          && s.routes().stream().noneMatch(r -> r.destination().equals(MetadataNamespace.ADDRESS + "/32"));
      if (!s.routes().isEmpty() || metadataRoute) {
        text.append(tag).append("option:classless-static-route");
        if (metadataRoute) text.append(',').append(MetadataNamespace.ADDRESS).append("/32,0.0.0.0");
        s.routes().forEach(r -> text.append(',').append(r.destination()).append(',').append(r.nexthop()));
        boolean hasDefault = s.routes().stream().anyMatch(r -> r.destination().equals("0.0.0.0/0"));
        if (!hasDefault) s.gateway().ifPresent(g -> text.append(",0.0.0.0/0,").append(g));
        text.append('\n');
      }
    }
    return text.toString();
  }

  /** A port's static lease: that MAC gets that address and host name. Empty: DHCP gives it nothing. */
  public static Optional<String> hostLine(TenantPort port) {
    return port.ip().map(ip -> port.mac() + "," + ip + "," + port.hostname() + "\n");
  }

  /**
   * The host name a server's guest is told, from the server's name as Nova sanitises it: lower
   * case, spaces, underscores and dots made hyphens, then only letters, digits and hyphens, no
   * hyphen at either end, at most 63 characters. A name that leaves nothing becomes {@code host-}
   * and the address (as Neutron names ports without a DNS name); one dnsmasq would read as a
   * lease time gets that prefix too.
   */
  public static String hostname(String serverName, Optional<String> ip) {
    String name = NOT_HOSTNAME.matcher(SEPARATORS.matcher(serverName.toLowerCase(Locale.ROOT)).replaceAll("-"))
        .replaceAll("");
    name = trimHyphens(name.length() > MAX_HOSTNAME ? name.substring(0, MAX_HOSTNAME) : name);
    if (name.isEmpty()) return "host-" + ip.map(a -> a.replace('.', '-').replace(':', '-')).orElse("unnamed");
    if (!READ_AS_OTHER.matcher(name).matches()) return name;
    String prefixed = "host-" + name;
    return prefixed.substring(0, Math.min(prefixed.length(), MAX_HOSTNAME));
  }

  private static String trimHyphens(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '-') start++;
    while (end > start && s.charAt(end - 1) == '-') end--;
    return s.substring(start, end);
  }
}
