package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's metadata API of one kind of resource (volumes, snapshots), under {@code …/{id}/metadata}:
 * show, replace (PUT), add to (POST), and one item's show, set and delete, each under its own
 * policy name as Cinder names them.
 */
final class CinderMetadataRoutes extends ServiceRoutes {

  /** One kind of resource's metadata: reading it, and changing it (answered with what it holds after). */
  private interface Store {
    CompletionStage<Map<String, String>> read(RequestContext ctx, String id);

    CompletionStage<Map<String, String>> change(RequestContext ctx, String id, Consumer<Map<String, String>> change);
  }

  /** Cinder's policy names for reading, adding, replacing and deleting a resource's metadata. */
  record Policies(String get, String create, String update, String delete) {}

  private final Policy policy;
  private final Policies names;
  private final Store store;

  /**
   * {@code visible}: the resource of an id if the caller may see it (else a 404), {@code metadataOf}
   * its metadata, {@code replace}: the resource's metadata replaced, answered with the resource.
   */
  <T> CinderMetadataRoutes(Policy policy, Policies names, BiFunction<RequestContext, String, CompletionStage<T>> visible,
      Function<T, Map<String, String>> metadataOf, BiFunction<String, Map<String, String>, CompletionStage<T>> replace) {
    super(NovaErrors::response);
    this.policy = policy;
    this.names = names;
    this.store = new Store() {
      @Override
      public CompletionStage<Map<String, String>> read(RequestContext ctx, String id) {
        return visible.apply(ctx, id).thenApply(metadataOf);
      }

      @Override
      public CompletionStage<Map<String, String>> change(RequestContext ctx, String id, Consumer<Map<String, String>> change) {
        return visible.apply(ctx, id).thenCompose(r -> replace.apply(id, changed(metadataOf.apply(r), change)))
            .thenApply(metadataOf);
      }
    };
  }

  /** The metadata routes of resource {@code id}, for the caller {@code ctx}. */
  Route route(RequestContext ctx, String id) {
    return concat(
        path("metadata", () -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, names.get());
              return store.read(ctx, id).thenApply(m -> Json.response(200, Map.of("metadata", m)));
            })),
            post(() -> body(b -> respond(() -> set(ctx, id, b, names.create(), false)))),
            put(() -> body(b -> respond(() -> set(ctx, id, b, names.update(), true)))))),
        path(PathMatchers.segment("metadata").slash(PathMatchers.segment()), key -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, names.get());
              return store.read(ctx, id).thenApply(m -> Json.response(200, Map.of("meta", Map.of(key, item(m, key)))));
            })),
            put(() -> body(b -> respond(() -> setItem(ctx, id, key, b)))),
            delete(() -> respond(() -> deleteItem(ctx, id, key))))));
  }

  /** PUT replaces the metadata, POST adds to it. */
  private CompletionStage<HttpResponse> set(RequestContext ctx, String id, String text, String name, boolean replace) {
    policy.enforce(ctx, name);
    JsonNode in = Json.parseObject(text);
    if (!in.has("metadata")) throw ApiError.badRequest("Malformed request body");
    Map<String, String> given = VolumeRoutes.metadata(in);
    return store.change(ctx, id, m -> {
      if (replace) m.clear();
      m.putAll(given);
    }).thenApply(m -> Json.response(200, Map.of("metadata", m)));
  }

  private static String item(Map<String, String> metadata, String key) {
    String value = metadata.get(key);
    if (value == null) throw ApiError.notFound("Metadata item was not found");
    return value;
  }

  /** Cinder's {@code {"meta": {key: value}}}: one item, named as in the path. */
  private CompletionStage<HttpResponse> setItem(RequestContext ctx, String id, String key, String text) {
    policy.enforce(ctx, names.update());
    JsonNode meta = Json.parseObject(text).get("meta");
    if (meta == null || !meta.isObject()) throw ApiError.badRequest("Malformed request body");
    if (meta.size() != 1) throw ApiError.badRequest("Request body contains too many items");
    if (!meta.has(key)) throw ApiError.badRequest("Request body and URI mismatch");
    Map<String, String> given = VolumeRoutes.metadata(Json.parseObject("{\"metadata\": " + meta + "}"));
    return store.change(ctx, id, m -> m.putAll(given)).thenApply(m -> Json.response(200, Map.of("meta", given)));
  }

  private CompletionStage<HttpResponse> deleteItem(RequestContext ctx, String id, String key) {
    policy.enforce(ctx, names.delete());
    return store.change(ctx, id, m -> {
      if (m.remove(key) == null) throw ApiError.notFound("Metadata item was not found");
    }).thenApply(m -> HttpResponse.create().withStatus(200));
  }

  /** A copy of {@code metadata} that {@code change} may alter, in its order. */
  private static Map<String, String> changed(Map<String, String> metadata, Consumer<Map<String, String>> change) {
    Map<String, String> copy = new LinkedHashMap<>(metadata);
    change.accept(copy);
    return copy;
  }
}
