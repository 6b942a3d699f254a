package nimbus.node.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import nimbus.compute.InstanceMetadata;
import nimbus.compute.ServerPort;
import nimbus.network.FixedIp;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.DhcpSubnet;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.LinuxTenantHost;
import nimbus.node.dataplane.MetadataNamespace;
import nimbus.node.dataplane.NetworkType;
import nimbus.node.dataplane.TenantPort;
import nimbus.node.dataplane.TenantSegment;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metadata service for real, without VMs: the host side of two tenant networks with the
 * same CIDR (bridges, dnsmasq, the metadata namespaces and haproxy, made by
 * {@link LinuxTenantHost} in this machine's namespace) in front of a real {@link MetadataServer},
 * and "guests" that are network namespaces joined to the bridges by a veth, as libvirt joins a
 * tap. Each guest gets its lease and the metadata route from DHCP, then reads its own documents
 * with curl; the guest of the other network, with the same address, reads its own; forged
 * headers change nothing. Everything it makes outside the networks is named {@code nmt-}.
 */
class MetadataServiceNamespaceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String CIDR = "10.78.0.0/24";
  private static final String SAME_IP = "10.78.0.5";
  private static final String KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa a@nimbus";
  private static final String KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb b@nimbus";

  /** A guest: its namespace, server, port and MAC, on a network. */
  private record Guest(String netns, String serverId, String portId, String mac, String networkId) {}

  private static final String NET_A = "e7a00000-0000-4000-8000-00000000000a";
  private static final String NET_B = "e7b00000-0000-4000-8000-00000000000b";
  private static final Guest A = new Guest("nmt-a", "e7a10000-0000-4000-8000-000000000001",
      "e7a20000-0000-4000-8000-000000000001", "fa:16:3e:78:0a:05", NET_A);
  private static final Guest B = new Guest("nmt-b", "e7b10000-0000-4000-8000-000000000002",
      "e7b20000-0000-4000-8000-000000000002", "fa:16:3e:78:0b:05", NET_B);
  /** On A's network, with an address no port of this host has. */
  private static final Guest INTRUDER = new Guest("nmt-c", "e7c10000-0000-4000-8000-000000000003",
      "e7c20000-0000-4000-8000-000000000003", "fa:16:3e:78:0a:07", NET_A);

  private static final ProcessRunner run = new ProcessRunner();
  private static ActorSystem<Void> system;
  private static LinuxTenantHost host;
  private static Path root;
  private static Path dhcpScript;
  private static HostNetwork networkA;
  private static HostNetwork networkB;
  private static CompletableFuture<ServerBinding> firstServer;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "metadata-namespace-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    root = Files.createTempDirectory("nimbus-metadata-test");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x")); // dnsmasq reads below it
    ActorRef<LocalGuests.Command> guests = system.systemActorOf(
        LocalGuests.create(root.resolve("guests"), system.executionContext()), "local-guests",
        org.apache.pekko.actor.typed.Props.empty());
    CompletableFuture<ServerBinding> bound = MetadataServer.bind(system, guests, 0).toCompletableFuture();
    firstServer = bound;
    CompletableFuture<Integer> port = bound.thenApply(b -> b.localAddress().getPort());
    host = new LinuxTenantHost(run, root.resolve("networks"), "10.250.99.1", "nimbus0", Optional.of(port));
    dhcpScript = Files.writeString(root.resolve("udhcpc.script"), """
        #!/bin/sh
        [ "$1" = bound ] || exit 0
        ip addr add $ip/${mask:-24} dev $interface || exit 0
        set -- $staticroutes
        while [ $# -ge 2 ]; do
          if [ "$2" = 0.0.0.0 ]; then ip route add $1 dev $interface; else ip route add $1 via $2 dev $interface; fi
          shift 2
        done
        exit 0
        """);
    Files.setPosixFilePermissions(dhcpScript, PosixFilePermissions.fromString("rwxr-xr-x"));

    networkA = network(NET_A, "e7a30000-0000-4000-8000-00000000000a", "fa:16:3e:78:0a:02", A, "guest-a");
    networkB = network(NET_B, "e7b30000-0000-4000-8000-00000000000b", "fa:16:3e:78:0b:02", B, "guest-b");
    removeEverythingOurs();
    host.apply(networkA);
    host.apply(networkB);
    host.serveMetadata(List.of(networkA, networkB));
    guests.tell(new LocalGuests.Remember(instance(A, "guest-a", KEY_A), List.of(serverPort(A, SAME_IP)),
        List.of(new GuestNic(A.portId(), A.mac(), NET_A, 1450, List.of(new GuestNic.Address(SAME_IP, CIDR,
            Optional.of("10.78.0.1"), List.of(), List.of(), true, Optional.empty()))))));
    guests.tell(new LocalGuests.Remember(instance(B, "guest-b", KEY_B), List.of(serverPort(B, SAME_IP)), List.of()));
    for (Guest g : List.of(A, B, INTRUDER)) attach(g);
  }

  @AfterAll
  static void stop() {
    if (host != null) removeEverythingOurs();
    if (system != null) system.terminate();
  }

  private static HostNetwork network(String id, String subnetId, String dhcpMac, Guest guest, String hostname) {
    TenantSegment segment = new TenantSegment(id, NetworkType.LOCAL, Optional.empty(), Optional.empty(), 1450);
    DhcpSubnet subnet = new DhcpSubnet(subnetId, CIDR, "10.78.0.2", Optional.of("10.78.0.1"), List.of(), List.of());
    TenantPort port = new TenantPort(guest.serverId(), guest.portId(), guest.mac(), Optional.of(SAME_IP), hostname);
    return new HostNetwork(segment, java.util.Set.of(), List.of(subnet), Optional.of(dhcpMac), List.of(port), List.of(port));
  }

  private static InstanceMetadata instance(Guest g, String name, String key) {
    return new InstanceMetadata(g.serverId(), name, "project-" + name, "nova", Map.of(), Optional.of("key-" + name),
        Optional.of(key), Optional.empty(), false);
  }

  private static ServerPort serverPort(Guest g, String ip) {
    return new ServerPort(g.portId(), g.networkId(), "net", g.mac(), List.of(new FixedIp("s", ip)), true, Optional.empty());
  }

  /** What libvirt does for a guest: its tap (a veth here) on the network's bridge, the guest's NIC at the other end. */
  private static void attach(Guest g) {
    String tap = TenantSegment.tapDevice(g.portId());
    sh("ip netns add " + g.netns());
    sh("ip link add " + tap + " mtu 1450 type veth peer name eth0 mtu 1450 address " + g.mac() + " netns " + g.netns());
    sh("ip link set dev " + tap + " master " + TenantSegment.bridgeOf(g.networkId()) + " up");
    sh("ip netns exec " + g.netns() + " ip link set dev lo up");
    sh("ip netns exec " + g.netns() + " ip link set dev eth0 up");
  }

  private static void removeEverythingOurs() {
    for (Guest g : List.of(A, B, INTRUDER)) {
      quietly("ip link del dev " + TenantSegment.tapDevice(g.portId()));
      quietly("ip netns delete " + g.netns());
    }
    for (HostNetwork n : List.of(networkA, networkB)) host.remove(n.networkId(), Optional.of(n));
    host.serveMetadata(List.of());
  }

  @Test
  void eachGuestReadsItsOwnDocumentsThroughItsNetworksNamespace() {
    lease(A);
    lease(B);
    for (Guest g : List.of(A, B)) {
      String routes = sh("ip netns exec " + g.netns() + " ip -4 route show");
      assertTrue(routes.contains(MetadataNamespace.ADDRESS + " dev eth0"), "DHCP's option 121 routes the metadata on-link: " + routes);
      assertTrue(routes.contains("default via 10.78.0.1 dev eth0"), "and keeps the default route: " + routes);
    }

    String a = curl(A, "/openstack/latest/meta_data.json");
    assertTrue(a.contains("\"hostname\":\"guest-a\"") && a.contains(KEY_A) && a.contains(A.serverId()), a);
    assertFalse(a.contains(KEY_B) || a.contains("guest-b"), a);
    assertEquals(KEY_A, curl(A, "/latest/meta-data/public-keys/0/openssh-key").strip());
    assertTrue(curl(A, "/openstack/latest/network_data.json").contains(A.mac()), "network_data.json lists its NIC");

    String b = curl(B, "/openstack/latest/meta_data.json");
    assertTrue(b.contains("\"hostname\":\"guest-b\"") && b.contains(KEY_B), "the same address on the other network is another guest: " + b);
    assertFalse(b.contains(KEY_A) || b.contains("guest-a"), b);
    assertEquals("guest-b", curl(B, "/latest/meta-data/hostname").strip());
    // as the test guest reads it (busybox's wget, no options but the output)
    assertEquals(KEY_A, sh("ip netns exec " + A.netns() + " busybox wget -q -O - http://" + MetadataNamespace.ADDRESS
        + "/latest/meta-data/public-keys/0/openssh-key").strip());
  }

  @Test
  void forgedHeadersChangeNothing() {
    lease(A);
    lease(B);
    // B claims to be on A's network (the same address there is A's guest): it still gets its own
    String b = curl(B, "/openstack/latest/meta_data.json",
        "-H", "X-Nimbus-Network-ID: " + NET_A, "-H", "X-Forwarded-For: " + SAME_IP);
    assertTrue(b.contains(KEY_B) && !b.contains(KEY_A), b);

    // a guest on A's network with an address no port here has claims A's address in the headers
    sh("ip netns exec " + INTRUDER.netns() + " ip addr replace 10.78.0.7/24 dev eth0");
    sh("ip netns exec " + INTRUDER.netns() + " ip route replace " + MetadataNamespace.ADDRESS + " dev eth0");
    Result forged = curlStatus(INTRUDER, "/openstack/latest/meta_data.json",
        "-H", "X-Forwarded-For: " + SAME_IP, "-H", "X-Forwarded-For: 10.78.0.5, 10.78.0.5", "-H", "X-Nimbus-Network-ID: " + NET_A);
    assertEquals("404", forged.status(), "an address nobody here holds gets nothing: " + forged.body());
    assertFalse(forged.body().contains(KEY_A), forged.body());
    assertEquals("404", curlStatus(INTRUDER, "/latest/meta-data/public-keys/0/openssh-key",
        "-H", "X-Forwarded-For: " + SAME_IP).status());
  }

  @Test
  void anAgentStartedAgainServesItsGuestsAtOnce() throws Exception {
    lease(A);
    Path kept = root.resolve("guests").resolve(A.serverId() + ".json");
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!Files.exists(kept)) { // written in the background
      assertTrue(System.nanoTime() < end, "the guest is kept on disk");
      Thread.sleep(20);
    }
    // the old agent's server is gone; the new one has heard of no guest, and listens elsewhere
    firstServer.get(10, TimeUnit.SECONDS).unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ActorRef<LocalGuests.Command> again = system.systemActorOf(
        LocalGuests.create(root.resolve("guests"), system.executionContext()), "local-guests-again",
        org.apache.pekko.actor.typed.Props.empty());
    CompletableFuture<Integer> port = MetadataServer.bind(system, again, 0)
        .thenApply(b -> b.localAddress().getPort()).toCompletableFuture();
    new LinuxTenantHost(run, root.resolve("networks"), "10.250.99.1", "nimbus0", Optional.of(port))
        .serveMetadata(List.of(networkA, networkB)); // the proxy follows the server to its new port

    String a = curl(A, "/openstack/latest/meta_data.json");
    assertTrue(a.contains("\"hostname\":\"guest-a\"") && a.contains(KEY_A), a);
  }

  /** The guest asks DHCP (once per guest: a lease it holds stays). */
  private static void lease(Guest g) {
    String held = sh("ip netns exec " + g.netns() + " ip -4 -o addr show dev eth0");
    if (held.contains(SAME_IP + "/24")) return;
    sh("ip netns exec " + g.netns() + " busybox udhcpc -i eth0 -n -q -t 10 -T 1 -O staticroutes -s " + dhcpScript);
    assertTrue(sh("ip netns exec " + g.netns() + " ip -4 -o addr show dev eth0").contains(SAME_IP + "/24"),
        "the guest has its lease");
  }

  private record Result(String status, String body) {}

  private static String curl(Guest g, String path, String... options) {
    Result r = curlStatus(g, path, options);
    assertEquals("200", r.status(), path + ": " + r.body());
    return r.body();
  }

  private static Result curlStatus(Guest g, String path, String... options) {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", g.netns(), "curl", "-sS", "-m", "10",
        "-w", "\n%{http_code}"));
    command.addAll(Arrays.asList(options));
    command.add("http://" + MetadataNamespace.ADDRESS + path);
    String out = sh(command);
    int cut = out.lastIndexOf('\n');
    return new Result(out.substring(cut + 1).strip(), cut < 0 ? "" : out.substring(0, cut));
  }

  private static String sh(String command) {
    return sh(List.of(command.split(" ")));
  }

  private static String sh(List<String> command) {
    return run.run(command, TIMEOUT);
  }

  private static void quietly(String command) {
    try {
      Process p = new ProcessBuilder(command.split(" ")).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      p.waitFor(20, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
