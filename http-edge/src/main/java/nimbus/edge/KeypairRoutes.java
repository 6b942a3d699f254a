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
import nimbus.compute.X509Keys;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's {@code os-keypairs}: import a public key or have one generated (the private key is
 * answered once and kept nowhere), list, show, delete. Keypairs are the calling user's own.
 * From microversion 2.2 a keypair has a type ({@code ssh} or {@code x509}) that views show, a
 * create answers 201 and a delete 204.
 */
final class KeypairRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("keypair-create");
  private static final RequestSchema CREATE_V22 = RequestSchema.named("keypair-create-v2.2");

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

  Route route(RequestContext ctx, Microversion version) {
    boolean typed = version.atLeast("2.2");
    return pathPrefix("os-keypairs", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, typed))),
            post(() -> body(b -> respond(() -> create(ctx, b, typed)))))),
        path(PathMatchers.segment(), name -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-keypairs:show");
              return keypairs(ctx).<Keypair>askWithStatus(r -> new KeypairsEntity.Get(name, r), timeout)
                  .thenApply(k -> one(200, k, Optional.empty(), true, typed));
            })),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-keypairs:delete");
              return keypairs(ctx).<Done>askWithStatus(r -> new KeypairsEntity.Remove(name, r), timeout)
                  .thenApply(d -> HttpResponse.create().withStatus(typed ? 204 : 202));
            }))))));
  }

  private EntityRef<KeypairsEntity.Command> keypairs(RequestContext ctx) {
    return sharding.entityRefFor(KeypairsEntity.TYPE_KEY, ctx.userId());
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, boolean typed) {
    policy.enforce(ctx, "os_compute_api:os-keypairs:index");
    return keypairs(ctx).<KeypairsEntity.Listing>askWithStatus(KeypairsEntity.ListAll::new, timeout).thenApply(l -> {
      return Json.response(200, Map.of("keypairs", l.keypairs().stream()
          .map(k -> Map.of("keypair", new Listed(k.name(), k.publicKey(), k.fingerprint(), type(k, typed)))).toList()));
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text, boolean typed) {
    policy.enforce(ctx, "os_compute_api:os-keypairs:create");
    JsonNode in = (typed ? CREATE_V22 : CREATE).validate(Json.parseObject(text)).get("keypair");
    String name = in.get("name").asText();
    String type = Fields.text(in, "type").orElse("ssh");
    boolean x509 = type.equals("x509");
    Optional<String> imported = Fields.text(in, "public_key");
    // generating a key takes a moment of CPU (an x509 one runs openssl): not on the route's thread
    return CompletableFuture.supplyAsync(() -> imported.map(k -> new SshKeys.Generated(k, null))
            .orElseGet(() -> x509 ? X509Keys.generate(ctx.userId()) : SshKeys.generate("Generated-by-Nimbus")), blocking)
        .thenCompose(pair -> {
          String fingerprint = (x509 ? X509Keys.fingerprint(pair.publicKey()) : SshKeys.fingerprint(pair.publicKey()))
              .orElseThrow(() -> ApiError.badRequest(x509 ? "Keypair data is invalid: failed to generate X509 fingerprint"
                  : "Keypair data is invalid: failed to generate fingerprint"));
          // a certificate keeps its line breaks; an ssh key is one line
          String publicKey = x509 ? pair.publicKey() : pair.publicKey().trim();
          Keypair k = new Keypair(name, ctx.userId(), publicKey, fingerprint, type, Instant.now());
          return keypairs(ctx).<Keypair>askWithStatus(r -> new KeypairsEntity.Add(k, r), timeout)
              .thenApply(saved -> one(typed ? 201 : 200, saved, Optional.ofNullable(pair.privateKey()), false, typed));
        });
  }

  /** The keypair's type, shown from 2.2. */
  private static Optional<String> type(Keypair k, boolean typed) {
    return typed ? Optional.of(k.type()) : Optional.empty();
  }

  /** A key pair in lists. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Listed(String name, String publicKey, String fingerprint, Optional<String> type) {}

  /** A key pair shown or made: the private key only in the answer to a create that generated it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Shown(String name, String publicKey, String fingerprint, String userId, Optional<String> privateKey,
      Optional<String> type, @JsonUnwrapped Details details) {}

  /** What a show adds (Nova's database fields). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record Details(String createdAt, boolean deleted, String deletedAt, String updatedAt, int id) {}

  private static HttpResponse one(int status, Keypair k, Optional<String> privateKey, boolean details, boolean typed) {
    return Json.response(status, Map.of("keypair", new Shown(k.name(), k.publicKey(), k.fingerprint(), k.userId(),
        privateKey, type(k, typed), details ? new Details(ServerJson.isoTime(k.createdAt()), false, null, null,
            Math.abs(k.name().hashCode()) % 1_000_000) : null)));
  }
}
