package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
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
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode items = body.putArray("keypairs");
      for (Keypair k : l.keypairs()) {
        items.addObject().putObject("keypair").put("name", k.name()).put("public_key", k.publicKey())
            .put("fingerprint", k.fingerprint());
      }
      return Json.response(200, body);
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text) {
    policy.enforce(ctx, "os_compute_api:os-keypairs:create");
    JsonNode in = Fields.object(Json.parseObject(text), "keypair");
    Fields.onlyKnown(in, "keypair", Set.of("name", "public_key", "type"));
    String name = Fields.name(in, "name");
    if (!name.matches("[a-zA-Z0-9 ._@-]+")) {
      throw Fields.invalid("name", in.get("name"), "has characters other than letters, digits, space, . _ @ -");
    }
    Optional<String> imported = Fields.optionalString(in, "public_key", 16384);
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

  private static HttpResponse one(Keypair k, Optional<String> privateKey, boolean details) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ObjectNode o = body.putObject("keypair");
    o.put("name", k.name()).put("public_key", k.publicKey()).put("fingerprint", k.fingerprint())
        .put("user_id", k.userId());
    privateKey.ifPresent(p -> o.put("private_key", p));
    if (details) {
      o.put("created_at", ServerJson.isoTime(k.createdAt())).put("deleted", false).putNull("deleted_at")
          .putNull("updated_at").put("id", Math.abs(k.name().hashCode()) % 1_000_000);
    }
    return Json.response(200, body);
  }
}
