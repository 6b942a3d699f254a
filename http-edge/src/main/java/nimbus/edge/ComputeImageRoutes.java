package nimbus.edge;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.ImageListing;
import nimbus.storage.ImageMetadata;
import nimbus.storage.ImageQuotas;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's image proxy (2.1 to 2.35, metadata to 2.38): {@code /images}, {@code /images/detail},
 * show, delete and the image's metadata (its properties), in Nova's view and words, over the
 * image service's own checks (which image a project sees, that only its owner changes it).
 */
final class ComputeImageRoutes extends ServiceRoutes {
  private static final RequestSchema SET = RequestSchema.named("metadata-set");
  private static final RequestSchema ITEM = RequestSchema.named("metadata-item");
  private static final int MAX_LIMIT = 1000; // Nova's api.max_limit
  private static final int MAX_METADATA = 128; // Nova's metadata_items quota, as maxImageMeta says

  private final ImageRoutes images;
  private final ImageListing listing;
  private final ImageQuotas quotas;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;

  ComputeImageRoutes(ImageRoutes images, ImageListing listing, ImageQuotas quotas, Executor blocking,
      Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.images = images;
    this.listing = listing;
    this.quotas = quotas;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("images", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, false, baseUrl)))),
            // DELETE /images/ names no image: Nova's 404
            delete(() -> respond(() -> { throw notFound(); })))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, true, baseUrl))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> visible(ctx, id).thenApply(i -> Json.response(200,
                    Map.of("image", ComputeImageJson.detail(i, baseUrl)))))),
                delete(() -> respond(() -> delete(ctx, id))))),
            pathPrefix("metadata", () -> concat(
                pathEndOrSingleSlash(() -> concat(
                    get(() -> respond(() -> visible(ctx, id)
                        .thenApply(i -> Json.response(200, Map.of("metadata", i.metadata().properties()))))),
                    post(() -> body(b -> respond(() -> setAll(ctx, id, b, false)))),
                    put(() -> body(b -> respond(() -> setAll(ctx, id, b, true)))))),
                path(PathMatchers.segment(), key -> concat(
                    get(() -> respond(() -> visible(ctx, id).thenApply(i -> {
                      String value = i.metadata().properties().get(key);
                      if (value == null) throw ApiError.notFound("The resource could not be found.");
                      return Json.response(200, Map.of("meta", Map.of(key, value)));
                    }))),
                    put(() -> body(b -> respond(() -> setOne(ctx, id, key, b)))),
                    delete(() -> respond(() -> deleteOne(ctx, id, key)))))))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q, boolean detail,
      String baseUrl) {
    int limit = Fields.limit(q, MAX_LIMIT, MAX_LIMIT);
    Map<String, List<String>> equal = new LinkedHashMap<>();
    Optional.ofNullable(q.get("name")).ifPresent(name -> equal.put("name", List.of(name)));
    Optional.ofNullable(q.get("status")).ifPresent(status -> equal.put("status", List.of(status.toLowerCase())));
    // Nova's proxy asks Glance for the snapshot's properties: its server (an id or a link's last part) and type
    Map<String, String> properties = new LinkedHashMap<>();
    q.forEach((name, value) -> {
      if (name.startsWith("property-")) properties.put(name.substring("property-".length()), value);
    });
    Optional.ofNullable(q.get("server"))
        .ifPresent(server -> properties.put("instance_uuid", server.substring(server.lastIndexOf('/') + 1)));
    Optional.ofNullable(q.get("type")).ifPresent(type -> properties.put("image_type", type));
    ImageListing.Query query = new ImageListing.Query(
        policy.allows(ctx, "context_is_admin") ? Optional.empty() : Optional.of(ctx.projectId()), Optional.empty(),
        equal, Optional.empty(), Optional.empty(), Optional.empty(), List.of(), "accepted", List.of(), limit,
        Optional.ofNullable(q.get("marker")), properties);
    return readSide(() -> listing.list(query), blocking).thenApply(found -> {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("images", found.stream().map(i -> detail ? ComputeImageJson.detail(i, baseUrl)
          : ComputeImageJson.summary(i, baseUrl)).toList());
      if (!found.isEmpty() && found.size() == limit) { // a full page may have a next
        body.put("images_links", List.of(new Link("next", baseUrl + "/v2.1/images" + (detail ? "/detail" : "")
            + "?limit=" + limit + "&marker=" + found.get(found.size() - 1).id())));
      }
      return Json.response(200, body);
    });
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return owned(ctx, id, "delete_image")
        .thenCompose(image -> images.entity(id).<Image>askWithStatus(ImageEntity.Delete::new, timeout))
        .thenCompose(deleted -> quotas.forget(deleted.ownerProjectId(), id))
        .thenApply(released -> HttpResponse.create().withStatus(204));
  }

  /** POST merges the metadata into the image's; PUT replaces it. */
  private CompletionStage<HttpResponse> setAll(RequestContext ctx, String id, String raw, boolean replace) {
    Map<String, String> asked = Fields.metadata(SET.validate(Json.parseObject(raw)), "metadata");
    return changed(ctx, id, current -> {
      Map<String, String> next = replace ? new LinkedHashMap<>() : new LinkedHashMap<>(current);
      next.putAll(asked);
      return next;
    }).thenApply(image -> Json.response(200, Map.of("metadata", replace ? asked : image.metadata().properties())));
  }

  private CompletionStage<HttpResponse> setOne(RequestContext ctx, String id, String key, String raw) {
    Map<String, String> meta = Fields.metadata(ITEM.validate(Json.parseObject(raw)), "meta");
    if (!meta.containsKey(key)) throw ApiError.badRequest("Request body and URI mismatch");
    return changed(ctx, id, current -> {
      Map<String, String> next = new LinkedHashMap<>(current);
      next.putAll(meta);
      return next;
    }).thenApply(image -> Json.response(200, Map.of("meta", meta)));
  }

  private CompletionStage<HttpResponse> deleteOne(RequestContext ctx, String id, String key) {
    return changed(ctx, id, current -> {
      if (!current.containsKey(key)) throw ApiError.notFound("Invalid metadata key");
      Map<String, String> next = new LinkedHashMap<>(current);
      next.remove(key);
      return next;
    }).thenApply(image -> HttpResponse.create().withStatus(204));
  }

  /** The image with its properties changed by {@code change}, if the caller may modify it. */
  private CompletionStage<Image> changed(RequestContext ctx, String id,
      Function<Map<String, String>, Map<String, String>> change) {
    return owned(ctx, id, "modify_image").thenCompose(image -> {
      Map<String, String> next = change.apply(image.metadata().properties());
      if (next.size() > MAX_METADATA) throw new ApiError(403, "Image metadata limit exceeded");
      next.keySet().stream().filter(k -> ImageJson.READ_ONLY.contains(k) || ImageJson.BASE.contains(k)).findFirst()
          .ifPresent(k -> {
            throw new ApiError(403, "Attribute '" + k + "' is reserved.");
          });
      ImageMetadata m = image.metadata();
      ImageMetadata updated = new ImageMetadata(m.name(), m.diskFormat(), m.containerFormat(), m.visibility(),
          m.deletionProtected(), m.minDisk(), m.minRam(), next, m.tags());
      return images.entity(id).<Image>askWithStatus(r -> new ImageEntity.UpdateMetadata(updated, r), timeout);
    });
  }

  /** The image, as the image service shows it to the caller; Nova's 404 otherwise. */
  private CompletionStage<Image> visible(RequestContext ctx, String id) {
    return inNovasWords(images.visible(ctx, id), "Image not found.");
  }

  private CompletionStage<Image> owned(RequestContext ctx, String id, String rule) {
    return inNovasWords(images.owned(ctx, id, rule),
        rule.equals("delete_image") ? "You are not allowed to delete the image." : null);
  }

  /** The image service's 404 (and 403) in Nova's words; other failures pass. */
  private static <T> CompletionStage<T> inNovasWords(CompletionStage<T> found, String forbidden) {
    return found.handle((value, e) -> {
      if (e == null) return value;
      ApiError error = Failures.toApiError(e);
      if (error.status == 404) throw notFound();
      if (error.status == 403 && forbidden != null) throw new ApiError(403, forbidden);
      throw Failures.rethrow(e);
    });
  }

  private static ApiError notFound() {
    return ApiError.notFound("Image not found.");
  }
}
