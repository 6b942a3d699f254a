package nimbus.node.bench;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import nimbus.config.HostSettings;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.Lease;
import nimbus.node.dataplane.LinuxDataplane;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.storage.ImageSeeds;

/**
 * {@code nimbus bench guest}: a real TCG guest (the test guest) from the API's create until its
 * console says GUEST-READY, against a bare {@code virsh create} of the same domain definition
 * with a fresh MAC (and its own static lease) on the same bridge, round by round in one run.
 * Needs root, libvirtd on {@code qemu:///system} and the test guest ({@code ./nimbus test}).
 */
final class GuestBenchmark {
  private static final String VIRSH = "virsh -q -c qemu:///system";
  private static final Duration READY_WITHIN = Duration.ofSeconds(120);

  private GuestBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
    java.util.Optional<Path> built = Benchmarks.testGuest(options);
    if (built.isEmpty()) return 2;
    Path guest = built.get();
    Map<String, Object> settings = Map.of(
        "nimbus.host.hypervisor-uri", "qemu:///system",
        "nimbus.host.domain-type", "qemu",
        "nimbus.host.graceful-shutdown-timeout", "0s",
        // the bare domains' leases belong to no server: the reconciler would release them mid-run
        "nimbus.host.reconcile-interval", "1h",
        "nimbus.images", List.of(Map.of("name", "nimbus-test-guest", "kernel", guest.resolve("vmlinuz").toString(),
            "ramdisk", guest.resolve("initrd.img").toString(), "disk", "", "disk-format", "qcow2")));
    ProcessRunner processes = new ProcessRunner();
    try (BenchHarness h = new BenchHarness(options, settings)) {
      HostSettings host = h.node.settings().host();
      LinuxDataplane bridge = new LinuxDataplane(new LocalNetwork(host.bridge(), host.cidr()), Optional.empty(),
          processes, host.dhcpDir());
      List<Long> api = new ArrayList<>();
      List<Long> bare = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        long start = System.nanoTime();
        String id = create(h);
        awaitReady(() -> consoleOf(h, id));
        api.add(System.nanoTime() - start);
        String definition = processes.run(List.of("bash", "-c", VIRSH + " dumpxml --inactive nimbus-" + id),
            Duration.ofSeconds(30));
        // leased while the server still holds its address, so the bare domain's MAC is a fresh one
        String name = "bench-bare-" + UUID.randomUUID().toString().substring(0, 8);
        Lease lease = bridge.plug(name).orElseThrow();
        delete(h, id);
        try {
          bare.add(bareCreate(name, lease, definition, processes));
        } finally {
          bridge.unplug(name);
        }
        System.out.printf("round %d: API %.2f s, virsh %.2f s%n", round, api.get(round - 1) / 1e9,
            bare.get(round - 1) / 1e9);
      }
      double apiMedian = BenchHarness.percentileMs(api, 50) / 1e3;
      double bareMedian = BenchHarness.percentileMs(bare, 50) / 1e3;
      System.out.printf("create to GUEST-READY, median of %d: API %.2f s, bare virsh create %.2f s -> ratio %.2f%n",
          rounds, apiMedian, bareMedian, apiMedian / bareMedian);
      return 0;
    }
  }

  private static String create(BenchHarness h) throws Exception {
    HttpResponse<String> r = h.http.send(h.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"bench-guest\", "
        + "\"imageRef\": \"" + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"42\"}}"),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
    return BenchHarness.read(r.body()).path("server").path("id").asText();
  }

  static String consoleOf(BenchHarness h, String id) throws Exception {
    HttpResponse<String> r = h.http.send(h.post("/compute/v2.1/servers/" + id + "/action",
        "{\"os-getConsoleOutput\": {}}"), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? BenchHarness.read(r.body()).path("output").asText() : "";
  }

  static void delete(BenchHarness h, String id) throws Exception {
    h.http.send(h.delete("/compute/v2.1/servers/" + id), HttpResponse.BodyHandlers.discarding());
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (h.http.send(h.get("/compute/v2.1/servers/" + id), HttpResponse.BodyHandlers.discarding()).statusCode() != 404) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("server " + id + " not deleted");
      Thread.sleep(50); // polling the API, as a client would
    }
  }

  /**
   * The server's own definition under another name and UUID, with a fresh MAC that has a lease
   * of its own and a console file of its own, started with a bare {@code virsh create}.
   */
  private static long bareCreate(String name, Lease lease, String definition, ProcessRunner processes)
      throws Exception {
    Path dir = Files.createTempDirectory("nimbus-bench-guest");
    Path console = dir.resolve("console.log");
    Path xml = Files.writeString(dir.resolve("domain.xml"), definition
        .replaceFirst("<name>[^<]*</name>", "<name>" + name + "</name>")
        .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>")
        .replaceFirst("<mac address='[^']*'/>", "<mac address='" + lease.mac() + "'/>")
        .replaceFirst("<source path='[^']*console.log'/>", "<source path='" + console + "'/>"));
    try {
      long start = System.nanoTime();
      processes.run(List.of("virsh", "-q", "-c", "qemu:///system", "create", xml.toString()), Duration.ofSeconds(60));
      awaitReady(() -> Files.exists(console) ? Files.readString(console) : "");
      return System.nanoTime() - start;
    } finally {
      processes.run(List.of("bash", "-c", VIRSH + " destroy " + name + " >/dev/null 2>&1 || true"), Duration.ofSeconds(30));
      processes.run(List.of("rm", "-rf", dir.toString()), Duration.ofSeconds(10));
    }
  }

  private static void awaitReady(Callable<String> console) throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (!console.call().contains("GUEST-READY")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("no GUEST-READY within " + READY_WITHIN);
      Thread.sleep(20); // polling the console, as a user would
    }
  }
}
