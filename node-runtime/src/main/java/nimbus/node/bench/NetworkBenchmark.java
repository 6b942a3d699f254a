package nimbus.node.bench;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code nimbus bench networks}: network creates (each holds its quota and a VNI as persisted
 * steps) and port creates (quota, then an address from the network's entity) through the HTTP
 * API, as rates and latency percentiles, in the scale OpenStack publishes (Neutron: port create
 * median 370 ms, network create at most 5/s).
 */
final class NetworkBenchmark {
  private NetworkBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int networks = Integer.parseInt(options.getOrDefault("networks", "100"));
    int ports = Integer.parseInt(options.getOrDefault("ports", "500"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "8"));
    try (BenchHarness h = new BenchHarness(options, Map.of())) {
      // the admin's project may hold what the run makes
      String project = h.getJson("/network/v2.0/quotas/project").path("project").path("project_id").asText();
      h.http.send(h.put("/network/v2.0/quotas/" + project,
          "{\"quota\": {\"network\": -1, \"subnet\": -1, \"port\": -1}}"), HttpResponse.BodyHandlers.discarding());
      long n0 = System.nanoTime();
      List<Long> nets = BenchHarness.runConcurrently(networks, concurrency, i -> created(h,
          "/network/v2.0/networks", "{\"network\": {\"name\": \"bench-" + i + "\"}}"));
      double netSeconds = (System.nanoTime() - n0) / 1e9;
      System.out.printf("network create: %d in %.2f s -> %.1f/s; p50 %.1f ms, p99 %.1f ms (concurrency %d)%n",
          networks, netSeconds, networks / netSeconds, BenchHarness.percentileMs(nets, 50),
          BenchHarness.percentileMs(nets, 99), concurrency);

      String net = BenchHarness.read(h.http.send(h.post("/network/v2.0/networks", "{\"network\": {\"name\": \"ports\"}}"),
          HttpResponse.BodyHandlers.ofString()).body()).path("network").path("id").asText();
      h.http.send(h.post("/network/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net
          + "\", \"ip_version\": 4, \"cidr\": \"10.200.0.0/16\"}}"), HttpResponse.BodyHandlers.discarding());
      long p0 = System.nanoTime();
      List<Long> made = BenchHarness.runConcurrently(ports, concurrency, i -> created(h, "/network/v2.0/ports",
          "{\"port\": {\"network_id\": \"" + net + "\"}}"));
      double portSeconds = (System.nanoTime() - p0) / 1e9;
      System.out.printf("port create: %d in %.2f s -> %.1f/s; p50 %.1f ms, p99 %.1f ms (concurrency %d, one /16)%n",
          ports, portSeconds, ports / portSeconds, BenchHarness.percentileMs(made, 50),
          BenchHarness.percentileMs(made, 99), concurrency);
      return 0;
    }
  }

  private static CompletableFuture<Void> created(BenchHarness h, String path, String body) {
    return h.http.sendAsync(h.post(path, body), HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
      if (r.statusCode() != 201) throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    });
  }
}
