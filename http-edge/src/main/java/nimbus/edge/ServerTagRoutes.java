package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerView;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's server tags (2.26, {@code openstack server set --tag}, {@code unset --tag}): list,
 * replace all (PUT), delete all, and one tag's check, add and delete. The server's entity applies
 * each change (in the states Nova allows), so concurrent changes are never lost; Nova checks no
 * lock here.
 */
final class ServerTagRoutes extends ServiceRoutes {
  private static final RequestSchema REPLACE = RequestSchema.named("server-tags-update");
  private static final int MAX_LENGTH = 60;

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Policy policy;
  /** The server if the caller may see it (404 otherwise). */
  private final BiFunction<RequestContext, String, CompletionStage<ServerView>> visible;

  ServerTagRoutes(ClusterSharding sharding, Duration timeout, Policy policy,
      BiFunction<RequestContext, String, CompletionStage<ServerView>> visible) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.timeout = timeout;
    this.policy = policy;
    this.visible = visible;
  }

  Route route(RequestContext ctx, String serverId, String baseUrl) {
    return pathPrefix("tags", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-tags:index");
              return visible.apply(ctx, serverId).thenApply(view -> Json.response(200, Map.of("tags", view.tags())));
            })),
            put(() -> body(b -> respond(() -> replace(ctx, serverId, b)))),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-tags:delete_all");
              return change(ctx, serverId, Optional.of(List.of()), Optional.empty(), Optional.empty())
                  .thenApply(t -> HttpResponse.create().withStatus(204));
            })))),
        path(PathMatchers.segment(), tag -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-tags:show");
              return visible.apply(ctx, serverId).thenApply(view -> {
                if (!view.tags().contains(tag)) throw ApiError.notFound("Server " + serverId + " has no tag '" + tag + "'");
                return HttpResponse.create().withStatus(204);
              });
            })),
            put(() -> body(b -> respond(() -> add(ctx, serverId, tag, b, baseUrl)))),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-tags:delete");
              return change(ctx, serverId, Optional.empty(), Optional.empty(), Optional.of(tag))
                  .thenApply(t -> HttpResponse.create().withStatus(204));
            }))))));
  }

  private CompletionStage<HttpResponse> replace(RequestContext ctx, String serverId, String raw) {
    policy.enforce(ctx, "os_compute_api:os-server-tags:update_all");
    JsonNode body = REPLACE.validate(Json.parseObject(raw));
    List<String> tags = new ArrayList<>();
    body.get("tags").forEach(t -> tags.add(t.asText()));
    return change(ctx, serverId, Optional.of(tags), Optional.empty(), Optional.empty())
        .thenApply(after -> Json.response(200, Map.of("tags", after.tags())));
  }

  /** 201 with the tag's location when added, 204 when the server had it already (Nova's answers). */
  private CompletionStage<HttpResponse> add(RequestContext ctx, String serverId, String tag, String raw,
      String baseUrl) {
    policy.enforce(ctx, "os_compute_api:os-server-tags:update");
    // Nova's schema for this PUT is "null": no body at all
    if (!raw.isBlank() && !raw.trim().equals("null")) {
      throw ApiError.badRequest("Invalid input for field/attribute. Value: " + raw.trim() + ". "
          + raw.trim() + " is not of type 'null'");
    }
    if (tag.isEmpty() || tag.length() > MAX_LENGTH || tag.contains(",") || tag.contains("/")) {
      throw ApiError.badRequest("Tag '" + tag + "' is invalid. It must be a non empty string without characters"
          + " '/' and ','. Validation error message: the tag must be 1 to " + MAX_LENGTH + " characters long");
    }
    return change(ctx, serverId, Optional.empty(), Optional.of(tag), Optional.empty())
        .thenApply(after -> after.changed()
            ? HttpResponse.create().withStatus(201)
                .addHeader(Location.create(baseUrl + "/v2.1/servers/" + serverId + "/tags/"
                    + java.net.URLEncoder.encode(tag, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20")))
            : HttpResponse.create().withStatus(204));
  }

  private CompletionStage<ServerEntity.Tags> change(RequestContext ctx, String serverId,
      Optional<List<String>> replace, Optional<String> add, Optional<String> delete) {
    return visible.apply(ctx, serverId).thenCompose(view -> sharding.entityRefFor(ServerEntity.TYPE_KEY, view.id())
        .askWithStatus(r -> new ServerEntity.ChangeTags(replace, add, delete, r), timeout));
  }
}
