package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import nimbus.node.agent.ProcessRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IPv6 on a tenant network for real: a network namespace is the hypervisor host, each network's
 * bridge is built there with TenantCommands' lines and served by a real dnsmasq run with
 * TenantDhcp's command line and files; a namespace per guest, joined to the bridge by a veth as
 * libvirt joins a tap, configures itself as a guest would: by SLAAC from the router
 * advertisements, or with a DHCPv6 client (ISC dhclient). Everything this test makes is named
 * {@code n6dp-} and removed before and after each run.
 */
class Ipv6DhcpNamespaceTest {
  private static final String PREFIX = "n6dp-";
  private static final String HOST = PREFIX + "h";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** Less than the guests' link MTU (1500): the advertisements' MTU is what they then use. */
  private static final int MTU = 1400;

  private final ProcessRunner run = new ProcessRunner();
  private final List<Path> dirs = new ArrayList<>();

  /** A guest: its own namespace, its port (so its tap's name) and its MAC. */
  private record Guest(String netns, String portId, String mac) {}

  @BeforeEach
  void makeHost() {
    Shell.removeAllNamed(PREFIX, ".*/(dnsmasq|dhclient)"); // a run killed before its @AfterEach left these
    root("ip netns add " + HOST);
    root("ip -n " + HOST + " link set dev lo up");
  }

  @AfterEach
  void removeHost() throws IOException {
    Shell.removeAllNamed(PREFIX, ".*/(dnsmasq|dhclient)");
    for (Path dir : dirs) Shell.run(List.of("rm", "-rf", dir.toString()));
  }

