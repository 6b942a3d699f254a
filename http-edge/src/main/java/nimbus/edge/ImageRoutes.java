package nimbus.edge;

import java.util.List;
import java.util.LinkedHashMap;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.ImageListing;
import nimbus.storage.ImageMetadata;
import nimbus.storage.ImageQuotas;
import nimbus.storage.ImageUploads;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Glance v2's images: create, list (filters and pages), show, update (JSON patch), delete, and
 * the file's upload and download, both streamed. A project sees public and community images
 * and its own; it changes only its own (admins see and change all).
 */
final class ImageRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("image-create");

  private final ClusterSharding sharding;
  private final ImageListing listing;
  private final ImageUploads uploads;
  private final Executor blocking;
  private final Duration timeout;
  private final Duration uploadTimeout;
  private final ImageMemberRoutes members;
  private final Policy policy;
  private final ImageSchemas schemas = new ImageSchemas();

  ImageRoutes(ClusterSharding sharding, ImageListing listing, ImageUploads uploads, Executor blocking,
      Duration timeout, Duration uploadTimeout, Policy policy) {
    super(ImageRoutes::error);
    this.policy = policy;
    this.sharding = sharding;
    this.listing = listing;
    this.uploads = uploads;
    this.blocking = blocking;
    this.timeout = timeout;
    this.uploadTimeout = uploadTimeout;
    this.members = new ImageMemberRoutes(this::visible, this::owned, this::entity, timeout, policy);
  }

  /** Glance's error body. */
  static HttpResponse error(int status, String message) {
    return Json.response(status, new Error(status, title(status), message));
  }

  record Error(int code, String title, String message) {}

  /** A page of images, and the next page's address if there may be one. */
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Page(List<ImageJson.View> images, String first, String schema, Optional<String> next) {}

  /** One of Glance's quota usages. */
  record Usage(long limit, long usage) {}

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 413 -> "Request Entity Too Large";
      case 415 -> "Unsupported Media Type";
      default -> "Error";
    };
  }

  Route route(RequestContext ctx) {
    return concat(path(PathMatchers.segment("v2").slash("info").slash("usage"),
        () -> get(() -> respond(() -> usage(ctx)))), schemas.route(), images(ctx));
  }

  private Route images(RequestContext ctx) {
    return pathPrefix(PathMatchers.segment("v2").slash("images"), () -> concat(
        pathEnd(() -> concat(
            get(() -> parameterLists(q -> respond(() -> list(ctx, q)))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        // an empty id names no image (Glance: 404 to every method)
        pathSingleSlash(() -> complete(error(404, "The resource could not be found."))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> respond(() -> visible(ctx, id).thenApply(i -> Json.response(200, ImageJson.view(i))))),
                patch(() -> patchForm(form -> body(b -> respond(() -> update(ctx, id, b, form))))),
                delete(() -> respond(() -> delete(ctx, id))))),
            pathPrefix("members", () -> members.route(ctx, id)),
            path(PathMatchers.segment("actions").slash(PathMatchers.segment()), action ->
                post(() -> respond(() -> action(ctx, id, action)))),
            path(PathMatchers.segment("tags").slash(PathMatchers.segment()), tag -> concat(
                put(() -> respond(() -> tag(ctx, id, tag, true))),
                delete(() -> respond(() -> tag(ctx, id, tag, false))))),
            path("file", () -> concat(
                put(() -> withoutSizeLimit(() -> withRequestTimeout(uploadTimeout, () ->
                    extractDataBytes(data -> respond(() -> owned(ctx, id, "upload_image")
                        .thenCompose(i -> uploads.upload(i.id(), data))
                        .thenApply(i -> HttpResponse.create().withStatus(204))))))),
                get(() -> respond(() -> visible(ctx, id).thenApply(i -> download(ctx, i))))))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, List<String>> q) {
    ImageListing.Query query = ImageListParams.parse(q, seesAll(ctx) ? Optional.empty() : Optional.of(ctx.projectId()));
    int pageSize = query.limit();
    return readSide(() -> listing.list(query), blocking).thenApply(images -> {
      Optional<String> next = pageSize > 0 && images.size() == pageSize
          ? Optional.of(nextPage(q, images.get(images.size() - 1).id(), pageSize))
          : Optional.empty();
      return Json.response(200, new Page(images.stream().map(ImageJson::view).toList(), "/v2/images",
          "/v2/schemas/images", next));
    });
  }

  /** The next page's address: the same filters and order, after the last image of this page. */
  private static String nextPage(Map<String, List<String>> q, String marker, int pageSize) {
    StringBuilder next = new StringBuilder("/v2/images?marker=").append(marker).append("&limit=").append(pageSize);
    q.forEach((name, values) -> {
      if (name.equals("marker") || name.equals("limit")) return;
      for (String value : values) {
        next.append('&').append(encode(name)).append('=').append(encode(value));
      }
    });
    return next.toString();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Glance's quota usage of the caller's project (sizes in MiB, as the limits are given). */
  private CompletionStage<HttpResponse> usage(RequestContext ctx) {
    ImageQuotas.Limits limits = uploads.quotas().limits();
    return uploads.quotas().usage(ctx.projectId()).thenApply(used -> {
      long mib = 1024 * 1024;
      Map<String, Usage> usage = new LinkedHashMap<>();
      usage.put("image_size_total", new Usage(limits.sizeTotalBytes() / mib, (used.sizeBytes() + mib - 1) / mib));
      usage.put("image_count_total", new Usage(limits.countTotal(), used.count()));
      usage.put("image_count_uploading", new Usage(limits.countUploading(), used.uploading()));
      return Json.response(200, Map.of("usage", usage));
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    policy.enforce(ctx, "add_image");
    JsonNode body = Json.parseObject(raw);
    ImageJson.refuseReadOnly(body);
    ImageMetadata metadata = ImageJson.created(CREATE.validate(body));
    checkPublicize(ctx, metadata.visibility());
    String owner = Fields.text(body, "owner").orElse(ctx.projectId());
    if (!owner.equals(ctx.projectId()) && !seesAll(ctx)) {
      throw new ApiError(403, "You are not permitted to create images owned by '" + owner + "'.");
    }
    String id = Fields.text(body, "id").map(String::toLowerCase).orElse(UUID.randomUUID().toString());
    if (UUID.fromString(id).version() == 3) {
      // name-based ids are those of images the operator registers from configuration: a tenant
      // who took one first would own the image every user boots by that name's id
      throw ApiError.badRequest("Invalid value for 'id': name-based (version 3) UUIDs are reserved");
    }
    Instant now = Instant.now();
    Image image = new Image(id, owner, "queued", metadata, Optional.empty(), Optional.empty(), now, now);
    return uploads.quotas().checkRoomForImage(owner)
        .thenCompose(room -> entity(id).<Image>askWithStatus(r -> new ImageEntity.Create(image, r), timeout))
        .thenApply(created -> Json.response(201, ImageJson.view(created)));
  }

  /** The patch form the request's media type names; another media type is Glance's 415. */
  private Route patchForm(java.util.function.Function<String, Route> inner) {
    return extractRequestEntity(entity -> {
      var type = entity.getContentType().mediaType();
      String form = type.mainType() + "/" + type.subType();
      if (form.equals(ImageJson.PATCH_V20) || form.equals(ImageJson.PATCH_V21)) return inner.apply(form);
      return complete(error(415, "The media type " + form + " is not supported. Use " + ImageJson.PATCH_V21 + ".")
          .addHeader(RawHeader.create("Accept-Patch", ImageJson.PATCH_V20 + ", " + ImageJson.PATCH_V21)));
    });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw, String form) {
    JsonNode patch;
    try {
      patch = Json.MAPPER.readTree(raw);
    } catch (java.io.IOException e) {
      throw ApiError.badRequest("Malformed JSON patch: " + e.getMessage());
    }
    if (patch == null) throw ApiError.badRequest("Body expected in request.");
    Json.requireStorable(patch);
    return owned(ctx, id, "modify_image").thenCompose(image -> {
      ImageJson.Patched next = ImageJson.patched(image, patch, form);
      if (!next.metadata().visibility().equals(image.visibility())) checkPublicize(ctx, next.metadata().visibility());
      boolean givenAway = !next.owner().equals(image.ownerProjectId());
      if (givenAway && !seesAll(ctx)) throw new ApiError(403, "You are not permitted to change the owner of image " + id + ".");
      return entity(id).<Image>askWithStatus(r -> new ImageEntity.UpdateMetadata(next.metadata(),
          givenAway ? next.owner() : null, r), timeout);
    }).thenApply(updated -> Json.response(200, ImageJson.view(updated)));
  }

  /** Glance's tag calls: add (idempotent) or remove one tag. */
  private CompletionStage<HttpResponse> tag(RequestContext ctx, String id, String tag, boolean add) {
    if (tag.isEmpty() || tag.length() > 255 || Fields.hasControlCharacters(tag)) {
      throw ApiError.badRequest("Invalid tag: it must be 1 to 255 characters, none of them control characters");
    }
    return owned(ctx, id, "modify_image").thenCompose(image -> {
      java.util.List<String> tags = new java.util.ArrayList<>(image.metadata().tags());
      if (!add && !tags.remove(tag)) throw ApiError.notFound("Tag " + tag + " not found");
      if (add && !tags.contains(tag)) tags.add(tag);
      if (tags.size() > ImageJson.MAX_TAGS) throw ImageJson.tooManyTags();
      ImageMetadata next = image.metadata().withTags(tags);
      return entity(id).<Image>askWithStatus(r -> new ImageEntity.UpdateMetadata(next, r), timeout);
    }).thenApply(image -> HttpResponse.create().withStatus(204));
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return owned(ctx, id, "delete_image")
        .thenCompose(image -> entity(id).<Image>askWithStatus(ImageEntity.Delete::new, timeout))
        // its bytes are free at once, before the read side drops the image
        .thenCompose(deleted -> uploads.quotas().forget(deleted.ownerProjectId(), id))
        .thenApply(released -> HttpResponse.create().withStatus(204));
  }

  /** Glance's deactivate and reactivate (the owner's or an admin's, as its policy names them). */
  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String action) {
    if (!action.equals("deactivate") && !action.equals("reactivate")) {
      return CompletableFuture.failedFuture(ApiError.notFound("The resource could not be found."));
    }
    return owned(ctx, id, action).thenCompose(image -> entity(id).<Image>askWithStatus(r -> action.equals("deactivate")
        ? new ImageEntity.Deactivate(r) : new ImageEntity.Reactivate(r), timeout))
        .thenApply(image -> HttpResponse.create().withStatus(204));
  }

  private HttpResponse download(RequestContext ctx, Image image) {
    if (image.status().equals("deactivated") && !seesAll(ctx)) {
      throw new ApiError(403, "The requested image has been deactivated. Image data download is forbidden.");
    }
    if (image.file().isEmpty()) return HttpResponse.create().withStatus(204);
    var file = image.file().get();
    return HttpResponse.create().withStatus(200)
        .addHeader(RawHeader.create("Content-MD5", file.md5()))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, file.size(),
            uploads.store().read(file.sha512())
                .orElseThrow(() -> new ApiError(404, "The file of image " + image.id() + " is missing from the store"))));
  }

  /** Publishing an image to every project is for admins (Glance's publicize_image). */
  private void checkPublicize(RequestContext ctx, String visibility) {
    if (visibility.equals("public")) policy.enforce(ctx, "publicize_image");
  }

  /** Glance shows admins every project's images (its context's is_admin). */
  private boolean seesAll(RequestContext ctx) {
    return policy.allows(ctx, "context_is_admin");
  }

  /** The image, if this project may see it; 404 otherwise. */
  CompletionStage<Image> visible(RequestContext ctx, String id) {
    // clients look names up as ids first: those need no entity to say there is no such image
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(ApiError.notFound("No image found with ID " + id));
    return entity(id).<Image>askWithStatus(ImageEntity.Get::new, timeout).thenApply(image -> {
      if (!seesAll(ctx) && !image.visibleTo(ctx.projectId())) throw ApiError.notFound("No image found with ID " + id);
      return image;
    });
  }

  /**
   * The image, if the caller passes {@code rule} on it (Glance's target: its owner): 403 for
   * another's visible image, 404 otherwise.
   */
  CompletionStage<Image> owned(RequestContext ctx, String id, String rule) {
    return visible(ctx, id).thenApply(image -> {
      if (!policy.allows(ctx, rule, Map.of("owner", image.ownerProjectId()))) {
        throw new ApiError(403, "You are not permitted to modify image " + id + ".");
      }
      return image;
    });
  }

  org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<ImageEntity.Command> entity(String id) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, id.toLowerCase());
  }
}
