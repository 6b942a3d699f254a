package nimbus.node.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import nimbus.config.NimbusSettings;
import nimbus.node.Node;
import nimbus.storage.ImageSeeds;

/**
 * {@code nimbus bench boot}: starts an all-in-one node on a fresh embedded database
 * ({@code test:///default} hypervisor), creates servers through the HTTP API and measures
 * servers per second from the first create until all are ACTIVE, and the latency of create and
 * of show.
 */
public final class BootBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BENCH_PASSWORD = java.util.UUID.randomUUID().toString();
  private static volatile String token = "";

  private BootBenchmark() {}

  public static int run(String what, Map<String, String> options) throws Exception {
    if (!what.equals("boot")) {
      System.err.println("usage: nimbus bench boot [--servers N] [--concurrency N] [--reads N] [--read-concurrency N] [--config FILE]");
      return 2;
    }
    int servers = Integer.parseInt(options.getOrDefault("servers", "1000"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "32"));
    int reads = Integer.parseInt(options.getOrDefault("reads", "5000"));
    int readConcurrency = Integer.parseInt(options.getOrDefault("read-concurrency", "1"));
    Path data = Files.createTempDirectory("nimbus-bench");
    NimbusSettings settings = NimbusSettings.load(
        Optional.ofNullable(options.get("config")).map(Path::of), ConfigFactory.parseMap(Map.of(
        "nimbus.data-dir", data.toString(),
        "nimbus.api.port", 0,
        "nimbus.cluster.port", 0,
        // room for every server on the one simulated host
        "nimbus.host.ram-allocation-ratio", 1000.0,
        "nimbus.host.cpu-allocation-ratio", 1000.0,
        "nimbus.host.disk-allocation-ratio", 1000.0,
        "nimbus.identity.admin-password", BENCH_PASSWORD)));
    long startNanos = System.nanoTime();
    try (Node node = Node.start(settings, ConfigFactory.empty())) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String api = node.apiUrl();
      awaitReady(http, api);
      token = login(http, api);
      System.out.printf("node ready in %.1f s%n", (System.nanoTime() - startNanos) / 1e9);
      String body = "{\"server\": {\"name\": \"bench\", \"imageRef\": \"" + ImageSeeds.idOf("nimbus-test-guest")
          + "\", \"flavorRef\": \"42\"}}";
      List<Long> createLatency = Collections.synchronizedList(new ArrayList<>());
      List<String> ids = Collections.synchronizedList(new ArrayList<>());
      long t0 = System.nanoTime();
      runConcurrently(servers, concurrency, i -> {
        long s = System.nanoTime();
        return http.sendAsync(post(api + "/compute/v2.1/servers", body), HttpResponse.BodyHandlers.ofString())
            .thenAccept(r -> {
              createLatency.add(System.nanoTime() - s);
              if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
              ids.add(read(r.body()).path("server").path("id").asText());
            });
      });
      long created = System.nanoTime();
      int active = awaitAllActive(http, api, ids);
      long done = System.nanoTime();
      List<Long> showLatency = Collections.synchronizedList(new ArrayList<>());
      runConcurrently(reads, readConcurrency, i -> {
        long s = System.nanoTime();
        return http.sendAsync(get(api + "/compute/v2.1/servers/" + ids.get(i % ids.size())),
            HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
              showLatency.add(System.nanoTime() - s);
              if (r.statusCode() != 200) throw new IllegalStateException("show: " + r.statusCode());
            });
      });
      System.out.printf("servers: %d created in %.2f s, %d ACTIVE after %.2f s -> %.0f servers/s%n",
          servers, (created - t0) / 1e9, active, (done - t0) / 1e9, active / ((done - t0) / 1e9));
      System.out.printf("create latency: p50 %.2f ms, p99 %.2f ms (concurrency %d)%n",
          percentile(createLatency, 50), percentile(createLatency, 99), concurrency);
      System.out.printf("show latency:   p50 %.2f ms, p99 %.2f ms (%d reads, concurrency %d)%n",
          percentile(showLatency, 50), percentile(showLatency, 99), reads, readConcurrency);
      Runtime rt = Runtime.getRuntime();
      System.out.printf("heap used: %d MiB%n", (rt.totalMemory() - rt.freeMemory()) >> 20);
      return active == servers ? 0 : 1;
    }
  }

  private static void awaitReady(HttpClient http, String api) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(get(api + "/readyz"), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) return;
      Thread.sleep(50); // polling a readiness endpoint of another component
    }
    throw new IllegalStateException("node not ready within 60 s");
  }

  /**
   * Waits until the list of ACTIVE servers holds them all (a read-side query, so it costs the
   * node one page per poll rather than one show per server), failing on the first ERROR.
   */
  private static int awaitAllActive(HttpClient http, String api, List<String> ids) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode errors = read(http.send(get(api + "/compute/v2.1/servers?status=ERROR&limit=1"),
          HttpResponse.BodyHandlers.ofString()).body());
      if (errors.path("servers").size() > 0) {
        String id = errors.path("servers").get(0).path("id").asText();
        throw new IllegalStateException("server " + id + " ended in ERROR: " + read(http.send(
            get(api + "/compute/v2.1/servers/" + id), HttpResponse.BodyHandlers.ofString()).body())
            .path("server").path("fault").path("message").asText());
      }
      int active = 0;
      String marker = "";
      while (true) {
        JsonNode page = read(http.send(get(api + "/compute/v2.1/servers?status=ACTIVE&limit=1000" + marker),
            HttpResponse.BodyHandlers.ofString()).body()).path("servers");
        active += page.size();
        if (page.size() < 1000) break;
        marker = "&marker=" + page.get(page.size() - 1).path("id").asText();
      }
      if (active == ids.size()) return active;
      Thread.sleep(50); // polling the API, as a client would
    }
    throw new IllegalStateException("servers still building after 5 minutes");
  }

  interface Step {
    CompletableFuture<Void> start(int i);
  }

  private static void runConcurrently(int count, int concurrency, Step step) throws Exception {
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      permits.acquire();
      all.add(step.start(i).whenComplete((v, e) -> permits.release()));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
  }

  private static String login(HttpClient http, String api) throws Exception {
    HttpResponse<String> r = http.send(post(api + "/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
          "domain": {"id": "default"}, "password": "%s"}}},
         "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}""".formatted(BENCH_PASSWORD)),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) throw new IllegalStateException("login: " + r.statusCode());
    return r.headers().firstValue("X-Subject-Token").orElseThrow();
  }

  private static HttpRequest post(String url, String body) {
    return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .header("X-Auth-Token", token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).header("X-Auth-Token", token).GET().build();
  }

  private static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (Exception e) {
      throw new IllegalStateException("not JSON: " + body, e);
    }
  }

  private static double percentile(List<Long> nanos, int p) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    if (sorted.isEmpty()) return Double.NaN;
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }
}
