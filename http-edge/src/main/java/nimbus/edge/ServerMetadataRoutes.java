package nimbus.edge;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.compute.ServerEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's server metadata on one server ({@code openstack server set --property}, {@code unset
 * --property}): list, merge (POST), replace (PUT), and one item's show, set and delete. The
 * server's entity applies each change, so concurrent changes are never lost.
 */
final class ServerMetadataRoutes extends ServiceRoutes {
  private static final RequestSchema SET = RequestSchema.named("metadata-set");
  private static final RequestSchema ITEM = RequestSchema.named("metadata-item");

  private final ServerAccess access;

  ServerMetadataRoutes(ServerAccess access) {
    super(NovaErrors::response);
    this.access = access;
  }

  Route route(RequestContext ctx, String serverId) {
    return pathPrefix("metadata", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, serverId))),
            post(() -> body(b -> respond(() -> setAll(ctx, serverId, b, false)))),
            put(() -> body(b -> respond(() -> setAll(ctx, serverId, b, true)))))),
        path(PathMatchers.segment(), key -> concat(
            get(() -> respond(() -> show(ctx, serverId, key))),
            put(() -> body(b -> respond(() -> setOne(ctx, serverId, key, b)))),
            delete(() -> respond(() -> deleteOne(ctx, serverId, key)))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, String serverId) {
    access.policy().enforce(ctx, "os_compute_api:server-metadata:index");
    return access.visible().apply(ctx, serverId).thenApply(view -> Json.response(200, Map.of("metadata", view.metadata())));
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, String serverId, String key) {
    access.policy().enforce(ctx, "os_compute_api:server-metadata:show");
    return access.visible().apply(ctx, serverId).thenApply(view -> {
      String value = view.metadata().get(key);
      if (value == null) throw ApiError.notFound("Metadata item was not found");
      return Json.response(200, Map.of("meta", Map.of(key, value)));
    });
  }

  /** POST merges the items into the server's metadata and answers all of it; PUT replaces it. */
  private CompletionStage<HttpResponse> setAll(RequestContext ctx, String serverId, String raw, boolean replace) {
    access.policy().enforce(ctx, replace ? "os_compute_api:server-metadata:update_all" : "os_compute_api:server-metadata:create");
    Map<String, String> items = Fields.metadata(SET.validate(Json.parseObject(raw)), "metadata");
    return change(ctx, serverId, items, replace, Optional.empty())
        .thenApply(after -> Json.response(200, Map.of("metadata", after)));
  }

  private CompletionStage<HttpResponse> setOne(RequestContext ctx, String serverId, String key, String raw) {
    access.policy().enforce(ctx, "os_compute_api:server-metadata:update");
    Map<String, String> meta = Fields.metadata(ITEM.validate(Json.parseObject(raw)), "meta");
    if (!meta.containsKey(key)) throw ApiError.badRequest("Request body and URI mismatch");
    return change(ctx, serverId, meta, false, Optional.empty()).thenApply(after -> Json.response(200, Map.of("meta", meta)));
  }

  private CompletionStage<HttpResponse> deleteOne(RequestContext ctx, String serverId, String key) {
    access.policy().enforce(ctx, "os_compute_api:server-metadata:delete");
    return change(ctx, serverId, Map.of(), false, Optional.of(key))
        .thenApply(after -> HttpResponse.create().withStatus(204));
  }

  private CompletionStage<Map<String, String>> change(RequestContext ctx, String serverId, Map<String, String> items,
      boolean replace, Optional<String> delete) {
    return access.unlocked().apply(ctx, serverId).thenCompose(view -> access.sharding().entityRefFor(ServerEntity.TYPE_KEY, view.id())
            .<ServerEntity.Metadata>askWithStatus(r -> new ServerEntity.ChangeMetadata(items, replace, delete, r), access.timeout()))
        .thenApply(ServerEntity.Metadata::items);
  }
}
