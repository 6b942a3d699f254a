package nimbus.node.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import nimbus.storage.ImageSeeds;

/**
 * {@code nimbus bench boot}: creates servers through the HTTP API on an all-in-one node
 * ({@code test:///default}) and measures servers per second from the first create until all are
 * ACTIVE, and the latency of create and of show.
 */
final class BootBenchmark {
  private BootBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int servers = Integer.parseInt(options.getOrDefault("servers", "1000"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "16"));
    int reads = Integer.parseInt(options.getOrDefault("reads", "5000"));
    int readConcurrency = Integer.parseInt(options.getOrDefault("read-concurrency", "1"));
    int hosts = Integer.parseInt(options.getOrDefault("hosts", "0"));
    // room for every server: on this node's own host, or on --hosts N simulated ones (then
    // this node is control only)
    Map<String, Object> settings = new java.util.HashMap<>(Map.of(
        "nimbus.host.ram-allocation-ratio", 1000.0,
        "nimbus.host.cpu-allocation-ratio", 1000.0,
        "nimbus.host.disk-allocation-ratio", 1000.0));
    if (hosts > 0) settings.put("nimbus.roles", java.util.List.of("control"));
    try (BenchHarness h = new BenchHarness(options, settings)) {
      if (hosts > 0) h.awaitHosts(hosts);
      String body = "{\"server\": {\"name\": \"bench\", \"imageRef\": \""
          + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"42\"}}";
      List<String> ids = Collections.synchronizedList(new ArrayList<>());
      long t0 = System.nanoTime();
      List<Long> createLatency = BenchHarness.runConcurrently(servers, concurrency, i ->
          h.http.sendAsync(h.post("/compute/v2.1/servers", body), HttpResponse.BodyHandlers.ofString())
              .thenAccept(r -> {
                if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
                ids.add(BenchHarness.read(r.body()).path("server").path("id").asText());
              }));
      long created = System.nanoTime();
      int active = awaitAllActive(h, servers);
      long done = System.nanoTime();
      List<Long> showLatency = BenchHarness.runConcurrently(reads, readConcurrency, i ->
          h.http.sendAsync(h.get("/compute/v2.1/servers/" + ids.get(i % ids.size())),
              HttpResponse.BodyHandlers.discarding()).thenAccept(r -> {
                if (r.statusCode() != 200) throw new IllegalStateException("show: " + r.statusCode());
              }));
      System.out.printf("servers: %d created in %.2f s, %d ACTIVE after %.2f s -> %.0f servers/s%n",
          servers, (created - t0) / 1e9, active, (done - t0) / 1e9, active / ((done - t0) / 1e9));
      System.out.printf("create latency: p50 %.2f ms, p99 %.2f ms (concurrency %d)%n",
          BenchHarness.percentileMs(createLatency, 50), BenchHarness.percentileMs(createLatency, 99), concurrency);
      System.out.printf("show latency:   p50 %.2f ms, p99 %.2f ms (%d reads, concurrency %d)%n",
          BenchHarness.percentileMs(showLatency, 50), BenchHarness.percentileMs(showLatency, 99), reads, readConcurrency);
      Runtime rt = Runtime.getRuntime();
      System.out.printf("heap used: %d MiB%n", (rt.totalMemory() - rt.freeMemory()) >> 20);
      return active == servers ? 0 : 1;
    }
  }

  /**
   * Waits until the list of ACTIVE servers holds them all (a read-side query, so it costs the
   * node one page per poll rather than one show per server), failing on the first ERROR.
   */
  static int awaitAllActive(BenchHarness h, int expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      // cheap polls (one row) until nothing builds, then the full count
      if (h.getJson("/compute/v2.1/servers?status=BUILD&limit=1").path("servers").size() > 0) {
        Thread.sleep(20); // polling the API, as a client would
        continue;
      }
      JsonNode errors = h.getJson("/compute/v2.1/servers?status=ERROR&limit=1").path("servers");
      if (errors.size() > 0) {
        String id = errors.get(0).path("id").asText();
        throw new IllegalStateException("server " + id + " ended in ERROR: "
            + h.getJson("/compute/v2.1/servers/" + id).path("server").path("fault").path("message").asText());
      }
      int active = 0;
      String marker = "";
      while (true) {
        JsonNode page = h.getJson("/compute/v2.1/servers?status=ACTIVE&limit=1000" + marker).path("servers");
        active += page.size();
        if (page.size() < 1000) break;
        marker = "&marker=" + page.get(page.size() - 1).path("id").asText();
      }
      if (active == expected) return active;
      Thread.sleep(50); // polling the API, as a client would
    }
    throw new IllegalStateException("servers still building after 5 minutes");
  }
}
