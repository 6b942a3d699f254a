package nimbus.node.bench;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code nimbus bench tokens}: the rate of token issue through the HTTP API (bounded by the
 * Argon2id password check), and what validating a token costs (decrypting and checking it,
 * measured per call in this process: no I/O is involved).
 */
final class TokenBenchmark {
  private TokenBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int issues = Integer.parseInt(options.getOrDefault("issues", "200"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "4"));
    int validations = Integer.parseInt(options.getOrDefault("validations", "200000"));
    try (BenchHarness h = new BenchHarness(options, Map.of())) {
      long t0 = System.nanoTime();
      List<Long> issue = BenchHarness.runConcurrently(issues, concurrency, i ->
          h.http.sendAsync(h.post("/identity/v3/auth/tokens", """
              {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
                "domain": {"id": "default"}, "password": "%s"}}},
               "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}""".formatted(h.password)),
              HttpResponse.BodyHandlers.discarding()).thenAccept(r -> {
                if (r.statusCode() != 201) throw new IllegalStateException("issue: " + r.statusCode());
              }));
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("token issue: %d in %.2f s -> %.1f tokens/s; p50 %.1f ms, p99 %.1f ms (concurrency %d)%n",
          issues, seconds, issues / seconds, BenchHarness.percentileMs(issue, 50),
          BenchHarness.percentileMs(issue, 99), concurrency);

      // the ceiling: the same number of password checks alone, as many at a time
      nimbus.edge.identity.PasswordHasher hasher = new nimbus.edge.identity.PasswordHasher();
      String hash = hasher.hash(h.password);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency);
      long k0 = System.nanoTime();
      List<java.util.concurrent.Future<Boolean>> checks = new ArrayList<>();
      for (int i = 0; i < issues; i++) checks.add(pool.submit(() -> hasher.verify(h.password, hash)));
      for (var c : checks) c.get();
      double kdfSeconds = (System.nanoTime() - k0) / 1e9;
      pool.shutdown();
      System.out.printf("password checks alone (Argon2id): %.1f/s with %d threads%n", issues / kdfSeconds, concurrency);

      var identity = h.node.identity();
      String token = h.token();
      List<Long> samples = new ArrayList<>(validations);
      int valid = 0;
      for (int i = 0; i < validations; i++) {
        long s = System.nanoTime();
        Optional<?> t = identity.validate(token);
        samples.add(System.nanoTime() - s);
        if (t.isPresent()) valid++;
      }
      List<Long> measured = samples.subList(validations / 5, validations); // past JIT warm-up
      System.out.printf("token validation: p50 %.1f us, p99 %.1f us (%d calls, %d valid)%n",
          BenchHarness.percentileMs(measured, 50) * 1000, BenchHarness.percentileMs(measured, 99) * 1000,
          measured.size(), valid);
      return valid == validations ? 0 : 1;
    }
  }
}
