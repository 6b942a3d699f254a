package nimbus.node.bench;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nimbus.node.agent.ProcessRunner;
import nimbus.storage.ImageSeeds;

/**
 * {@code nimbus bench lease}: on a VXLAN tenant network made through the API, the time from a
 * server's create (API) until the guest holds its DHCP lease (the test guest prints
 * {@code GUEST-IP} with its address once DHCP has answered; both guests' console files are read
 * the same way), against a bare {@code virsh create}
 * of the same guest on the same bridge with the same MAC (so the network's dnsmasq has its static
 * lease), round by round in one run. The bare guest runs while its server is stopped; the server
 * of the round before is deleted only after the next one is made, so the host keeps the network
 * (bridge, VXLAN, dnsmasq) all along, as for the bare guest; a first round, not counted, makes it.
 * Needs root, libvirtd on {@code qemu:///system} and the test guest ({@code ./nimbus test}).
 */
final class LeaseBenchmark {
  private static final String VIRSH = "virsh -q -c qemu:///system";
  private static final Duration WITHIN = Duration.ofSeconds(120);

  private LeaseBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
    java.util.Optional<Path> built = Benchmarks.testGuest(options);
    if (built.isEmpty()) return 2;
    Path guest = built.get();
    // dnsmasq reads its leases after dropping root: the directory must be world-readable
    Path dhcp = Files.createTempDirectory("nimbus-bench-dhcp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Map<String, Object> settings = new HashMap<>(Map.of(
        "nimbus.host.hypervisor-uri", "qemu:///system",
        "nimbus.host.domain-type", "qemu",
        "nimbus.host.dataplane", "linux",
        "nimbus.host.graceful-shutdown-timeout", "0s",
        "nimbus.host.reconcile-interval", "1h",
        // a host-local network of its own: the machine's nimbus0 and its dnsmasq are not the bench's
        "nimbus.host.local-network.bridge", "nlease0",
        "nimbus.host.local-network.cidr", "10.95.0.0/24",
        "nimbus.host.local-network.dhcp-dir", dhcp.toString()));
    settings.put("nimbus.images", List.of(Map.of("name", "nimbus-test-guest", "kernel", guest.resolve("vmlinuz").toString(),
        "ramdisk", guest.resolve("initrd.img").toString(), "disk", "", "disk-format", "qcow2")));
    ProcessRunner processes = new ProcessRunner();
    try (BenchHarness h = new BenchHarness(options, settings)) {
      String net = created(h, "/network/v2.0/networks", "{\"network\": {\"name\": \"bench-lease\"}}", "network");
      created(h, "/network/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net
          + "\", \"ip_version\": 4, \"cidr\": \"10.94.0.0/24\"}}", "subnet");
      List<Long> api = new ArrayList<>();
      List<Long> bare = new ArrayList<>();
      List<String> servers = new ArrayList<>(); // at most two: the round's and the one before
      try {
        for (int round = 0; round <= rounds; round++) {
          long start = System.nanoTime();
          String id = create(h, net);
          servers.add(id);
          // its console file, read as the bare guest's is (the API's console is checked once, after)
          Path console = h.node.settings().host().instancesDir().resolve(id).resolve("console.log");
          Lease lease = awaitLease("server " + id, start, () -> Files.exists(console) ? Files.readString(console) : "");
          String address = lease.address();
          long apiNanos = lease.nanos();
          if (!GuestBenchmark.consoleOf(h, id).contains("GUEST-IP " + address + "/")) {
            throw new IllegalStateException("the API's console of server " + id + " shows no lease of " + address);
          }
          if (servers.size() > 1) GuestBenchmark.delete(h, servers.remove(0));
          stop(h, id);
          String definition = processes.run(List.of("bash", "-c", VIRSH + " dumpxml --inactive nimbus-" + id),
              Duration.ofSeconds(30));
          Lease bareLease = bareCreate(definition, address, processes);
          long bareNanos = bareLease.nanos();
          if (round == 0) {
            System.out.printf("first round (the host makes the network): API %.2f s, virsh %.2f s (not counted)%n",
                apiNanos / 1e9, bareNanos / 1e9);
            continue;
          }
          api.add(apiNanos);
          bare.add(bareNanos);
          System.out.printf("round %d: API %.2f s, virsh %.2f s (lease %s; the guest's first output after %.2f s and %.2f s)%n",
              round, apiNanos / 1e9, bareNanos / 1e9, address, lease.firstOutput() / 1e9, bareLease.firstOutput() / 1e9);
        }
      } finally {
        for (String id : servers) GuestBenchmark.delete(h, id);
        deleteNetwork(h, net);
      }
      double apiMedian = BenchHarness.percentileMs(api, 50) / 1e3;
      double bareMedian = BenchHarness.percentileMs(bare, 50) / 1e3;
      System.out.printf("create to DHCP lease on a VXLAN network, median of %d: API %.2f s, bare virsh create %.2f s"
          + " -> ratio %.2f%n", rounds, apiMedian, bareMedian, apiMedian / bareMedian);
      return 0;
    } finally {
      // the host-local network is the machine's, so the node leaves it: this one was the bench's
      ProcessHandle.allProcesses()
          .filter(p -> p.info().arguments().map(a -> String.join(" ", a)).orElse("").contains(dhcp.toString()))
          .forEach(ProcessHandle::destroy);
      processes.run(List.of("bash", "-c", "ip link del dev nlease0 2>/dev/null || true"), Duration.ofSeconds(10));
      processes.run(List.of("rm", "-rf", dhcp.toString()), Duration.ofSeconds(10));
    }
  }

  private static String created(BenchHarness h, String path, String body, String resource) throws Exception {
    HttpResponse<String> r = h.http.send(h.post(path, body), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    return BenchHarness.read(r.body()).path(resource).path("id").asText();
  }

  private static String create(BenchHarness h, String net) throws Exception {
    HttpResponse<String> r = h.http.send(h.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"bench-lease\", "
        + "\"imageRef\": \"" + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"42\", "
        + "\"networks\": [{\"uuid\": \"" + net + "\"}]}}"), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
    return BenchHarness.read(r.body()).path("server").path("id").asText();
  }

  /** Deletes the network once its last port is gone (a deleted server's port goes a moment after it). */
  private static void deleteNetwork(BenchHarness h, String net) throws Exception {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    while (h.http.send(h.delete("/network/v2.0/networks/" + net), HttpResponse.BodyHandlers.discarding()).statusCode() != 204) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("network " + net + " not deleted");
      Thread.sleep(100); // polling the API, as a client would
    }
  }

  /** Stops the server (its port stays plugged, so its lease stays with the network's dnsmasq). */
  private static void stop(BenchHarness h, String id) throws Exception {
    h.http.send(h.post("/compute/v2.1/servers/" + id + "/action", "{\"os-stop\": null}"), HttpResponse.BodyHandlers.discarding());
    long deadline = System.nanoTime() + WITHIN.toNanos();
    while (!h.getJson("/compute/v2.1/servers/" + id).path("server").path("status").asText().equals("SHUTOFF")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("server " + id + " did not stop");
      Thread.sleep(50); // polling the API, as a client would
    }
  }

  /**
   * The server's own definition (its MAC, tap and bridge) under another name and UUID, with a
   * console file of its own, started with a bare {@code virsh create}; answers the time to its
   * lease, which must be the server's address.
   */
  private static Lease bareCreate(String definition, String address, ProcessRunner processes) throws Exception {
    String name = "bench-bare-" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Files.createTempDirectory("nimbus-bench-lease");
    Path console = dir.resolve("console.log");
    Matcher serverConsole = Pattern.compile("/[^'\"<>]*/console\\.log").matcher(definition);
    if (!serverConsole.find()) throw new IllegalStateException("no console file in the server's definition: " + definition);
    Path xml = Files.writeString(dir.resolve("domain.xml"), definition
        .replaceFirst("<name>[^<]*</name>", "<name>" + name + "</name>")
        .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>")
        .replace(serverConsole.group(), console.toString()));
    try {
      long start = System.nanoTime();
      processes.run(List.of("virsh", "-q", "-c", "qemu:///system", "create", xml.toString()), Duration.ofSeconds(60));
      Lease got = awaitLease("bare guest " + name, start, () -> Files.exists(console) ? Files.readString(console) : "");
      if (!got.address().equals(address)) throw new IllegalStateException("the bare guest got " + got.address() + ", not " + address);
      return got;
    } finally {
      processes.run(List.of("bash", "-c", VIRSH + " destroy " + name + " >/dev/null 2>&1 || true"), Duration.ofSeconds(30));
      processes.run(List.of("rm", "-rf", dir.toString()), Duration.ofSeconds(10));
    }
  }

  /** A guest's lease, and how long after the start it was taken and the guest's console began. */
  private record Lease(String address, long nanos, long firstOutput) {}

  /** Polls a console until the guest says which address DHCP gave it. */
  private static Lease awaitLease(String guest, long start, Callable<String> console) throws Exception {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    long firstOutput = -1;
    while (true) {
      String text = console.call();
      if (firstOutput < 0 && !text.isEmpty()) firstOutput = System.nanoTime() - start;
      Optional<String> address = text.lines().map(String::strip)
          .filter(l -> l.startsWith("GUEST-IP ") && l.length() > "GUEST-IP ".length())
          .map(l -> l.substring("GUEST-IP ".length()).split("/")[0]).findFirst();
      if (address.isPresent()) return new Lease(address.get(), System.nanoTime() - start, firstOutput);
      if (text.contains("GUEST-READY")) throw new IllegalStateException(guest + " got no lease: " + text);
      if (System.nanoTime() > deadline) throw new IllegalStateException(guest + " got no lease within " + WITHIN + ": " + text);
      Thread.sleep(20); // polling the console, as a user would
    }
  }
}