  @Test
  void aGuestOnASlaacSubnetTakesItsEui64AddressAndTheNetworksMtuFromTheAdvertisements() throws IOException {
    TenantSegment segment = new TenantSegment("a6a6a6a6-0000-4000-8000-00000000006a", NetworkType.LOCAL, Optional.empty(),
        Optional.empty(), MTU);
    // the DHCP port's EUI-64 (fa:16:3e:79:00:aa), as the network's entity gives it
    DhcpSubnet slaac = new DhcpSubnet("sub-slaac", "2001:db8:79::/64", "2001:db8:79:0:f816:3eff:fe79:aa",
        Optional.of("2001:db8:79::1"), List.of(), List.of(),
        Optional.of(new DhcpSubnet.Ipv6Modes(Optional.of("slaac"), Optional.of("slaac"))));
    Guest guest = new Guest(PREFIX + "g1", "c6000000-0000-4000-8000-000000000001", "fa:16:3e:79:06:01");
    HostNetwork network = new HostNetwork(segment, Set.of(), List.of(slaac), Optional.of("fa:16:3e:79:00:aa"),
        List.of(), List.of());

    serve(network);
    attach(segment, guest);

    // modified EUI-64 of fa:16:3e:79:06:01 in the prefix: the address the port was given
    String expected = "2001:db8:79:0:f816:3eff:fe79:601/64";
    String addresses = await("the guest's SLAAC address", () -> {
      String out = inNetns(guest.netns(), "ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "global");
      return out.contains(" " + expected + " ") ? out : null;
    });
    assertTrue(addresses.contains("dynamic"), "made from an advertised prefix: " + addresses);
    assertEquals(String.valueOf(MTU), inNetns(guest.netns(), "cat", "/proc/sys/net/ipv6/conf/eth0/mtu").trim(),
        "the advertisement's MTU");
    String routes = inNetns(guest.netns(), "ip", "-6", "route", "show", "default");
    assertTrue(routes.isBlank(), "the host advertises no default route (it is nobody's router): " + routes);
  }

  @Test
  void aGuestOnAStatefulSubnetGetsItsPortsAddressByDhcpv6() throws IOException {
    TenantSegment segment = new TenantSegment("b6b6b6b6-0000-4000-8000-00000000006b", NetworkType.LOCAL, Optional.empty(),
        Optional.empty(), MTU);
    DhcpSubnet stateful = new DhcpSubnet("sub-stateful", "2001:db8:7a::/64", "2001:db8:7a::2",
        Optional.of("2001:db8:7a::1"), List.of("2001:db8:53::53"), List.of(),
        Optional.of(new DhcpSubnet.Ipv6Modes(Optional.of("dhcpv6-stateful"), Optional.of("dhcpv6-stateful"))));
    Guest guest = new Guest(PREFIX + "g2", "c6000000-0000-4000-8000-000000000002", "fa:16:3e:7a:06:02");
    TenantPort port = new TenantPort("srv-2", guest.portId(), guest.mac(), Optional.empty(), "db-1",
        Optional.of("2001:db8:7a::10"));
    HostNetwork network = new HostNetwork(segment, Set.of(), List.of(stateful), Optional.of("fa:16:3e:7a:00:aa"),
        List.of(port), List.of(port));

    serve(network);
    attach(segment, guest);
    await("the guest's link-local address, ready", () -> {
      String out = inNetns(guest.netns(), "ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "link");
      return out.contains("fe80::") && !out.contains("tentative") ? out : null;
    });

    Path client = dir("client");
    Path script = client.resolve("script");
    Path lease = client.resolve("lease");
    Files.writeString(script, "#!/bin/sh\n"
        + "case \"$reason\" in BOUND6|RENEW6|REBIND6|REBOOT6)\n"
        + "  ip -6 addr replace \"$new_ip6_address/$new_ip6_prefixlen\" dev \"$interface\"\n"
        + "  echo \"address=$new_ip6_address dns=$new_dhcp6_name_servers\" > " + lease + " ;;\n"
        + "esac\nexit 0\n");
    assertTrue(script.toFile().setExecutable(true));
    Shell.Result dhclient = Shell.in(guest.netns(), "timeout", "20", "dhclient", "-6", "-1", "-v", "-sf", script.toString(),
        "-lf", client.resolve("leases").toString(), "-pf", client.resolve("pid").toString(), "eth0");
    assertEquals(0, dhclient.exit(), "dhclient got a lease:\n" + dhclient.output());

    assertEquals("address=2001:db8:7a::10 dns=2001:db8:53::53", Files.readString(lease).trim(),
        "the port's address, by its MAC, and the subnet's name server");
    assertTrue(inNetns(guest.netns(), "ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "global")
        .contains(" 2001:db8:7a::10/"), "on the guest's interface");
  }

  /** The network's bridge with its DHCP addresses, and its dnsmasq, as a host's agent makes them. */
  private void serve(HostNetwork network) throws IOException {
    TenantCommands c = new TenantCommands(network.segment(), "", java.util.Map.of(), Optional.of(HOST));
    for (List<String> command : c.ensure(TenantCommands.deviceNames(inNetns(HOST, "ip", "-o", "link", "show")))) {
      run.run(command, TIMEOUT);
    }
    for (DhcpSubnet s : network.subnets()) run.run(c.addAddress(s.serverAddressWithPrefix()), TIMEOUT);
    run.run(c.setMac(network.dhcpMac().orElseThrow()), TIMEOUT);
    assertTrue(TenantCommands.addresses(run.run(c.showAddresses(), TIMEOUT))
        .contains(network.subnets().get(0).serverAddressWithPrefix()), "the bridge lists its DHCP address");

    Path dir = dir(network.networkId());
    Files.createDirectories(TenantDhcp.hostsDir(dir));
    Files.writeString(TenantDhcp.optionsFile(dir), TenantDhcp.options(network));
    for (TenantPort p : network.served()) {
      Files.writeString(TenantDhcp.hostsDir(dir).resolve(p.portId()), TenantDhcp.hostLine(p).orElseThrow());
    }
    List<String> dnsmasq = new ArrayList<>(List.of("ip", "netns", "exec", HOST));
    dnsmasq.addAll(TenantDhcp.arguments(network, dir));
    run.run(dnsmasq, TIMEOUT);
  }

  /** What libvirt would do for a guest: a tap (here a veth) on the bridge, the guest's NIC at the other end. */
  private void attach(TenantSegment segment, Guest guest) {
    String tap = TenantSegment.tapDevice(guest.portId());
    root("ip netns add " + guest.netns());
    root("ip -n " + HOST + " link add " + tap + " type veth peer name eth0 address " + guest.mac() + " netns " + guest.netns());
    TenantCommands c = new TenantCommands(segment, "", java.util.Map.of(), Optional.of(HOST));
    run.run(c.plug(guest.portId()), TIMEOUT);
    run.run(c.bringUp(tap), TIMEOUT);
    root("ip -n " + guest.netns() + " link set dev lo up");
    root("ip -n " + guest.netns() + " link set dev eth0 mtu 1500 up");
  }

  /** A directory dnsmasq (which drops root) and dhclient can read, removed after the test. */
  private Path dir(String name) throws IOException {
    Path dir = Files.createTempDirectory(PREFIX + name,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    dirs.add(dir);
    return dir;
  }

  private static <T> T await(String what, Supplier<T> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      T value = condition.get();
      if (value != null) return value;
      if (System.nanoTime() > deadline) throw new AssertionError(what + ": not there within " + WAIT);
      try {
        Thread.sleep(100); // between polls: each one runs a command
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  private String inNetns(String netns, String... command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(List.of(command));
    return run.run(all, TIMEOUT);
  }

  private void root(String command) {
    run.run(List.of(command.split(" ")), TIMEOUT);
  }
}
