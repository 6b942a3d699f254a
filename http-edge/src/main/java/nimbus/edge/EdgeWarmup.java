package nimbus.edge;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import nimbus.cluster.ReadSideDatabase;
import nimbus.compute.FlavorCatalogEntity;
import nimbus.storage.ImageListing;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks a first login's paths once at start, so the first person to log in does not pay for
 * what a fresh JVM does once (class loading, first JIT, the first Argon2id check, the flavor
 * catalog's recovery, the read side's first connection and query): the dashboard's files, a
 * login of a user that does not exist (refused after the same password check as any, with no
 * side effect: only known users are locked out), the page's first requests without a token
 * (refused, through the same routing and JSON), and in-process the flavor catalog and an image
 * query. It runs on the blocking executor after the API is bound; readiness does not wait for it,
 * and whatever fails is only logged.
 */
public final class EdgeWarmup {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeWarmup.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String NOBODY = """
      {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "nimbus-warm-up-no-such-user",
        "domain": {"id": "default"}, "password": "warm-up"}}}%s}}""";
  private static final String SCOPE = ", \"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"id\": \"default\"}}}";
  private static final List<String> FIRST_PAGE = List.of("/identity/v3/auth/projects", "/compute/v2.1/flavors",
      "/image/v2/images?limit=1000", "/compute/v2.1/servers/detail?limit=32", "/compute/v2.1/os-keypairs",
      "/network/v2.0/networks", "/volume/v3/warm-up/volumes/detail");

  private EdgeWarmup() {}

  /** Starts the warm-up against the API at {@code apiUrl} (plain HTTP only: a TLS edge is left cold). */
  public static CompletableFuture<Void> start(ActorSystem<?> system, String apiUrl, Executor blocking) {
    return CompletableFuture.runAsync(() -> {
      try {
        ClusterSharding.get(system).entityRefFor(FlavorCatalogEntity.TYPE_KEY, FlavorCatalogEntity.ENTITY_ID)
            .askWithStatus(FlavorCatalogEntity.Get::new, TIMEOUT).toCompletableFuture().get();
        new ImageListing(ReadSideDatabase.get(system)).owned("", false);
        if (apiUrl.startsWith("http://")) walk(apiUrl);
      } catch (Exception e) {
        LOG.debug("warm-up stopped: {}", e.toString());
      }
    }, blocking);
  }

  private static void walk(String apiUrl) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    for (String name : DashboardFiles.NAMES) send(http, HttpRequest.newBuilder(URI.create(apiUrl + "/dashboard/" + name)));
    // two checks: the first loads the hasher's code, the second runs it closer to compiled
    for (String scope : List.of("", SCOPE)) {
      send(http, HttpRequest.newBuilder(URI.create(apiUrl + "/identity/v3/auth/tokens"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(NOBODY.formatted(scope))));
    }
    for (String path : FIRST_PAGE) {
      send(http, HttpRequest.newBuilder(URI.create(apiUrl + path)).header("X-Auth-Token", "warm-up"));
    }
    send(http, HttpRequest.newBuilder(URI.create(apiUrl + "/dashboard/v1/event-tickets")).header("X-Auth-Token", "warm-up")
        .POST(HttpRequest.BodyPublishers.noBody()));
  }

  private static void send(HttpClient http, HttpRequest.Builder request) throws Exception {
    http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.discarding());
  }
}
