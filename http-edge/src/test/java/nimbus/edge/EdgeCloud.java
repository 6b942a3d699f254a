package nimbus.edge;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import nimbus.cluster.NimbusNode;
import nimbus.cluster.ReadSideDatabase;
import nimbus.compute.Compute;
import nimbus.config.NimbusSettings;
import nimbus.edge.identity.Identity;
import nimbus.network.Networking;
import nimbus.edge.identity.IdentityService;
import nimbus.edge.identity.Token;
import nimbus.edge.identity.TokenCodec;
import nimbus.edge.identity.TokenKeys;
import nimbus.storage.ImageListing;
import nimbus.storage.ImageQuotas;
import nimbus.storage.ImageSeeds;
import nimbus.storage.ImageStore;
import nimbus.storage.ImageUploads;
import nimbus.storage.Storage;
import nimbus.testing.TestConfig;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A control node without its port, for route tests: the real entities, read side (in-memory H2)
 * and identity, started once for all the route tests of a run (a node takes seconds to start).
 * {@link #api(Policy)} builds the API's routes over it with any policy. Tokens are sealed here
 * with the node's keys, for made-up projects: the compute and image routes trust a token's
 * project and roles, as they do a real one's.
 */
final class EdgeCloud {
  private static EdgeCloud shared;

  final ActorSystem<Void> system;
  final NimbusSettings settings;
  final IdentityService identity;
  private final TokenCodec codec;
  private final ImageUploads uploads;
  private final String adminProjectId;

  private EdgeCloud() throws Exception {
    Path data = Files.createTempDirectory("nimbus-edge-test");
    settings = TestConfig.allInOne(data, Map.of("nimbus.roles", List.of("control")));
    Clock clock = Clock.systemUTC();
    var quota = settings.imageStore().quota();
    ImageQuotas.Limits limits = new ImageQuotas.Limits(quota.imageSizeTotalBytes(), quota.imageCountTotal(),
        quota.imageCountUploading());
    system = NimbusNode.start(settings, ConfigFactory.empty(), sys -> {
      Compute.init(sys, settings.compute(), clock);
      Storage.init(sys, clock, settings.imageStore().uploadTimeout(), limits);
      Storage.initVolumes(sys, clock, settings.compute().stepRetryInterval());
      Networking.init(sys, settings.network(), clock);
      Identity.init(sys, clock, true);
      try {
        Compute.initReadSide(sys);
        Storage.initReadSide(sys);
        Networking.initReadSide(sys);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Duration ask = settings.api().askTimeout();
    ImageSeeds.register(system, settings.images(), Duration.ofSeconds(30)).toCompletableFuture().get(60, TimeUnit.SECONDS);
    ImageQuotas quotas = new ImageQuotas(system, new ImageListing(ReadSideDatabase.get(system)),
        ApiServer.blockingExecutor(system), limits, ask, clock);
    uploads = new ImageUploads(system, ImageStore.at(settings.imageStore().dir()),
        settings.imageStore().maxImageBytes(), ask, quotas);
    codec = new TokenCodec(TokenKeys.load(settings.identity(), settings.dataDir()));
    identity = new IdentityService(system, settings.identity(), codec,
        system.dispatchers().lookup(DispatcherSelector.fromConfig("nimbus-password-dispatcher")), ask);
    identity.bootstrap().toCompletableFuture().get(60, TimeUnit.SECONDS);
    adminProjectId = identity.directory().toCompletableFuture().get(30, TimeUnit.SECONDS).projects().values().stream()
        .filter(p -> p.name().equals("admin")).findFirst().orElseThrow().id();
  }

  /** The node every route test of this run shares (it stops with the JVM). */
  static synchronized EdgeCloud get() {
    if (shared == null) {
      try {
        shared = new EdgeCloud();
      } catch (Exception e) {
        throw new IllegalStateException("the test node did not start: " + e.getMessage(), e);
      }
    }
    return shared;
  }

  org.apache.pekko.actor.ActorSystem classic() {
    return Adapter.toClassic(system);
  }

  /** The API's whole route tree, as the node serves it, with {@code policy}. */
  Route api(Policy policy) {
    Readiness readiness = new Readiness(system, ApiServer.blockingExecutor(system), true, () -> true, Map.of(),
        settings.api().projectionStallAfter());
    return new ApiServer(system, settings.api(), identity, Optional.empty(), settings.compute().hostDownAfter(),
        readiness, uploads, settings.imageStore().uploadTimeout(), policy, settings.network()).route();
  }

  /** A token of the cloud's admin (the admin role on the admin project). */
  String adminToken() {
    return token(adminProjectId, "admin-user", "admin");
  }

  String adminProjectId() {
    return adminProjectId;
  }

  /** A token for a user with {@code roles} on {@code projectId}. */
  String token(String projectId, String userId, String... roles) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return codec.encode(new Token(userId, Optional.of(projectId), List.of(roles), now, now.plus(Duration.ofHours(1)),
        UUID.randomUUID().toString().substring(0, 22), List.of("password"), 0, 0));
  }
}
