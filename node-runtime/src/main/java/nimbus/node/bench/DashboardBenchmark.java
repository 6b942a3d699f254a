package nimbus.node.bench;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import nimbus.storage.ImageSeeds;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * {@code nimbus bench dashboard}: the dashboard's instance list with many servers, in Debian's
 * headless Chromium against an all-in-one node ({@code test:///default}). Every time is taken
 * inside the page ({@code performance.now()} when a MutationObserver sees the change), not by
 * the driver's polling: login to the first page (several times, with the first login's requests), usable (the rows that fill the window are in,
 * with their buttons) and with every row, overview and instances pages opened from the
 * navigation (the same two times), a stop or start made through the API until its row shows the new
 * status (pushed, and whether any other row was rebuilt), and a click on a row's button until
 * its handler has run, with and without a stream of other servers' changes.
 */
final class DashboardBenchmark {
  /**
   * The page's probe: {@code benchUntil(test)} resolves with the {@code performance.now()} at
   * which {@code test} first holds, checked on every change of the document.
   */
  private static final String PROBE = """
      window.benchUntil = (test) => new Promise((resolve) => {
        if (test()) { resolve(performance.now()); return; }
        const observer = new MutationObserver(() => {
          if (test()) { observer.disconnect(); resolve(performance.now()); }
        });
        observer.observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
      });
      window.benchRows = (n) => () => {
        const body = document.getElementById('servers');
        return body !== null && body.querySelectorAll('tr[data-id]').length >= n;
      };
      // usable: the rows that fill the window (or every row, if fewer) are in, each with its buttons
      window.benchUsable = (n) => () => {
        const body = document.getElementById('servers');
        if (body === null) return false;
        const rows = body.querySelectorAll('tr[data-id]');
        if (rows.length === 0) return false;
        const last = rows[rows.length - 1];
        return (rows.length >= n || last.getBoundingClientRect().top >= window.innerHeight)
          && (document.getElementById('read-only') !== null || last.querySelector('button[data-action=Delete]') !== null);
      };
      window.benchFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()))));
      window.benchFetch = (part) => performance.getEntriesByType('resource').filter((e) => e.name.includes(part))
        .reduce((sum, e) => sum + e.responseEnd - e.startTime, 0);
      """;

  private DashboardBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int servers = Integer.parseInt(options.getOrDefault("servers", "1000"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "20"));
    int clicks = Integer.parseInt(options.getOrDefault("clicks", "20"));
    int updateRate = Integer.parseInt(options.getOrDefault("updates-per-second", "20"));
    int logins = Integer.parseInt(options.getOrDefault("logins", "5"));
    if (servers < 2 * clicks + 51) throw new IllegalArgumentException("--servers must be at least 2 * --clicks + 51");
    Map<String, Object> settings = Map.of(
        "nimbus.host.ram-allocation-ratio", 1000.0,
        "nimbus.host.cpu-allocation-ratio", 1000.0,
        "nimbus.host.disk-allocation-ratio", 1000.0);
    try (BenchHarness h = new BenchHarness(options, settings)) {
      List<String> ids = create(h, servers);
      WebDriver browser = browser();
      try {
        JavascriptExecutor js = (JavascriptExecutor) browser;
        logIn(h, browser, js, servers, logins);
        pages(browser, js, servers, 5);
        boolean allRowsKept = updates(h, js, ids.get(0), rounds);
        clicks(h, browser, js, ids.subList(51, 51 + clicks), List.of(), 0, "no other changes");
        // other rows than before: a second click on an armed button deletes its server
        clicks(h, browser, js, ids.subList(51 + clicks, 51 + 2 * clicks), ids.subList(1, 51), updateRate,
            "while " + updateRate + " other servers' stops and starts a second stream in");
        return allRowsKept ? 0 : 1;
      } finally {
        browser.quit();
      }
    }
  }

  /** Creates the servers through the API (the harness's project has no quota limit) and waits until all are ACTIVE. */
  private static List<String> create(BenchHarness h, int servers) throws Exception {
    String body = "{\"server\": {\"name\": \"bench\", \"imageRef\": \""
        + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"42\"}}";
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    BenchHarness.runConcurrently(servers, 16, i ->
        h.http.sendAsync(h.post("/compute/v2.1/servers", body), HttpResponse.BodyHandlers.ofString())
            .thenAccept(r -> {
              if (r.statusCode() != 202) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
              ids.add(BenchHarness.read(r.body()).path("server").path("id").asText());
            }));
    BootBenchmark.awaitAllActive(h, servers);
    System.out.printf("%d servers ACTIVE in %.1f s%n", servers, (System.nanoTime() - t0) / 1e9);
    listAnswers(h, 5);
    return new ArrayList<>(ids);
  }

  /** The edge's answer to the page's list request (1,000 servers with every project's), as a client sees it. */
  private static void listAnswers(BenchHarness h, int times) throws Exception {
    List<Long> answers = new ArrayList<>();
    int bytes = 0;
    for (int i = 0; i < times; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = h.http.send(h.get("/compute/v2.1/servers/detail?all_tenants=1&limit=1000"),
          HttpResponse.BodyHandlers.ofString());
      answers.add(System.nanoTime() - t0);
      if (r.statusCode() != 200) throw new IllegalStateException("list: " + r.statusCode() + " " + r.body());
      bytes = r.body().length();
    }
    System.out.printf("GET /servers/detail?all_tenants=1&limit=1000 from Java (%d chars), %d times: p50 %.0f ms, max %.0f ms%n",
        bytes, times, BenchHarness.percentileMs(answers, 50), BenchHarness.percentileMs(answers, 100));
  }

  private static WebDriver browser() {
    WebDriver browser = HeadlessChromium.open(Map.of());
    browser.manage().timeouts().scriptTimeout(Duration.ofMinutes(2));
    return browser;
  }

  /**
   * (a) The login page's load, then login to the first page (the instances): usable and with every
   * row in the document, {@code times} times (each from a fresh page), with the requests the first
   * login made (start and end from the submit) to see what is in sequence.
   */
  private static void logIn(BenchHarness h, WebDriver browser, JavascriptExecutor js, int servers, int times) {
    List<Long> usable = new ArrayList<>();
    List<Long> usableFrames = new ArrayList<>();
    List<Long> all = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      browser.get(h.api + "/");
      Number loaded = (Number) js.executeScript("return performance.getEntriesByType('navigation')[0].loadEventEnd;");
      browser.findElement(By.id("username")).sendKeys("admin");
      browser.findElement(By.id("password")).sendKeys(h.password);
      js.executeScript(PROBE);
      @SuppressWarnings("unchecked")
      List<Object> t = (List<Object>) js.executeAsyncScript("""
          const done = arguments[arguments.length - 1];
          performance.clearResourceTimings();
          const t0 = performance.now();
          const usable = benchUntil(benchUsable(arguments[0])).then((t) => benchFrame().then((f) => [t - t0, f - t0]));
          const rows = benchUntil(benchRows(arguments[0]));
          document.querySelector('#login button[type=submit]').click();
          Promise.all([usable, rows.then((t) => benchFrame().then((f) => [t - t0, f - t0]))])
            .then(([u, r]) => done([u[0], u[1], r[0], r[1], benchFetch('/servers/detail'),
              performance.getEntriesByType('resource').filter((e) => e.startTime - t0 < u[0])
                .map((e) => `${e.name.substring(location.origin.length)} ${Math.round(e.startTime - t0)}-`
                  + (e.responseEnd > 0 ? Math.round(e.responseEnd - t0) : '(open)'))]));
          """, servers);
      usable.add(millisToNanos((Number) t.get(0)));
      usableFrames.add(millisToNanos((Number) t.get(1)));
      all.add(millisToNanos((Number) t.get(2)));
      System.out.printf("login %d: page loaded (navigation to load event) %.0f ms; to the instances usable %.0f ms, next frame"
          + " %.0f ms; with all %d rows %.0f ms, next frame %.0f ms (of which the list's GETs %.0f ms)%n", i + 1,
          loaded.doubleValue(), ((Number) t.get(0)).doubleValue(), ((Number) t.get(1)).doubleValue(), servers,
          ((Number) t.get(2)).doubleValue(), ((Number) t.get(3)).doubleValue(), ((Number) t.get(4)).doubleValue());
      if (i == 0) {
        System.out.println("  requests from the submit until usable (from-to, ms after the submit):");
        ((List<?>) t.get(5)).forEach(r -> System.out.println("    " + r));
      }
    }
    System.out.printf("login to the first page (instances) usable (the window's rows in, with their buttons), %d times:"
        + " p50 %.0f ms, max %.0f ms; next frame p50 %.0f ms; with all %d rows p50 %.0f ms%n", times,
        BenchHarness.percentileMs(usable, 50), BenchHarness.percentileMs(usable, 100),
        BenchHarness.percentileMs(usableFrames, 50), servers, BenchHarness.percentileMs(all, 50));
  }

  /** (b) The overview and the instances page opened from the navigation, alternately. */
  private static void pages(WebDriver browser, JavascriptExecutor js, int servers, int times) {
    List<Long> overview = new ArrayList<>();
    List<Long> usable = new ArrayList<>();
    List<Long> usableFrames = new ArrayList<>();
    List<Long> instances = new ArrayList<>();
    List<Long> frames = new ArrayList<>();
    List<Long> fetches = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      overview.add(millisToNanos((Number) js.executeAsyncScript("""
          const done = arguments[arguments.length - 1];
          const t0 = performance.now();
          const shown = benchUntil(() => document.querySelector('#overview[aria-busy=false]') !== null);
          document.querySelector("#nav a[href='#/overview']").click();
          shown.then((t) => done(t - t0));
          """)));
      @SuppressWarnings("unchecked")
      List<Number> t = (List<Number>) js.executeAsyncScript("""
          const done = arguments[arguments.length - 1];
          performance.clearResourceTimings();
          const t0 = performance.now();
          const usable = benchUntil(benchUsable(arguments[0])).then((t) => benchFrame().then((f) => [t - t0, f - t0]));
          const rows = benchUntil(benchRows(arguments[0]));
          document.querySelector("#nav a[href='#/instances']").click();
          Promise.all([usable, rows.then((t) => benchFrame().then((f) => [t - t0, f - t0]))])
            .then(([u, r]) => done([u[0], u[1], r[0], r[1], benchFetch('/servers/detail')]));
          """, servers);
      usable.add(millisToNanos(t.get(0)));
      usableFrames.add(millisToNanos(t.get(1)));
      instances.add(millisToNanos(t.get(2)));
      frames.add(millisToNanos(t.get(3)));
      fetches.add(millisToNanos(t.get(4)));
    }
    System.out.printf("overview usable (charts shown), %d times: p50 %.0f ms, max %.0f ms%n", times,
        BenchHarness.percentileMs(overview, 50), BenchHarness.percentileMs(overview, 100));
    System.out.printf("instances page usable (the window's rows in, with their buttons): p50 %.0f ms, max %.0f ms;"
        + " next frame p50 %.0f ms, max %.0f ms%n", BenchHarness.percentileMs(usable, 50),
        BenchHarness.percentileMs(usable, 100), BenchHarness.percentileMs(usableFrames, 50),
        BenchHarness.percentileMs(usableFrames, 100));
    System.out.printf("instances page to %d rows in the document: p50 %.0f ms, max %.0f ms; next frame p50 %.0f ms;"
        + " the list's GETs p50 %.0f ms%n", servers, BenchHarness.percentileMs(instances, 50),
        BenchHarness.percentileMs(instances, 100), BenchHarness.percentileMs(frames, 50), BenchHarness.percentileMs(fetches, 50));
  }

  /**
   * (c) Stops and starts one server through the API, alternately: from the API's answer until
   * its row shows the new status. Answers whether every update left the other rows in place.
   */
  private static boolean updates(BenchHarness h, JavascriptExecutor js, String id, int rounds) throws Exception {
    List<Long> latencies = new ArrayList<>();
    int rebuilt = 0;
    js.executeScript("performance.setResourceTimingBufferSize(10000); performance.clearResourceTimings();");
    for (int i = 0; i < rounds; i++) {
      boolean stop = i % 2 == 0;
      js.executeScript("""
          const [id, want] = arguments;
          window.benchAdded = 0;
          const body = document.getElementById('servers');
          const added = new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => {
            if (n.nodeName === 'TR') window.benchAdded++;
          })));
          added.observe(body, { childList: true });
          window.benchShown = benchUntil(() => {
            const row = document.querySelector(`tr[data-id="${id}"]`);
            return row !== null && row.querySelector('td.status').textContent === want
              && row.querySelector('td.task').textContent === '';
          }).then((t) => { added.disconnect(); return performance.timeOrigin + t; });
          """, id, stop ? "SHUTOFF" : "ACTIVE");
      HttpResponse<String> r = h.http.send(h.post("/compute/v2.1/servers/" + id + "/action",
          stop ? "{\"os-stop\": null}" : "{\"os-start\": null}"), HttpResponse.BodyHandlers.ofString());
      Instant answered = Instant.now();
      if (r.statusCode() != 202) throw new IllegalStateException((stop ? "stop: " : "start: ") + r.statusCode() + " " + r.body());
      double shownAt = ((Number) js.executeAsyncScript("window.benchShown.then(arguments[arguments.length - 1]);")).doubleValue();
      double answeredAt = answered.getEpochSecond() * 1e3 + answered.getNano() / 1e6;
      latencies.add(Math.round((shownAt - answeredAt) * 1e6));
      rebuilt += ((Number) js.executeScript("return window.benchAdded;")).intValue();
    }
    System.out.printf("stop/start through the API, answer to the row's new status (pushed), %d rounds:"
        + " p50 %.0f ms, p99 %.0f ms; rows rebuilt meanwhile: %d%n", rounds,
        BenchHarness.percentileMs(latencies, 50), BenchHarness.percentileMs(latencies, 99), rebuilt);
    // what the page read for those changes: the server alone (its row read again) or the list;
    // the server's reads may still be on their way after its last status: given up to 5 s
    @SuppressWarnings("unchecked")
    List<Object> read = (List<Object>) js.executeAsyncScript("""
        const [id, rounds, done] = arguments;
        const t0 = performance.now();
        const count = () => {
          const all = performance.getEntriesByType('resource');
          const one = all.filter((e) => e.name.endsWith('/compute/v2.1/servers/' + id) && e.responseEnd > 0);
          const lists = all.filter((e) => e.name.includes('/servers/detail'));
          if (one.length < rounds && performance.now() - t0 < 5000) { setTimeout(count, 100); return; }
          const times = one.map((e) => e.responseEnd - e.startTime).sort((x, y) => x - y);
          done([one.length, times.length ? times[Math.floor(times.length / 2)] : 0,
            one.reduce((sum, e) => sum + e.encodedBodySize, 0) / Math.max(1, one.length), lists.length]);
        };
        count();
        """, id, rounds);
    System.out.printf("the page's reads for those %d pushed changes: %d of the server alone (p50 %.0f ms, %.0f bytes each),"
        + " %d of the list%n", rounds, ((Number) read.get(0)).intValue(), ((Number) read.get(1)).doubleValue(),
        ((Number) read.get(2)).doubleValue(), ((Number) read.get(3)).intValue());
    return rebuilt == 0;
  }

  /**
   * (d) A click on each row's Delete button (its first click only arms it: nothing is sent),
   * from the input event until its handler has changed the button, and to the next frame; while
   * {@code streamed} servers are stopped and started at {@code rate} a second.
   */
  private static void clicks(BenchHarness h, WebDriver browser, JavascriptExecutor js, List<String> rows,
      List<String> streamed, int rate, String during) throws Exception {
    AtomicBoolean streaming = new AtomicBoolean(true);
    AtomicInteger changes = new AtomicInteger();
    Thread stream = new Thread(() -> stream(h, streamed, rate, streaming, changes), "dashboard-bench-stream");
    stream.start();
    List<Long> handled = new ArrayList<>();
    List<Long> framed = new ArrayList<>();
    long t0 = System.nanoTime();
    try {
      for (String id : rows) {
        js.executeScript("""
            const button = document.querySelector(`tr[data-id="${arguments[0]}"] button[data-action=Delete]`);
            button.scrollIntoView({ block: 'center' });
            window.benchHandled = new Promise((resolve) => {
              let clicked = 0;
              button.addEventListener('click', (e) => { clicked = e.timeStamp; }, { capture: true, once: true });
              const armed = new MutationObserver(() => {
                armed.disconnect();
                const t = performance.now();
                benchFrame().then((f) => resolve([t - clicked, f - clicked]));
              });
              armed.observe(button, { attributes: true, attributeFilter: ['data-armed'] });
            });
            """, id);
        browser.findElement(By.cssSelector("tr[data-id='" + id + "'] button[data-action=Delete]")).click();
        @SuppressWarnings("unchecked")
        List<Number> t = (List<Number>) js.executeAsyncScript("window.benchHandled.then(arguments[arguments.length - 1]);");
        handled.add(millisToNanos(t.get(0)));
        framed.add(millisToNanos(t.get(1)));
      }
    } finally {
      streaming.set(false);
      stream.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("click to handled (%s; %d changes in %.1f s): p50 %.1f ms, p99 %.1f ms;"
        + " to the next frame p50 %.1f ms, p99 %.1f ms%n", during, changes.get(), seconds,
        BenchHarness.percentileMs(handled, 50), BenchHarness.percentileMs(handled, 99),
        BenchHarness.percentileMs(framed, 50), BenchHarness.percentileMs(framed, 99));
  }

  /** Stops and starts {@code ids} in turn at about {@code rate} requests a second; a 409 (still changing) is retried later. */
  private static void stream(BenchHarness h, List<String> ids, int rate, AtomicBoolean streaming, AtomicInteger changes) {
    boolean[] stopped = new boolean[ids.size()];
    int i = 0;
    try {
      while (streaming.get() && !ids.isEmpty()) {
        int k = i++ % ids.size();
        HttpResponse<String> r = h.http.send(h.post("/compute/v2.1/servers/" + ids.get(k) + "/action",
            stopped[k] ? "{\"os-start\": null}" : "{\"os-stop\": null}"), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202) {
          stopped[k] = !stopped[k];
          changes.incrementAndGet();
        }
        Thread.sleep(1000 / rate); // pacing the load, not waiting for a result
      }
    } catch (Exception e) {
      throw new IllegalStateException("the stream of changes failed", e);
    }
  }

  private static long millisToNanos(Number ms) {
    return Math.round(ms.doubleValue() * 1e6);
  }
}
