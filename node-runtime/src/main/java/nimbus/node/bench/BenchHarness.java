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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import nimbus.config.NimbusSettings;
import nimbus.node.Node;

/**
 * What the benchmarks share: an all-in-one node on a fresh embedded database in a temporary
 * directory, an HTTP client logged in as its admin, bounded concurrency and percentiles.
 */
final class BenchHarness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final Node node;
  private final Path dataDir;
  private final nimbus.node.SimulatedHosts simulated;
  final String api;
  final String password = UUID.randomUUID().toString();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private volatile String token = "";

  /** Starts the node; {@code --config FILE} in {@code options} is laid under the bench's settings. */
  BenchHarness(Map<String, String> options, Map<String, Object> settings) throws Exception {
    Map<String, Object> all = new HashMap<>(settings);
    dataDir = Files.createTempDirectory("nimbus-bench");
    all.put("nimbus.data-dir", dataDir.toString());
    all.put("nimbus.api.port", 0);
    all.put("nimbus.cluster.port", 0);
    all.put("nimbus.identity.admin-password", password);
    all.put("nimbus.compute.default-quota.instances", Integer.MAX_VALUE);
    all.put("nimbus.compute.default-quota.cores", Integer.MAX_VALUE);
    all.put("nimbus.compute.default-quota.ram-mb", Integer.MAX_VALUE);
    long start = System.nanoTime();
    NimbusSettings s = NimbusSettings.load(Optional.ofNullable(options.get("config")).map(Path::of),
        ConfigFactory.parseMap(all));
    node = Node.start(s, ConfigFactory.empty());
    int hosts = Integer.parseInt(options.getOrDefault("hosts", "0"));
    simulated = hosts > 0 ? new nimbus.node.SimulatedHosts(node, "sim", hosts, 64, 65536) : null;
    api = node.apiUrl();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (http.send(get("/readyz"), HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("node not ready within 60 s");
      Thread.sleep(50); // polling a readiness endpoint
    }
    System.out.printf("node ready in %.1f s%n", (System.nanoTime() - start) / 1e9);
    token = login().headers().firstValue("X-Subject-Token").orElseThrow();
  }

  /** Waits until {@code count} hosts have reported to this node. */
  void awaitHosts(int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (nimbus.compute.HostDirectory.get(node.system()).hosts().size() < count) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(count + " hosts not up within 60 s");
      Thread.sleep(50); // waiting for the hosts' first heartbeats
    }
  }

  HttpResponse<String> login() throws Exception {
    HttpResponse<String> r = http.send(post("/identity/v3/auth/tokens", """
        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
          "domain": {"id": "default"}, "password": "%s"}}},
         "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}""".formatted(password)),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) throw new IllegalStateException("login: " + r.statusCode());
    return r;
  }

  String token() {
    return token;
  }

  HttpRequest post(String path, String body) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
        .header("X-Auth-Token", token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  HttpRequest put(String path, String body) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
        .header("X-Auth-Token", token).PUT(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("X-Auth-Token", token).GET().build();
  }

  HttpRequest delete(String path) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("X-Auth-Token", token).DELETE().build();
  }

  JsonNode getJson(String path) throws Exception {
    return read(http.send(get(path), HttpResponse.BodyHandlers.ofString()).body());
  }

  static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (Exception e) {
      throw new IllegalStateException("not JSON: " + body, e);
    }
  }

  interface Step {
    CompletableFuture<Void> start(int i);
  }

  /** Runs {@code count} steps, at most {@code concurrency} at a time; answers each one's latency. */
  static List<Long> runConcurrently(int count, int concurrency, Step step) throws Exception {
    Semaphore permits = new Semaphore(concurrency);
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      permits.acquire();
      long start = System.nanoTime();
      all.add(step.start(i).whenComplete((v, e) -> {
        latencies.add(System.nanoTime() - start);
        permits.release();
      }));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
    return latencies;
  }

  /** The p-th percentile of nanosecond samples, in milliseconds. */
  static double percentileMs(List<Long> nanos, int p) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    if (sorted.isEmpty()) return Double.NaN;
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }

  @Override
  public void close() throws java.io.IOException {
    node.close();
    if (simulated != null) simulated.close();
    try (var files = Files.walk(dataDir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
