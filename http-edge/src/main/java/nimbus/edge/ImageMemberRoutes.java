package nimbus.edge;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.ImageMember;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Glance v2's image members ({@code /v2/images/{id}/members}): the owner of a shared image
 * shares it with projects; each member project accepts (the image then shows in its lists) or
 * rejects it. A member sees only its own membership.
 */
final class ImageMemberRoutes extends ServiceRoutes {
  private static final RequestSchema ADD = RequestSchema.named("image-member-create");
  private static final RequestSchema ANSWER = RequestSchema.named("image-member-update");

  private final BiFunction<RequestContext, String, CompletionStage<Image>> visible;
  private final Owned owned;
  private final Function<String, EntityRef<ImageEntity.Command>> entity;
  private final Duration timeout;
  private final Policy policy;

  /** The image, if the caller passes a rule on it ({@link ImageRoutes#owned}). */
  interface Owned {
    CompletionStage<Image> apply(RequestContext ctx, String imageId, String rule);
  }

  ImageMemberRoutes(BiFunction<RequestContext, String, CompletionStage<Image>> visible, Owned owned,
      Function<String, EntityRef<ImageEntity.Command>> entity, Duration timeout, Policy policy) {
    super(ImageRoutes::error);
    this.visible = visible;
    this.owned = owned;
    this.entity = entity;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx, String imageId) {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> visible.apply(ctx, imageId).thenApply(image -> list(ctx, image)))),
            post(() -> body(b -> respond(() -> add(ctx, imageId, b)))))),
        path(PathMatchers.segment(), member -> concat(
            get(() -> respond(() -> visible.apply(ctx, imageId).thenApply(image -> {
              if (!mayRead(ctx, image, member) || !image.members().containsKey(member)) {
                throw ApiError.notFound("Project " + member + " is not a member of image " + imageId);
              }
              return Json.response(200, view(image, member));
            }))),
            put(() -> body(b -> respond(() -> answer(ctx, imageId, member, b)))),
            delete(() -> respond(() -> owned.apply(ctx, imageId, "delete_member")
                .thenCompose(image -> entity.apply(imageId)
                    .<Image>askWithStatus(r -> new ImageEntity.RemoveMember(member, r), timeout))
                .thenApply(image -> HttpResponse.create().withStatus(204)))))));
  }

  private HttpResponse list(RequestContext ctx, Image image) {
    List<View> members = new ArrayList<>();
    for (Map.Entry<String, ImageMember> m : image.members().entrySet()) {
      if (mayRead(ctx, image, m.getKey())) members.add(view(image, m.getKey()));
    }
    return Json.response(200, Map.of("members", members, "schema", "/v2/schemas/members"));
  }

  private CompletionStage<HttpResponse> add(RequestContext ctx, String imageId, String raw) {
    String member = ADD.validate(Json.parseObject(raw)).get("member").asText();
    return owned.apply(ctx, imageId, "add_member")
        .thenCompose(image -> entity.apply(imageId).<Image>askWithStatus(r -> new ImageEntity.AddMember(member, r), timeout))
        .thenApply(image -> Json.response(200, view(image, member)));
  }

  /** Only the member project answers for itself (Glance refuses the owner). */
  private CompletionStage<HttpResponse> answer(RequestContext ctx, String imageId, String member, String raw) {
    // the SDK sends the member back whole; only its status may change
    String status = ANSWER.validate(Json.parseObject(raw)).get("status").asText();
    return visible.apply(ctx, imageId).thenCompose(image -> {
      if (!policy.allows(ctx, "modify_member", Map.of("owner", image.ownerProjectId(), "member_id", member))) {
        throw new ApiError(403, "You are not permitted to modify 'status' on this image member.");
      }
      return entity.apply(imageId).<Image>askWithStatus(r -> new ImageEntity.AnswerMember(member, status, r), timeout);
    }).thenApply(image -> Json.response(200, view(image, member)));
  }

  /** By default the owner and admins see every member; a member sees itself. */
  private boolean mayRead(RequestContext ctx, Image image, String member) {
    return policy.allows(ctx, "get_member", Map.of("owner", image.ownerProjectId(), "member_id", member));
  }

  /** An image's member project and its answer. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record View(String imageId, String memberId, String status, String createdAt, String updatedAt, String schema) {}

  private static View view(Image image, String member) {
    ImageMember m = image.members().get(member);
    return new View(image.id(), member, m.status(), ServerJson.isoTime(m.createdAt()),
        ServerJson.isoTime(m.updatedAt()), "/v2/schemas/member");
  }
}
