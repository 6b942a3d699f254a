package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import nimbus.compute.ServerPorts;
import nimbus.network.Attachment;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkType;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import nimbus.network.Segment;
import nimbus.network.Subnet;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.KernelFeatures;
import nimbus.node.dataplane.TenantSegment;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The host side of tenant networks on an all-in-one node: libvirt is {@code test:///default}
 * (no taps), but the agent's networks are real: iproute2 devices, a dnsmasq per network and
 * nftables, in this machine's root namespace (as root). Networks are made through their entities
 * (the Neutron API is not here yet); servers through the compute API.
 */
class TenantNetworkAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration ASK = Duration.ofSeconds(10);
  /** The node's DHCP directory, its own (dnsmasq must be able to read it, so it is not private). */
  private static final Path DHCP = dhcpDir();
  private static final Path NETWORKS = DHCP.resolve("networks");
  /** Its own host-local bridge too: the machine's nimbus0 and its dnsmasq are not this test's. */
  private static final String LOCAL_BRIDGE = "ntat0";
  private static final String PROJECT = "tenant-agent-test";
  /** This host's "physical" interface on {@link #PHYSNET}: one end of a veth the test makes. */
  private static final String PHYSNET = "ntat-physnet";
  private static final String PHYSICAL = "ntat-phys0";
  private static Node node;
  private static Api api;
  private static final List<String> networksMade = new ArrayList<>();
  private static final List<String> devicesMade = new ArrayList<>();

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(
      "nimbus.host.dataplane", "linux",
      "nimbus.host.local-network.bridge", LOCAL_BRIDGE,
      "nimbus.host.local-network.cidr", "10.97.0.0/24",
      "nimbus.host.local-network.dhcp-dir", DHCP.toString(),
      "nimbus.host.reconcile-interval", "2s",
      "nimbus.host.physical-interfaces." + PHYSNET, PHYSICAL,
      "nimbus.network.flat-networks", List.of(PHYSNET, "elsewhere"),
      "nimbus.network.vlan-ranges." + PHYSNET, List.of("100:109")), (n, a) -> {
        node = n;
        api = a;
        TenantNetworkAgentTest.NODE.closeAfter(TenantNetworkAgentTest::removeWhatIsLeft);
      });

  @Test
  void aServerOnAVxlanNetworkIsPluggedServedAndUnpluggedByItsHost() throws Exception {
    Network network = createNetwork("agent-net", NetworkType.VXLAN);
    String net = network.id();
    Subnet subnet = addSubnet(net, "10.77.0.0/24", "10.77.0.1", List.of("192.0.2.53"),
        List.of(new Subnet.HostRoute("169.254.169.254/32", "10.77.0.5")));
    Attachment dhcp = get(net).ports().get(NetworkEntity.dhcpPortId(subnet.id()));
    String dhcpIp = dhcp.fixedIps().get(0).ipAddress();
    String bridge = TenantSegment.bridgeOf(net);
    String vxlan = "nvx-" + network.segment().segmentationId().orElseThrow();
    devicesMade.add(vxlan);
    String host = node.settings().host().name();

    String id = createServer("Web_Server.1", net);
    JsonNode active = api.awaitStatus(id, "ACTIVE", WAIT);
    JsonNode address = active.path("addresses").path("agent-net").path(0);
    String ip = address.path("addr").asText();
    String mac = address.path("OS-EXT-IPS-MAC:mac_addr").asText();
    assertTrue(ip.startsWith("10.77.0.") && !ip.equals(dhcpIp), "the server's address: " + active.path("addresses"));
    String portId = ServerPorts.portId(id, 0);
    Port port = Eventually.await(WAIT, () -> {
      Port p = ask(portRef(portId), PortEntity.Get::new);
      return p.status().equals("ACTIVE") ? p : null;
    });
    assertEquals(Optional.of(host), port.hostId(), "bound to the host that plugged it");

    String domain = node.hypervisor().definition("nimbus-" + id).orElseThrow();
    assertTrue(domain.contains("<source bridge='" + bridge + "'/>") && domain.contains("<mtu size='1450'/>")
        && domain.contains("<target dev='" + TenantSegment.tapDevice(portId) + "'/>") && domain.contains(mac), domain);

    String bridgeLink = sh("ip", "-d", "-o", "link", "show", "dev", bridge);
    assertTrue(bridgeLink.contains(" mtu 1450 ") && bridgeLink.contains("link/ether " + dhcp.macAddress()),
        "the bridge at the network's MTU, with the DHCP port's MAC: " + bridgeLink);
    assertTrue(sh("ip", "-o", "-4", "addr", "show", "dev", bridge).contains(" inet " + dhcpIp + "/24 "),
        "the bridge carries the DHCP address");
    String vxlanLink = sh("ip", "-d", "-o", "link", "show", "dev", vxlan);
    assertTrue(vxlanLink.contains(" mtu 1450 ") && vxlanLink.contains(" master " + bridge + " ")
        && vxlanLink.contains("local " + node.settings().host().underlayAddress() + " ")
        && vxlanLink.contains("dstport 4789") && vxlanLink.contains("nolearning"), vxlanLink);

    Path dir = NETWORKS.resolve(net);
    assertEquals(mac + "," + ip + ",web-server-1\n", Files.readString(dir.resolve("hosts").resolve(portId)),
        "a static lease: the port's MAC gets its address and the server's sanitised name");
    String options = Files.readString(dir.resolve("opts"));
    assertTrue(options.contains("option:mtu,1450\n") && options.contains(",option:router,10.77.0.1\n")
        && options.contains(",option:dns-server,192.0.2.53\n")
        && options.contains(",option:classless-static-route,169.254.169.254/32,10.77.0.5,0.0.0.0/0,10.77.0.1\n"), options);
    assertTrue(dnsmasqOf(net).isPresent(), "dnsmasq serves the network");
    assertEquals(id + " " + portId + " " + mac + " " + ip + " web-server-1\n", Files.readString(dir.resolve("ports")),
        "what an agent that restarts rebuilds from");

    String bridgeRules = sh("nft", "list", "table", "bridge", "nimbus");
    assertTrue(bridgeRules.contains("iifname \"" + vxlan + "\" udp dport { 67, 68 } drop")
        && bridgeRules.contains("oifname \"" + vxlan + "\" arp daddr ip { " + dhcpIp + ", 169.254.169.254 } drop"),
        "ARP for the DHCP server and the metadata service stays on this host: " + bridgeRules);
    assertTrue(sh("nft", "list", "table", "inet", "nimbus").contains("iifname \"nbr-*\" drop"));

    // a guest on the port (a namespace behind a veth named as the port's tap, as libvirt would make it)
    String tap = TenantSegment.tapDevice(portId);
    guest(tap, mac, bridge);
    String lease = lease();
    for (String expected : List.of("ip=" + ip + " ", "mtu=1450 ", "router=10.77.0.1 ", "dns=192.0.2.53 ",
        "staticroutes=169.254.169.254/32 10.77.0.5 0.0.0.0/0 10.77.0.1 ", "hostname=web-server-1 ", "serverid=" + dhcpIp + " ")) {
      assertTrue(lease.contains(expected), "the guest's lease has " + expected + ": " + lease);
    }

    // another host's port on the network: this host floods to it (l2population), until it leaves
    String remote = UUID.randomUUID().toString();
    TenantNetworkAgentTest.<NetworkEntity.Command, Attachment>ask(networkRef(net), r -> new NetworkEntity.AttachPort(
        remote, PROJECT, "compute:nova", Optional.empty(), Optional.empty(), r));
    TenantNetworkAgentTest.<NetworkEntity.Command, Done>ask(networkRef(net), r -> new NetworkEntity.PlacePort(remote,
        Optional.of(new Attachment.Placement("other-host", "192.0.2.77")), r));
    Eventually.until(WAIT, () -> sh("bridge", "fdb", "show", "dev", vxlan).contains("00:00:00:00:00:00 dst 192.0.2.77 "));
    assertFalse(Files.exists(dir.resolve("hosts").resolve(remote)), "another host's port is that host's to serve");
    TenantNetworkAgentTest.<NetworkEntity.Command, Done>ask(networkRef(net),
        r -> new NetworkEntity.PlacePort(remote, Optional.empty(), r));
    Eventually.until(WAIT, () -> !sh("bridge", "fdb", "show", "dev", vxlan).contains("192.0.2.77"));
    TenantNetworkAgentTest.<NetworkEntity.Command, Done>ask(networkRef(net), r -> new NetworkEntity.DetachPort(remote, r));

    // what the host loses is rebuilt, and what no network uses is removed, by the reconciler
    String stray = "nbr-" + UUID.randomUUID().toString().replace("-", "").substring(0, 11);
    sh("ip", "link", "add", "name", stray, "type", "bridge");
    sh("ip", "link", "del", "dev", bridge);
    dnsmasqOf(net).orElseThrow().destroy();
    Eventually.until(WAIT, () -> run("ip", "-o", "link", "show", "dev", stray).exit != 0);
    Eventually.until(WAIT, () -> sh("ip", "-o", "-4", "addr", "show", "dev", bridge).contains(" inet " + dhcpIp + "/24 ")
        && sh("ip", "-d", "-o", "link", "show", "dev", vxlan).contains(" master " + bridge + " "));
    Eventually.until(WAIT, () -> dnsmasqOf(net).isPresent());
    Eventually.until(WAIT, () -> sh("ip", "-o", "link", "show", "dev", tap).contains(" master " + bridge + " "));
    assertTrue(lease().contains("ip=" + ip + " "), "the guest is served again on the rebuilt network");

    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    sh("ip", "netns", "del", GUEST); // libvirt removes the tap with the domain
    Eventually.until(WAIT, () -> !Files.exists(dir.resolve("hosts").resolve(portId)));
    Eventually.until(WAIT, () -> run("ip", "-o", "link", "show", "dev", bridge).exit != 0
        && run("ip", "-o", "link", "show", "dev", vxlan).exit != 0 && dnsmasqOf(net).isEmpty()
        && !Files.exists(dir));
    Eventually.until(WAIT, () -> run("nft", "list", "table", "bridge", "nimbus").exit != 0
        && run("nft", "list", "table", "inet", "nimbus").exit != 0);
  }

  @Test
  void aDeletedPortsAddressIsLeasedAtOnceToTheNextPortThatHoldsIt() throws Exception {
    Network network = createNetwork("reuse-net", NetworkType.VXLAN);
    String net = network.id();
    addSubnet(net, "10.80.0.0/24", "10.80.0.1", List.of(), List.of());
    devicesMade.add("nvx-" + network.segment().segmentationId().orElseThrow());
    String bridge = TenantSegment.bridgeOf(net);
    String keeper = createServer("keeper", net); // the network stays on the host, and so does its dnsmasq
    api.awaitStatus(keeper, "ACTIVE", WAIT);

    String first = createServer("first", net);
    JsonNode nic = api.awaitStatus(first, "ACTIVE", WAIT).path("addresses").path("reuse-net").path(0);
    String ip = nic.path("addr").asText();
    guest(TenantSegment.tapDevice(ServerPorts.portId(first, 0)), nic.path("OS-EXT-IPS-MAC:mac_addr").asText(), bridge);
    assertTrue(lease().contains("ip=" + ip + " "), "the first port's guest has its lease");
    assertEquals(204, api.delete("/compute/v2.1/servers/" + first).status());
    sh("ip", "netns", "del", GUEST);
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + first).status() == 404);

    // the next port given that address has another MAC: dnsmasq leases it at once, not in 24 h
    String next = Eventually.await(WAIT, () -> {
      Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"next\", \"imageRef\": \""
          + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"networks\": [{\"uuid\": \"" + net + "\", \"fixed_ip\": \""
          + ip + "\"}]}}");
      return r.status() == 202 ? r.body().path("server").path("id").asText() : null; // once the address is free
    });
    JsonNode nextNic = api.awaitStatus(next, "ACTIVE", WAIT).path("addresses").path("reuse-net").path(0);
    assertEquals(ip, nextNic.path("addr").asText());
    guest(TenantSegment.tapDevice(ServerPorts.portId(next, 0)), nextNic.path("OS-EXT-IPS-MAC:mac_addr").asText(), bridge);
    assertTrue(lease().contains("ip=" + ip + " "), "the next port's guest has the address's lease");

    for (String id : List.of(next, keeper)) assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    sh("ip", "netns", "del", GUEST);
  }

  /** Where the kernel has no gretap (as on this project's machines) the server fails with the reason; else it runs. */
  @Test
  void aGreNetworkRunsWhereTheKernelCarriesItAndFailsTheServerWithTheReasonWhereNot() throws Exception {
    Network network = createNetwork("gre-net", NetworkType.GRE);
    addSubnet(network.id(), "10.78.0.0/24", "10.78.0.1", List.of(), List.of());
    assertCarriedOrRefused(network, nimbus.node.dataplane.NetworkType.GRE, "on-gre");
  }

  @Test
  void aFlatNetworkTakesThePhysicalInterfaceIntoItsBridge() throws Exception {
    run("ip", "link", "del", "dev", PHYSICAL); // a run killed half way left it
    sh("ip", "link", "add", PHYSICAL, "type", "veth", "peer", "name", "ntat-phys1");
    devicesMade.add(PHYSICAL);
    Network network = createNetwork("flat-net", new Segment(NetworkType.FLAT, Optional.of(PHYSNET), Optional.empty()));
    addSubnet(network.id(), "10.76.0.0/24", "10.76.0.1", List.of(), List.of());
    String id = createServer("on-flat", network.id());
    api.awaitStatus(id, "ACTIVE", WAIT);
    String link = sh("ip", "-o", "link", "show", "dev", PHYSICAL);
    assertTrue(link.contains(" master " + TenantSegment.bridgeOf(network.id()) + " "), "the uplink: " + link);
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> run("ip", "-o", "link", "show", "dev", TenantSegment.bridgeOf(network.id())).exit != 0);
    assertEquals(0, run("ip", "-o", "link", "show", "dev", PHYSICAL).exit, "the physical interface is the operator's");
  }

  @Test
  void aFlatNetworkOnAPhysicalNetworkThisHostHasNoInterfaceOnFailsTheServerWithTheReason() throws Exception {
    Network network = createNetwork("flat-elsewhere", new Segment(NetworkType.FLAT, Optional.of("elsewhere"),
        Optional.empty()));
    addSubnet(network.id(), "10.75.0.0/24", "10.75.0.1", List.of(), List.of());
    String id = createServer("on-elsewhere", network.id());
    JsonNode failed = api.awaitStatus(id, "ERROR", WAIT);
    assertTrue(failed.path("fault").path("message").asText()
        .contains("physical network elsewhere has no interface on this host"), failed.path("fault").toString());
    String portId = ServerPorts.portId(id, 0);
    Eventually.until(WAIT, () -> ask(portRef(portId), PortEntity.Get::new).status().equals(PortEntity.BINDING_FAILED));
    JsonNode port = api.get("/network/v2.0/ports/" + portId).body().path("port");
    assertEquals("binding_failed", port.path("binding:vif_type").asText(), port.toString());
    assertTrue(run("ip", "-o", "link", "show", "dev", TenantSegment.bridgeOf(network.id())).exit != 0, "nothing was built");
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
  }

  /** Where the kernel has no 802.1Q (as on this project's machines) the server fails with the reason; else it runs. */
  @Test
  void aVlanNetworkRunsWhereTheKernelCarriesItAndFailsTheServerWithTheReasonWhereNot() throws Exception {
    run("ip", "link", "del", "dev", PHYSICAL); // a run killed half way left it
    sh("ip", "link", "add", PHYSICAL, "type", "veth", "peer", "name", "ntat-phys1");
    devicesMade.add(PHYSICAL);
    Network network = createNetwork("vlan-net", new Segment(NetworkType.VLAN, Optional.of(PHYSNET), Optional.empty()));
    addSubnet(network.id(), "10.74.0.0/24", "10.74.0.1", List.of(), List.of());
    assertCarriedOrRefused(network, nimbus.node.dataplane.NetworkType.VLAN, "on-vlan");
  }

  /**
   * A server on {@code network}: ACTIVE on its bridge if this kernel carries {@code type}, else
   * in ERROR with the reason and nothing built; either way one of the two is checked, never none.
   */
  private void assertCarriedOrRefused(Network network, nimbus.node.dataplane.NetworkType type, String name)
      throws Exception {
    String id = createServer(name, network.id());
    String bridge = TenantSegment.bridgeOf(network.id());
    if (new KernelFeatures(new ProcessRunner()).probe().contains(type)) {
      api.awaitStatus(id, "ACTIVE", WAIT);
      assertEquals(0, run("ip", "-o", "link", "show", "dev", bridge).exit, "the network's bridge is built");
    } else {
      JsonNode failed = api.awaitStatus(id, "ERROR", WAIT);
      assertTrue(failed.path("fault").path("message").asText().contains("cannot carry " + type.apiName() + " networks"),
          failed.path("fault").toString());
      assertTrue(run("ip", "-o", "link", "show", "dev", bridge).exit != 0, "nothing was built");
    }
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> run("ip", "-o", "link", "show", "dev", bridge).exit != 0);
  }

  @Test
  void aGuestOnASlaacSubnetTakesItsPortsEui64FromItsHostsAdvertisements() throws Exception {
    Network network = createNetwork("v6-net", NetworkType.VXLAN);
    devicesMade.add("nvx-" + network.segment().segmentationId().orElseThrow());
    addSubnet(network.id(), "10.73.0.0/24", "10.73.0.1", List.of(), List.of());
    nimbus.network.IpNet prefix = nimbus.network.IpNet.parse("2001:db8:73::/64");
    Subnet v6 = new Subnet(UUID.randomUUID().toString(), network.id(), PROJECT, "v6", "", 6, prefix.toString(),
        Optional.of("2001:db8:73::1"), Subnet.defaultPools(prefix, nimbus.network.IpNet.Address.parse("2001:db8:73::1")),
        true, List.of(), List.of(), Optional.of("slaac"), Optional.of("slaac"), Optional.empty(), List.of(), Instant.now(),
        Instant.now(), 0);
    TenantNetworkAgentTest.<NetworkEntity.Command, Subnet>ask(networkRef(network.id()), r -> new NetworkEntity.AddSubnet(v6, r));
    String dhcpV6 = get(network.id()).ports().get(NetworkEntity.dhcpPortId(v6.id())).fixedIps().get(0).ipAddress();

    String id = createServer("slaac-1", network.id());
    api.awaitStatus(id, "ACTIVE", WAIT);
    String portId = ServerPorts.portId(id, 0);
    Attachment port = get(network.id()).ports().get(portId);
    String eui64 = port.fixedIps().stream().filter(f -> f.subnetId().equals(v6.id())).findFirst().orElseThrow().ipAddress();
    assertTrue(eui64.startsWith("2001:db8:73:0:") && eui64.contains("ff:fe"), "the port's EUI-64: " + port);
    String bridge = TenantSegment.bridgeOf(network.id());
    assertTrue(sh("ip", "-o", "addr", "show", "dev", bridge).contains(" inet6 " + dhcpV6 + "/64 "),
        "the bridge carries the DHCP port's EUI-64, where advertisements come from");

    guest(TenantSegment.tapDevice(portId), port.macAddress(), bridge);
    Eventually.until(WAIT, () -> sh("ip", "netns", "exec", GUEST, "ip", "-o", "-6", "addr", "show", "dev", "eth0",
        "scope", "global").contains(" " + eui64 + "/64 "));
    assertEquals("1450", sh("ip", "netns", "exec", GUEST, "cat", "/proc/sys/net/ipv6/conf/eth0/mtu").trim(),
        "the network's MTU, from the advertisements");
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
  }

  // ------------------------------------------------------------------ a guest

  private static final String GUEST = "ntat-guest";
  private static Path leaseDir;

  /** A guest's NIC: a namespace with an {@code eth0} of the port's MAC, its other end a tap on the bridge. */
  private static void guest(String tap, String mac, String bridge) throws IOException {
    run("ip", "netns", "del", GUEST); // a run killed half way left it
    sh("ip", "netns", "add", GUEST);
    sh("ip", "link", "add", tap, "mtu", "1450", "type", "veth", "peer", "name", "eth0", "address", mac, "netns", GUEST);
    sh("ip", "link", "set", "dev", tap, "master", bridge, "up");
    sh("ip", "netns", "exec", GUEST, "ip", "link", "set", "dev", "eth0", "up");
    leaseDir = Files.createTempDirectory("ntat-lease");
    Path script = leaseDir.resolve("script");
    Files.writeString(script, "#!/bin/sh\n[ \"$1\" = bound ] && echo \"ip=$ip mtu=$mtu router=$router dns=$dns "
        + "staticroutes=$staticroutes hostname=$hostname serverid=$serverid \" > " + leaseDir.resolve("lease") + "\nexit 0\n");
    script.toFile().setExecutable(true);
  }

  /** What DHCP gives the guest now: busybox's udhcpc, asking for the MTU and routes too. */
  private static String lease() throws IOException {
    Files.deleteIfExists(leaseDir.resolve("lease"));
    sh("ip", "netns", "exec", GUEST, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1",
        "-O", "mtu", "-O", "staticroutes", "-s", leaseDir.resolve("script").toString());
    return Files.readString(leaseDir.resolve("lease"));
  }

  @Test
  void aNicIsAttachedToAStoppedServerOnItsNetworkAndDetachedAgain() throws Exception {
    Network first = createNetwork("nic-net-a", NetworkType.VXLAN);
    addSubnet(first.id(), "10.78.0.0/24", "10.78.0.1", List.of(), List.of());
    Network second = createNetwork("nic-net-b", NetworkType.VXLAN);
    addSubnet(second.id(), "10.79.0.0/24", "10.79.0.1", List.of(), List.of());
    devicesMade.add("nvx-" + first.segment().segmentationId().orElseThrow());
    devicesMade.add("nvx-" + second.segment().segmentationId().orElseThrow());
    String id = createServer("nics", first.id());
    api.awaitStatus(id, "ACTIVE", WAIT);
    // stopped: the test driver has no hot-plug, so the domain's definition is what there is to see
    assertEquals(202, api.action(id, "{\"os-stop\": null}"));
    api.awaitStatus(id, "SHUTOFF", WAIT);
    String path = "/compute/v2.1/servers/" + id + "/os-interface";

    Api.Reply attached = api.post(path, "{\"interfaceAttachment\": {\"net_id\": \"" + second.id() + "\"}}");
    assertEquals(200, attached.status(), attached.raw());
    JsonNode nic = attached.body().path("interfaceAttachment");
    String portId = nic.path("port_id").asText();
    String mac = nic.path("mac_addr").asText();
    assertEquals(second.id(), nic.path("net_id").asText());
    assertTrue(nic.path("fixed_ips").path(0).path("ip_address").asText().startsWith("10.79.0."), nic.toString());
    assertEquals(2, api.get(path).body().path("interfaceAttachments").size());
    assertTrue(api.server(id).path("addresses").has("nic-net-b"), "the server lists its new address");
    assertTrue(node.hypervisor().definition("nimbus-" + id).orElseThrow().contains("<mac address='" + mac + "'/>"),
        "the domain has the NIC");
    assertTrue(dnsmasqOf(second.id()).isPresent(), "the new NIC's network is served on this host");
    Eventually.await(WAIT, () -> ask(portRef(portId), PortEntity.Get::new).status().equals("ACTIVE") ? true : null);

    assertEquals(202, api.delete(path + "/" + portId).status());
    Eventually.await(WAIT, () -> api.get(path).body().path("interfaceAttachments").size() == 1 ? true : null);
    assertFalse(api.server(id).path("addresses").has("nic-net-b"));
    assertFalse(node.hypervisor().definition("nimbus-" + id).orElseThrow().contains(mac), "the NIC is out of the domain");
    Eventually.await(WAIT, () -> portRef(portId).<StatusReply<Port>>ask(PortEntity.Get::new, ASK)
        .toCompletableFuture().get().isError() ? true : null);
    Eventually.await(WAIT, () -> dnsmasqOf(second.id()).isEmpty() ? true : null);
    assertEquals(404, api.delete(path + "/" + portId).status(), "a NIC detached is no longer there");

    // a port the user made is plugged (ACTIVE), then unplugged when detached: DOWN and unbound, but still there
    Api.Reply made = api.post("/network/v2.0/ports", "{\"port\": {\"network_id\": \"" + second.id() + "\"}}");
    assertEquals(201, made.status(), made.raw());
    String own = made.body().path("port").path("id").asText();
    assertEquals("DOWN", made.body().path("port").path("status").asText(), "DOWN until a host has plugged it");
    assertEquals(200, api.post(path, "{\"interfaceAttachment\": {\"port_id\": \"" + own + "\"}}").status());
    Eventually.await(WAIT, () -> ask(portRef(own), PortEntity.Get::new).status().equals("ACTIVE") ? true : null);
    assertEquals(202, api.delete(path + "/" + own).status());
    Port unplugged = Eventually.await(WAIT, () -> {
      Port p = ask(portRef(own), PortEntity.Get::new);
      return p.status().equals("DOWN") && p.hostId().isEmpty() ? p : null;
    });
    assertEquals("", unplugged.attributes().deviceId());
    assertEquals(204, api.delete("/network/v2.0/ports/" + own).status());

    assertEquals("SHUTOFF", api.status(id), "back in the phase it was in");
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
  }

  // ------------------------------------------------------------------ the network's side

  private static Network createNetwork(String name, NetworkType type) throws Exception {
    return createNetwork(name, new Segment(type, Optional.empty(), Optional.empty()));
  }

  private static Network createNetwork(String name, Segment segment) throws Exception {
    String id = UUID.randomUUID().toString();
    networksMade.add(id);
    Network asked = Network.requested(id, PROJECT, new NetworkAttributes(name, "", true, true, false, true, List.of(),
        List.of()), segment, segment.type().mtu(1500), Instant.now());
    return ask(networkRef(id), r -> new NetworkEntity.Create(asked, r));
  }

  private static Subnet addSubnet(String networkId, String cidr, String gateway, List<String> dns,
      List<Subnet.HostRoute> routes) throws Exception {
    nimbus.network.IpNet net = nimbus.network.IpNet.parse(cidr);
    Subnet s = new Subnet(UUID.randomUUID().toString(), networkId, PROJECT, "sub", "", 4, cidr, Optional.of(gateway),
        Subnet.defaultPools(net, nimbus.network.IpNet.Address.parse(gateway)), true, dns, routes, Optional.empty(),
        Optional.empty(), Optional.empty(), List.of(), Instant.now(), Instant.now(), 0);
    return ask(networkRef(networkId), r -> new NetworkEntity.AddSubnet(s, r));
  }

  private static Network get(String networkId) throws Exception {
    return ask(networkRef(networkId), NetworkEntity.Get::new);
  }

  private static String createServer(String name, String networkId) {
    Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"networks\": [{\"uuid\": \"" + networkId + "\"}]}}");
    assertEquals(202, r.status(), r.raw());
    return r.body().path("server").path("id").asText();
  }

  private static EntityRef<NetworkEntity.Command> networkRef(String id) {
    return ClusterSharding.get(node.system()).entityRefFor(NetworkEntity.TYPE_KEY, id);
  }

  private static EntityRef<PortEntity.Command> portRef(String id) {
    return ClusterSharding.get(node.system()).entityRefFor(PortEntity.TYPE_KEY, id);
  }

  private static <C, T> T ask(EntityRef<C> ref, Function<ActorRef<StatusReply<T>>, C> message) throws Exception {
    return ref.askWithStatus(message::apply, ASK).toCompletableFuture().get(ASK.toSeconds() + 5, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------ the host's side

  private static Optional<ProcessHandle> dnsmasqOf(String networkId) {
    String hosts = "--dhcp-hostsdir=" + NETWORKS.resolve(networkId).resolve("hosts");
    return ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(List::of).orElse(List.of()).contains(hosts))
        .findFirst();
  }

  private record Result(int exit, String output) {}

  private static Result run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError(String.join(" ", command) + " hangs");
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new AssertionError(command[0] + " cannot run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Runs a command that must succeed; answers its output. */
  private static String sh(String... command) {
    Result r = run(command);
    if (r.exit != 0) throw new AssertionError(String.join(" ", command) + " failed: " + r.output);
    return r.output;
  }

  private static Path dhcpDir() {
    try {
      return Files.createTempDirectory("ntat-dhcp", java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * After the node (whose agent would build them again): the host-local network, and what a test
   * that failed half way left of its networks.
   */
  static void removeWhatIsLeft() {
    ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(List::of).orElse(List.of())
        .contains("--interface=" + LOCAL_BRIDGE)).forEach(ProcessHandle::destroy);
    run("ip", "link", "del", "dev", LOCAL_BRIDGE);
    run("ip", "netns", "del", GUEST);
    if (leaseDir != null) run("rm", "-rf", leaseDir.toString());
    for (String id : networksMade) {
      dnsmasqOf(id).ifPresent(ProcessHandle::destroy);
      run("ip", "link", "del", "dev", TenantSegment.bridgeOf(id));
      run("ip", "netns", "del", nimbus.node.dataplane.MetadataNamespace.nameOf(id));
    }
    // the node's metadata proxy, whose files are beside the networks'
    ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith("haproxy")
        && p.info().arguments().map(List::of).orElse(List.of()).stream().anyMatch(a -> a.startsWith(DHCP.toString())))
        .forEach(ProcessHandle::destroy);
    devicesMade.forEach(device -> run("ip", "link", "del", "dev", device));
    run("nft", "delete", "table", "bridge", "nimbus"); // the tables of this machine's one tenant agent: the node's
    run("nft", "delete", "table", "inet", "nimbus");
    run("rm", "-rf", DHCP.toString());
  }
}
