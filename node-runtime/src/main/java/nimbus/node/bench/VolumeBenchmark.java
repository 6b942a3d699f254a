package nimbus.node.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code nimbus bench volume-create}: creates volumes of 1 GiB through the volume API of an
 * all-in-one node whose storage host keeps them as files in a real libvirt {@code dir} pool (the
 * default backend), at {@code --rate} requests per second (0: as fast as {@code --concurrency}
 * allows), and measures the achieved request rate and each volume's time from its create request
 * until the API shows it {@code available}. The node talks to {@code qemu:///session}, so it never
 * sees (nor reconciles away) the system libvirtd's guests.
 */
final class VolumeBenchmark {
  private VolumeBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int volumes = Integer.parseInt(options.getOrDefault("volumes", "100"));
    double rate = Double.parseDouble(options.getOrDefault("rate", "0"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "16"));
    Map<String, Object> settings = Map.of(
        "nimbus.host.hypervisor-uri", options.getOrDefault("hypervisor-uri", "qemu:///session"),
        "nimbus.host.domain-type", "qemu",
        "nimbus.host.dataplane", "recording");
    try (BenchHarness h = new BenchHarness(options, settings)) {
      String project = BenchHarness.read(h.login().body()).path("token").path("project").path("id").asText();
      String base = "/volume/v3/" + project;
      HttpResponse<String> quota = h.http.send(h.put(base + "/os-quota-sets/" + project,
          "{\"quota_set\": {\"volumes\": -1, \"gigabytes\": -1}}"), HttpResponse.BodyHandlers.ofString());
      if (quota.statusCode() != 200) throw new IllegalStateException("quota: " + quota.statusCode() + " " + quota.body());
      Map<String, Long> sentAt = new ConcurrentHashMap<>();
      java.util.concurrent.atomic.AtomicBoolean allSent = new java.util.concurrent.atomic.AtomicBoolean();
      // watched while the creates go out: a volume's first sight as available is its time, not the end of the run
      CompletableFuture<List<Long>> watching = CompletableFuture.supplyAsync(() -> awaitAvailable(h, base, sentAt, allSent));
      long t0 = System.nanoTime();
      List<Long> createLatency;
      if (rate > 0) {
        createLatency = atRate(h, base, volumes, rate, sentAt);
      } else {
        createLatency = BenchHarness.runConcurrently(volumes, concurrency, i -> create(h, base, sentAt));
      }
      long sent = System.nanoTime();
      allSent.set(true);
      List<Long> toAvailable = watching.join();
      long done = System.nanoTime();
      System.out.printf("volumes: %d of 1 GiB requested in %.2f s -> %.1f requests/s (%s), all available after %.2f s%n",
          volumes, (sent - t0) / 1e9, volumes / ((sent - t0) / 1e9),
          rate > 0 ? "asked " + rate + "/s" : "concurrency " + concurrency, (done - t0) / 1e9);
      System.out.printf("create request latency: p50 %.1f ms, p99 %.1f ms%n",
          BenchHarness.percentileMs(createLatency, 50), BenchHarness.percentileMs(createLatency, 99));
      System.out.printf("create to available:    p50 %.1f ms, p99 %.1f ms%n",
          BenchHarness.percentileMs(toAvailable, 50), BenchHarness.percentileMs(toAvailable, 99));
      for (String id : sentAt.keySet()) h.http.send(h.delete(base + "/volumes/" + id), HttpResponse.BodyHandlers.discarding());
      return 0;
    }
  }

  private static CompletableFuture<Void> create(BenchHarness h, String base, Map<String, Long> sentAt) {
    long start = System.nanoTime();
    return h.http.sendAsync(h.post(base + "/volumes", "{\"volume\": {\"size\": 1, \"name\": \"bench\"}}"),
        HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
          if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
          sentAt.put(BenchHarness.read(r.body()).path("volume").path("id").asText(), start);
        });
  }

  /** One create every 1/rate seconds, each sent without waiting for the ones before. */
  private static List<Long> atRate(BenchHarness h, String base, int volumes, double rate, Map<String, Long> sentAt)
      throws Exception {
    List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < volumes; i++) {
      long due = t0 + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing the requests
      long start = System.nanoTime();
      all.add(create(h, base, sentAt).whenComplete((v, e) -> latencies.add(System.nanoTime() - start)));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
    return latencies;
  }

  /** Polls the volume list (as a client would) and takes each volume's first sight as available. */
  private static List<Long> awaitAvailable(BenchHarness h, String base, Map<String, Long> sentAt,
      java.util.concurrent.atomic.AtomicBoolean allSent) {
    try {
      return watch(h, base, sentAt, allSent);
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  private static List<Long> watch(BenchHarness h, String base, Map<String, Long> sentAt,
      java.util.concurrent.atomic.AtomicBoolean allSent) throws Exception {
    Map<String, Long> availableAt = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (!allSent.get() || availableAt.size() < sentAt.size()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("volumes still creating after 10 minutes");
      JsonNode list = h.getJson(base + "/volumes/detail?limit=1000").path("volumes");
      long now = System.nanoTime();
      for (JsonNode v : list) {
        String id = v.path("id").asText();
        String status = v.path("status").asText();
        if (status.equals("error")) throw new IllegalStateException("volume " + id + " ended in error");
        // a volume seen available before its create's answer arrived is counted at its first sight after
        if (status.equals("available") && sentAt.containsKey(id)) availableAt.putIfAbsent(id, now);
      }
      Thread.sleep(10); // polling the API, as a client would
    }
    List<Long> out = new ArrayList<>();
    availableAt.forEach((id, at) -> out.add(at - sentAt.get(id)));
    return out;
  }
}
