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
    return pathPrefix("os-keypairs", () -> parameterMap(q -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, owner(ctx, q, version, "index"), typed))),
            post(() -> body(b -> respond(() -> create(ctx, b, version)))))),
        path(PathMatchers.segment(), name -> concat(
            get(() -> respond(() -> {
              String user = owner(ctx, q, version, "show");
              return keypairs(user).<Keypair>askWithStatus(r -> new KeypairsEntity.Get(name, r), timeout)
                  .thenApply(k -> one(200, k, Optional.empty(), true, typed));
            })),
            delete(() -> respond(() -> {
              String user = owner(ctx, q, version, "delete");
              return keypairs(user).<Done>askWithStatus(r -> new KeypairsEntity.Remove(name, r), timeout)
                  .thenApply(d -> HttpResponse.create().withStatus(typed ? 204 : 202));
            })))))));
  }

  /**
   * Whose key pairs a request is about: from 2.10 an admin may name another user
   * ({@code ?user_id=}); Nova's rule lets only admins or that user through (403 otherwise).
   */
  private String owner(RequestContext ctx, Map<String, String> q, Microversion version, String action) {
    String user = version.atLeast("2.10") ? q.getOrDefault("user_id", ctx.userId()) : ctx.userId();
    policy.enforce(ctx, "os_compute_api:os-keypairs:" + action, Map.of("user_id", user));
    return user;
  }

  private EntityRef<KeypairsEntity.Command> keypairs(String userId) {
    return sharding.entityRefFor(KeypairsEntity.TYPE_KEY, userId);
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, String user, boolean typed) {
    return keypairs(user).<KeypairsEntity.Listing>askWithStatus(KeypairsEntity.ListAll::new, timeout).thenApply(l -> {
      return Json.response(200, Map.of("keypairs", l.keypairs().stream()
          .map(k -> Map.of("keypair", new Listed(k.name(), k.publicKey(), k.fingerprint(), type(k, typed)))).toList()));
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text, Microversion version) {
    boolean typed = version.atLeast("2.2");
    JsonNode body = Json.parseObject(text);
    // 2.10's user_id: a key pair for another user (admins); the rest is 2.2's schema
    JsonNode asked = body.path("keypair").path("user_id");
    if (!asked.isMissingNode() && version.atLeast("2.10")) {
      if (!asked.isTextual()) {
        throw ApiError.badRequest("Invalid input for field/attribute user_id. Value: " + asked + ". " + asked
            + " is not of type 'string'");
      }
      ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("keypair")).remove("user_id");
    }
    String user = asked.isTextual() && version.atLeast("2.10") ? asked.asText() : ctx.userId();
    policy.enforce(ctx, "os_compute_api:os-keypairs:create", Map.of("user_id", user));
    JsonNode in = (typed ? CREATE_V22 : CREATE).validate(body).get("keypair");
    String name = in.get("name").asText();
    String type = Fields.text(in, "type").orElse("ssh");
    boolean x509 = type.equals("x509");
    Optional<String> imported = Fields.text(in, "public_key");
    // generating a key takes a moment of CPU (an x509 one runs openssl): not on the route's thread
    return CompletableFuture.supplyAsync(() -> imported.map(k -> new SshKeys.Generated(k, null))
            .orElseGet(() -> x509 ? X509Keys.generate(user) : SshKeys.generate("Generated-by-Nimbus")), blocking)
        .thenCompose(pair -> {
          String fingerprint = (x509 ? X509Keys.fingerprint(pair.publicKey()) : SshKeys.fingerprint(pair.publicKey()))
              .orElseThrow(() -> ApiError.badRequest(x509 ? "Keypair data is invalid: failed to generate X509 fingerprint"
                  : "Keypair data is invalid: failed to generate fingerprint"));
          // a certificate keeps its line breaks; an ssh key is one line
          String publicKey = x509 ? pair.publicKey() : pair.publicKey().trim();
          Keypair k = new Keypair(name, user, publicKey, fingerprint, type, Instant.now());
          return keypairs(user).<Keypair>askWithStatus(r -> new KeypairsEntity.Add(k, r), timeout)
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
