package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.compute.ServerPorts;
import nimbus.node.dataplane.TenantSegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The headline check of tenant networks, end to end on two hosts ({@link NamespaceHosts}: host1
 * and host2, each its own namespace, libvirtd and compute node, joined over the underlay): on a
 * VXLAN network made through the Neutron API, a real TCG guest on each host gets its lease from
 * its own host's dnsmasq (the address the API shows, MTU 1450), and the two ping each other
 * across the hosts, full-size packets too; a guest on another network of the same CIDR reaches
 * neither; deleting the servers and networks leaves no Nimbus device and no tenant dnsmasq on
 * either host.
 *
 * <p>On the way, host1's node (its agent) is killed with SIGKILL and started again while the two
 * guests ping each other: the guests run on untouched, traffic never needs the agent, and the new
 * agent leaves the host with exactly the devices, DHCP servers and rules its ports need (a stale
 * bridge and VXLAN device with Nimbus's names, left behind while it was down, are removed; an
 * operator's bridge is not). At the end every host has what it had before the networks were made.
 *
 * <p>The guests are told whom to ping on their kernel command line (the image's
 * {@code os_command_line}, {@code nimbus.ping=A,B}), and say on their console what came of it
 * ({@code PING-OK}, {@code PING-FAIL}, {@code PING-MTU-OK}: scripts/build-test-guest.sh). With
 * {@code nimbus.metadata=1} each also reads its host name and its key pair's public key from the
 * metadata service at 169.254.169.254 of its own host, and prints them ({@code META-HOSTNAME},
 * {@code META-KEY}): each sees its own, none another's, the guest of the same-CIDR network on
 * the same host too.
 */
class TwoHostTenantNetworkTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String V2 = GuestCloud.V2;
  private static final String A = "10.77.0.21";
  private static final String B = "10.77.0.22";
  private static final String C = "10.77.0.23";
  private static GuestCloud cloud;
  private static NamespaceHosts hosts;
  private static Api api;

  @BeforeAll
  static void startTheControlNodeAndTwoHosts() throws Exception {
    cloud = GuestCloud.start("nimbus-two-host-net", 2, Optional.empty(), Map.of());
    hosts = cloud.hosts;
    api = cloud.api;
  }

  @AfterAll
  static void stopEverything() throws Exception {
    if (cloud != null) cloud.close(); // guests, dnsmasqs, devices and namespaces go with the hosts
  }

  @Test
  void guestsOnTwoHostsShareAVxlanNetworkAndNoOtherAndLeaveNothing() throws Exception {
    Map<String, List<String>> before = new HashMap<>();
    for (String host : hosts.names()) before.put(host, NimbusTraces.of(hosts, host));
    String net = create("networks", "network", "{\"network\": {\"name\": \"shared\"}}");
    assertEquals("vxlan", api.get(V2 + "/networks/" + net).body().path("network").path("provider:network_type").asText());
    create("subnets", "subnet", subnet(net));
    String other = create("networks", "network", "{\"network\": {\"name\": \"other\"}}");
    create("subnets", "subnet", subnet(other));

    // each guest has a key pair of its own, which it reads from the metadata service
    Map<String, String> keyOf = Map.of("a-on-host1", keypair("key-a", 'a'), "b-on-host2", keypair("key-b", 'b'),
        "c-on-other", keypair("key-c", 'c'));

    // the two on the shared network ping each other for up to 2 minutes (they boot at their own
    // pace), then on every 2 seconds
    commandLine("console=ttyS0 nimbus.metadata=1 nimbus.ping=" + A + "," + B + " nimbus.pingwait=120 nimbus.pingloop=2");
    String a = server("a-on-host1", "host1", net, A, "key-a");
    String b = server("b-on-host2", "host2", net, B, "key-b");
    Map<String, String> hostOf = Map.of(a, "host1", b, "host2");
    for (String id : List.of(a, b)) {
      JsonNode server = api.awaitStatus(id, "ACTIVE", WAIT);
      assertEquals(hostOf.get(id), server.path("OS-EXT-SRV-ATTR:host").asText());
      assertEquals(List.of("nimbus-" + id), hosts.domains(hostOf.get(id)), "the guest runs on its zone's host");
    }
    for (String id : List.of(a, b)) {
      String address = id.equals(a) ? A : B;
      JsonNode shown = api.get("/compute/v2.1/servers/" + id).body().path("server").path("addresses").path("shared");
      assertEquals(address, shown.path(0).path("addr").asText(), "the API shows the fixed address: " + shown);
      String mac = shown.path(0).path("OS-EXT-IPS-MAC:mac_addr").asText();
      String console = Eventually.await(WAIT, () -> {
        String out = console(id);
        return out.contains("GUEST-READY") ? out : null;
      });
      assertTrue(console.contains("GUEST-IP " + address + "/24"), "the guest's lease is the API's address: " + console);
      assertTrue(console.contains("GUEST-MTU 1450"), "and its MTU the network's (a test guest older than "
          + "scripts/build-test-guest.sh prints none): " + console);
      // its own host's dnsmasq answered it, the other's never heard of it (DHCP does not cross the uplinks)
      String here = hostOf.get(id);
      String there = here.equals("host1") ? "host2" : "host1";
      Eventually.until(WAIT, () -> leases(here, net).contains(mac + " " + address + " "));
      assertFalse(leases(there, net).contains(mac), there + " served no lease to the guest on " + here);
      assertTrue(Files.exists(networkDir(here, net).resolve("hosts").resolve(ServerPorts.portId(id, 0))));
      assertFalse(Files.exists(networkDir(there, net).resolve("hosts").resolve(ServerPorts.portId(id, 0))));
    }
    for (String[] pair : List.of(new String[] {a, B}, new String[] {b, A})) {
      String id = pair[0];
      String peer = pair[1];
      String result = Eventually.await(Duration.ofSeconds(150), () -> {
        String out = console(id);
        return out.contains("PING-MTU-OK " + peer) || out.contains("PING-MTU-FAIL " + peer) || out.contains("PING-FAIL " + peer)
            ? out : null;
      });
      assertTrue(result.contains("PING-OK " + peer) && result.contains("PING-MTU-OK " + peer),
          "the guest on " + hostOf.get(id) + " reaches " + peer + " across the hosts, 1450-byte packets too: " + result);
    }

    agentOfHost1KilledAndRestarted(a, b);
    aVolumeWrittenOnOneHostIsReadOnTheOtherAcrossItsStorageHostsRestart(Map.of("host1", a, "host2", b));

    // a guest on the other network, same CIDR, on host1 beside a: it reaches neither a nor b
    commandLine("console=ttyS0 nimbus.metadata=1 nimbus.ping=" + A + "," + B + " nimbus.pingwait=15");
    String c = server("c-on-other", "host1", other, C, "key-c");
    api.awaitStatus(c, "ACTIVE", WAIT);
    String isolated = Eventually.await(Duration.ofSeconds(120), () -> {
      String out = console(c);
      return (out.contains("PING-FAIL " + A) || out.contains("PING-OK " + A))
          && (out.contains("PING-FAIL " + B) || out.contains("PING-OK " + B)) ? out : null;
    });
    assertTrue(isolated.contains("GUEST-IP " + C + "/24"), "the isolated guest has its network's lease: " + isolated);
    assertTrue(isolated.contains("PING-FAIL " + A) && isolated.contains("PING-FAIL " + B)
        && !isolated.contains("PING-OK"), "a network of the same CIDR reaches neither guest: " + isolated);
    assertTrue(console(a).contains("PING-OK " + B), "while a and b are up on theirs");

    // every guest read its own host name and public key from the metadata service of its own
    // host and network, and nobody else's (c shares host1 and the CIDR with a)
    Map<String, String> nameOf = Map.of(a, "a-on-host1", b, "b-on-host2", c, "c-on-other");
    for (String id : List.of(a, b, c)) {
      String name = nameOf.get(id);
      // the guest retries for up to 120 s before it says META-FAIL
      String out = Eventually.await(Duration.ofSeconds(150), () -> {
        String console = console(id);
        return console.contains("META-KEY") || console.contains("META-FAIL") ? console : null;
      });
      assertTrue(out.contains("META-HOSTNAME " + name + "\n"), name + " reads its host name: " + TestGuest.said(out));
      assertTrue(out.contains("META-KEY " + keyOf.get(name) + "\n"), name + " reads its public key: " + TestGuest.said(out));
      for (String stranger : keyOf.keySet()) {
        if (stranger.equals(name)) continue;
        assertFalse(out.contains(stranger) || out.contains(keyOf.get(stranger)), name + " sees nothing of " + stranger);
      }
    }

    // everything deleted: nothing of Nimbus's is left on either host
    for (String id : List.of(a, b, c)) assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    for (String id : List.of(a, b, c)) {
      Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    }
    for (String id : List.of(net, other)) {
      Eventually.until(WAIT, () -> api.delete(V2 + "/networks/" + id).status() == 204);
    }
    for (String host : hosts.names()) {
      Eventually.until(WAIT, () -> nimbusDevices(host).isEmpty() && tenantDnsmasqs(host).isEmpty()
          && metadataNamespaces(host).isEmpty() && haproxies(host).isEmpty());
      sameTraces(before.get(host), host);
      assertEquals(List.of(), hosts.domains(host));
      assertFalse(Files.exists(networkDir(host, net)) || Files.exists(networkDir(host, other)), "no records on " + host);
    }
  }

  /**
   * Kills host1's node while a (there) and b (on host2) ping each other, leaves orphans with
   * Nimbus's names and one without, and starts the node again.
   */
  private static void agentOfHost1KilledAndRestarted(String a, String b) throws Exception {
    String domain = "nimbus-" + a;
    String runningAs = hosts.virsh("host1", "domid", domain).strip();
    Eventually.until(WAIT, () -> NimbusTraces.of(hosts, "host1").stream().anyMatch(l -> l.startsWith("flood ")));
    List<String> made = NimbusTraces.of(hosts, "host1");
    hosts.killNode("host1");

    // what a host can be left with: a bridge of a network that is no more, a VXLAN device of a
    // segment it no longer carries (both Nimbus's), and a bridge of the operator's own
    String staleBridge = TenantSegment.bridgeOf(UUID.randomUUID().toString());
    run("ip", "-n", "host1", "link", "add", staleBridge, "type", "bridge");
    run("ip", "-n", "host1", "link", "add", "nvx-16000000", "type", "vxlan", "id", "16000000", "dstport", "4789",
        "local", NamespaceHosts.address(1), "nolearning");
    run("ip", "-n", "host1", "link", "add", "opbr0", "type", "bridge");
    assertTrue(NimbusTraces.of(hosts, "host1").contains("device " + staleBridge));

    // with no agent on host1, b still reaches a: the kernel carries the traffic
    int heardByB = count(console(b), "PING-OK " + A);
    Eventually.until(WAIT, () -> count(console(b), "PING-OK " + A) > heardByB + 1);

    long restart = System.nanoTime();
    hosts.restartNodes();
    // the new agent answers for a again, and a still reaches b, with the same domain running
    int heardByA = Eventually.await(WAIT, () -> {
      Api.Reply r = api.post("/compute/v2.1/servers/" + a + "/action", "{\"os-getConsoleOutput\": {\"length\": -1}}");
      return r.status() == 200 ? count(r.body().path("output").asText(), "PING-OK " + B) : null;
    });
    Eventually.until(WAIT, () -> count(console(a), "PING-OK " + B) > heardByA);
    System.out.printf("host1's agent back (console through it, a new PING-OK from a) %.1f s after its restart began%n",
        (System.nanoTime() - restart) / 1e9);
    assertEquals(runningAs, hosts.virsh("host1", "domid", domain).strip(), "the guest ran on, untouched");
    assertEquals("ACTIVE", api.awaitStatus(a, "ACTIVE", WAIT).path("status").asText());
    String console = console(a) + console(b);
    assertFalse(console.contains("PING-LOST"), "no ping was lost while host1's agent died and came back: " + console);

    // and the host has what its ports need, no more: the orphans of Nimbus's names went, not the operator's bridge
    sameTraces(made, "host1");
    assertTrue(run("ip", "-n", "host1", "-o", "link", "show", "dev", "opbr0").contains("opbr0"), "the operator's bridge stays");
    run("ip", "-n", "host1", "link", "del", "opbr0");
  }

  /**
   * A volume written by the guest on the host that does not store it (over NBD: QEMU's own client
   * to the storage host's {@code qemu-storage-daemon} on its underlay address), detached, then read
   * by the guest on the storage host (its file): the marker is there. Attached again to the first
   * guest, the storage host's node is killed and its export's daemon with it; the node started again
   * serves the export again on the same URI, and the guest (whose client connects again: its first
   * request after the daemon's death fails, and is asked again) reads the marker back and writes
   * another, which reaches the file; a tenant's guest that routes to the storage host's address gets
   * no answer from its NBD port, nor does a machine on the underlay that is no compute host (the
   * storage host's firewall lets in the compute hosts alone: {@code NbdGuardNamespaceTest} shows a
   * host-local network's guest kept out too).
   */
  private static void aVolumeWrittenOnOneHostIsReadOnTheOtherAcrossItsStorageHostsRestart(Map<String, String> guestOn)
      throws Exception {
    String project = api.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String volume = api.post("/volume/v3/" + project + "/volumes", "{\"volume\": {\"size\": 1}}").body()
        .path("volume").path("id").asText();
    Eventually.until(WAIT, () -> volumeStatus(project, volume).equals("available"));
    String storage = hosts.names().stream().filter(h -> Files.exists(volumeFile(h, volume))).findFirst().orElseThrow();
    String elsewhere = storage.equals("host1") ? "host2" : "host1";
    String remote = guestOn.get(elsewhere);
    String local = guestOn.get(storage);
    String serial = volume.substring(0, 20);
    String findDisk = "while ! grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done;"
        + " d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4);";

    attachVolume(remote, volume, project);
    String disk = hosts.virsh(elsewhere, "dumpxml", "nimbus-" + remote);
    assertTrue(disk.contains("protocol='nbd'") && disk.contains("<host name='"
        + NamespaceHosts.address(Integer.parseInt(storage.substring(4))) + "'"), "a network disk from " + storage + ": " + disk);
    typeInto(elsewhere, remote, findDisk + " echo NIMBUS-NBD-MARK > /dev/$d; sync; echo NBD-WROTE-$((6*7))", "NBD-WROTE-42");
    assertEquals("NIMBUS-NBD-MARK", head(volumeFile(storage, volume), 15), "the write over NBD is in the volume's file");
    detachVolume(elsewhere, remote, volume, project, serial);

    attachVolume(local, volume, project);
    assertTrue(hosts.virsh(storage, "dumpxml", "nimbus-" + local).contains("nimbus-volume-" + volume),
        "the storage host's guest opens the file");
    typeInto(storage, local, findDisk + " head -c 15 /dev/$d | tr A-Z a-z; echo; echo LOCAL-READ-$((6*7))", "LOCAL-READ-42");
    assertEquals(1, count(console(local), "nimbus-nbd-mark"), "read back on " + storage + ": "
        + TestGuest.said(console(local)));
    detachVolume(storage, local, volume, project, serial);

    attachVolume(remote, volume, project);
    Path exports = hosts.dir(storage).resolve("data/nbd-exports");
    String uri = Files.readString(exports.resolve(volume + ".export")).strip();
    // the storage host's node dies, and the daemon with it (as a host's processes killed together would)
    hosts.killNode(storage);
    ProcessHandle daemon = ProcessHandle.of(Long.parseLong(Files.readString(exports.resolve(volume + ".pid")).strip()))
        .orElseThrow();
    daemon.destroyForcibly();
    daemon.onExit().get();
    hosts.restartNodes();
    Eventually.until(WAIT, () -> {
      Api.Reply r = api.post("/compute/v2.1/servers/" + local + "/action", "{\"os-getConsoleOutput\": {\"length\": -1}}");
      return r.status() == 200;
    });
    Eventually.until(WAIT, () -> Files.exists(exports.resolve(volume + ".pid"))
        && ProcessHandle.of(Long.parseLong(Files.readString(exports.resolve(volume + ".pid")).strip())).isPresent());
    assertEquals(uri, Files.readString(exports.resolve(volume + ".export")).strip(), "served again on the same URI");
    // the first request after the daemon's death fails as the client finds its connection broken
    // and connects again; the page cache is dropped so that the reads go to the disk
    typeInto(elsewhere, remote, findDisk + " echo 3 > /proc/sys/vm/drop_caches;"
        + " until head -c 15 /dev/$d >/dev/null 2>&1; do sleep 1; echo 3 > /proc/sys/vm/drop_caches; done;"
        + " echo 3 > /proc/sys/vm/drop_caches; head -c 15 /dev/$d | tr A-Z a-z; echo;"
        + " echo NIMBUS-NBD-AGAIN | dd of=/dev/$d bs=512 seek=1 conv=notrunc,fsync 2>/dev/null; echo REMOTE-READ-$((6*7))",
        "REMOTE-READ-42");
    assertEquals(1, count(console(remote), "nimbus-nbd-mark"), "read back over NBD after the restart: "
        + TestGuest.said(console(remote)));
    assertEquals("NIMBUS-NBD-MARK\nNIMBUS-NBD-AGAIN", head(volumeFile(storage, volume), 528).replace("\0", "")
        .replaceFirst("\n$", ""), "written after the restart, into the file");
    // the attack: the guest on the storage host routes to the host's own address and asks its NBD
    // port, as QEMU does; what reaches the host from a tenant network is dropped, so no server greets it
    nimbus.storage.NbdExport export = nimbus.storage.NbdExport.parse(uri);
    typeInto(storage, local, "ip route add " + export.address() + " dev eth0; timeout 5 nc " + export.address() + " "
        + export.port() + " </dev/null 2>/dev/null | head -c 8; echo; echo NBD-PROBED-$((6*7))", "NBD-PROBED-42");
    assertFalse(console(local).contains("NBDMAGIC"), "a tenant's guest reaches no NBD server: " + TestGuest.said(console(local)));
    // the storage host's firewall lets in the compute hosts (both, from the host directory), and no
    // other machine of the underlay: the root namespace's 10.252.0.1 (the control node's, no
    // compute host) gets no answer to QEMU's client, where the other host's client opens the export
    String members = hosts.inHost(storage, "nft", "list", "set", "inet", "nimbus-nbd", "computes4");
    assertTrue(members.contains(NamespaceHosts.address(1)) && members.contains(NamespaceHosts.address(2)), members);
    assertTrue(hosts.inHost(elsewhere, "timeout", "10", "qemu-img", "info", "-f", "raw", uri).contains("virtual size"));
    Process stranger = new ProcessBuilder("timeout", "5", "qemu-img", "info", "-f", "raw", uri)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(stranger.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && stranger.exitValue() != 0,
        "a machine on the underlay that is no compute host reaches no NBD server");
    detachVolume(elsewhere, remote, volume, project, serial);
    Eventually.until(WAIT, () -> !Files.exists(exports.resolve(volume + ".export")));
    assertEquals(202, api.delete("/volume/v3/" + project + "/volumes/" + volume).status());
    Eventually.until(WAIT, () -> !Files.exists(volumeFile(storage, volume)));
  }

  private static Path volumeFile(String host, String volume) {
    return hosts.dir(host).resolve("data/volumes/nimbus-volume-" + volume);
  }

  private static String volumeStatus(String project, String volume) {
    return api.get("/volume/v3/" + project + "/volumes/" + volume).body().path("volume").path("status").asText();
  }

  private static String head(Path file, int n) throws Exception {
    try (var in = Files.newInputStream(file)) {
      return new String(in.readNBytes(n), java.nio.charset.StandardCharsets.US_ASCII);
    }
  }

  private static void attachVolume(String server, String volume, String project) {
    Api.Reply attached = api.post("/compute/v2.1/servers/" + server + "/os-volume_attachments",
        "{\"volumeAttachment\": {\"volumeId\": \"" + volume + "\"}}");
    assertEquals(200, attached.status(), attached.raw());
    Eventually.until(WAIT, () -> volumeStatus(project, volume).equals("in-use"));
  }

  /** Detached: the guest lets the disk go (ACPI hot-unplug), and the volume is available again. */
  private static void detachVolume(String host, String server, String volume, String project, String serial)
      throws Exception {
    assertEquals(202, api.delete("/compute/v2.1/servers/" + server + "/os-volume_attachments/" + volume).status());
    typeInto(host, server, "while grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done; echo GONE-$((6*7))",
        "GONE-42");
    Eventually.until(WAIT, () -> volumeStatus(project, volume).equals("available"));
  }

  /** Types {@code line} into the guest's shell until its console shows {@code done} once more. */
  private static void typeInto(String host, String server, String line, String done) throws Exception {
    int before = count(console(server), done);
    TestGuest.typeInto(hosts.virsh(host, "dumpxml", "nimbus-" + server), line, WAIT,
        () -> count(console(server), done) > before);
  }

  private static void sameTraces(List<String> expected, String host) throws Exception {
    cloud.sameTraces(expected, host, WAIT);
  }

  private static int count(String text, String line) {
    return GuestCloud.count(text, line);
  }

  // ------------------------------------------------------------------ helpers

  private static String subnet(String network) {
    return "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4, \"cidr\": \"10.77.0.0/24\"}}";
  }

  private static String create(String collection, String resource, String body) {
    return cloud.create(collection, resource, body);
  }

  private static void commandLine(String line) {
    cloud.commandLine(line);
  }

  private static String keypair(String name, char fill) {
    return cloud.keypair(name, fill);
  }

  private static String server(String name, String zone, String network, String fixedIp, String keyName) {
    Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"key_name\": \"" + keyName
        + "\", \"availability_zone\": \"" + zone + "\", \"networks\": "
        + "[{\"uuid\": \"" + network + "\", \"fixed_ip\": \"" + fixedIp + "\"}]}}");
    assertEquals(202, r.status(), r.raw());
    return r.body().path("server").path("id").asText();
  }

  private static String console(String id) {
    return cloud.console(id);
  }

  /** Where a host keeps a network's DHCP files (its /var/lib/nimbus/dhcp/networks/ID). */
  private static Path networkDir(String host, String network) {
    return hosts.dir(host).resolve("lib-nimbus/dhcp/networks").resolve(network);
  }

  /** The leases the host's dnsmasq for the network has handed out ("EXPIRY MAC IP NAME ID" lines). */
  private static String leases(String host, String network) throws Exception {
    Path file = networkDir(host, network).resolve("dnsmasq.leases");
    return Files.exists(file) ? Files.readString(file) : "";
  }

  /** Nimbus's tenant devices in the host's namespace: bridges, VXLAN links and taps. */
  private static List<String> nimbusDevices(String host) throws Exception {
    List<String> found = new ArrayList<>();
    for (String line : run("ip", "-n", host, "-o", "link", "show").lines().toList()) {
      String name = line.split(":\\s+", 3)[1].split("@")[0];
      if (name.startsWith("nbr-") || name.startsWith("nvx-") || name.startsWith("ntp-")) found.add(name);
    }
    return found;
  }

  /** The metadata namespaces the host has (its own /run/netns: namespace-hosts.sh). */
  private static List<String> metadataNamespaces(String host) throws Exception {
    try (var files = Files.list(hosts.dir(host).resolve("run-netns"))) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("nm-")).toList();
    }
  }

  /** The haproxy processes in the host's namespace (its metadata proxy). */
  private static List<String> haproxies(String host) throws Exception {
    return processes(host).stream().filter(c -> c.contains("haproxy")).toList();
  }

  /** The dnsmasqs in the host's namespace that serve a tenant network (not its host-local one). */
  private static List<String> tenantDnsmasqs(String host) throws Exception {
    return processes(host).stream().filter(c -> c.contains("dnsmasq") && c.contains("/networks/")).toList();
  }

  private static List<String> processes(String host) throws Exception {
    return GuestCloud.processes(host);
  }

  private static String run(String... command) throws Exception {
    return GuestCloud.run(command);
  }
}
