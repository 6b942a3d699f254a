package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.compute.Keypair;
import nimbus.compute.KeypairsEntity;
import nimbus.compute.SshKeys;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's {@code os-keypairs}: import a public key or have one generated (the private key is
 * answered once and kept nowhere), list, show, delete. Keypairs are the calling user's own.
 */
final class KeypairRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("keypair-create");

  private final ClusterSharding sharding;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;

  KeypairRoutes(ClusterSharding sharding, Executor blocking, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return pathPrefix("os-keypairs", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        path(PathMatchers.segment(), name -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-keypairs:show");
              return keypairs(ctx).<Keypair>askWithStatus(r -> new KeypairsEntity.Get(name, r), timeout)
                  .thenApply(k -> one(k, Optional.empty(), true));
            })),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-keypairs:delete");
              return keypairs(ctx).<Done>askWithStatus(r -> new KeypairsEntity.Remove(name, r), timeout)
                  .thenApply(d -> HttpResponse.create().withStatus(202));
            }))))));
  }

  private EntityRef<KeypairsEntity.Command> keypairs(RequestContext ctx) {
    return sharding.entityRefFor(KeypairsEntity.TYPE_KEY, ctx.userId());
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx) {
    policy.enforce(ctx, "os_compute_api:os-keypairs:index");
    return keypairs(ctx).<KeypairsEntity.Listing>askWithStatus(KeypairsEntity.ListAll::new, timeout).thenApply(l -> {
      return Json.response(200, Map.of("keypairs", l.keypairs().stream()
          .map(k -> Map.of("keypair", new Listed(k.name(), k.publicKey(), k.fingerprint()))).toList()));
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text) {
    policy.enforce(ctx, "os_compute_api:os-keypairs:create");
    JsonNode in = CREATE.validate(Json.parseObject(text)).get("keypair");
    String name = in.get("name").asText();
    Optional<String> imported = Fields.text(in, "public_key");
    // generating an RSA key takes a moment of CPU: not on the route's thread
    return CompletableFuture.supplyAsync(() -> imported.map(k -> new SshKeys.Generated(k, null))
            .orElseGet(() -> SshKeys.generate("Generated-by-Nimbus")), blocking)
        .thenCompose(pair -> {
          String fingerprint = SshKeys.fingerprint(pair.publicKey())
              .orElseThrow(() -> ApiError.badRequest("Keypair data is invalid: failed to generate fingerprint"));
          Keypair k = new Keypair(name, ctx.userId(), pair.publicKey().trim(), fingerprint, "ssh", Instant.now());
          return keypairs(ctx).<Keypair>askWithStatus(r -> new KeypairsEntity.Add(k, r), timeout)
              .thenApply(saved -> one(saved, Optional.ofNullable(pair.privateKey()), false));
        });
  }

  /** A key pair in lists. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Listed(String name, String publicKey, String fingerprint) {}

  /** A key pair shown or made: the private key only in the answer to a create that generated it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Shown(String name, String publicKey, String fingerprint, String userId, Optional<String> privateKey,
      @JsonUnwrapped Details details) {}

  /** What a show adds (Nova's database fields). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record Details(String createdAt, boolean deleted, String deletedAt, String updatedAt, int id) {}

  private static HttpResponse one(Keypair k, Optional<String> privateKey, boolean details) {
    return Json.response(200, Map.of("keypair", new Shown(k.name(), k.publicKey(), k.fingerprint(), k.userId(),
        privateKey, details ? new Details(ServerJson.isoTime(k.createdAt()), false, null, null,
            Math.abs(k.name().hashCode()) % 1_000_000) : null)));
  }
}
