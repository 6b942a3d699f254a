package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerVolume;
import nimbus.compute.ServerView;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Nova's {@code os-volume_attachments} on one server ({@code openstack server add volume},
 * {@code remove volume}, {@code server volume list}): list, show, attach (answered once the
 * volume is in use) and detach (202; the volume is available once the host let it go).
 */
final class ServerVolumeRoutes extends ServiceRoutes {
  private static final RequestSchema ATTACH = RequestSchema.named("volume-attach");

  private final ServerAccess access;

  ServerVolumeRoutes(ServerAccess access) {
    super(NovaErrors::response);
    this.access = access;
  }

  /** The routes of {@code serverId}'s volumes; {@code requestId}: the API request's (its actions record it). */
  Route route(RequestContext ctx, Microversion version, String requestId, String serverId) {
    return pathPrefix("os-volume_attachments", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, version, serverId))),
            post(() -> body(b -> respond(() -> attach(ctx, version, requestId, serverId, b)))))),
        path(PathMatchers.segment(), volumeId -> concat(
            get(() -> respond(() -> show(ctx, version, serverId, volumeId))),
            delete(() -> respond(() -> detach(ctx, requestId, serverId, volumeId)))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, Microversion version, String serverId) {
    access.policy().enforce(ctx, "os_compute_api:os-volumes-attachments:index");
    return access.visible().apply(ctx, serverId).thenApply(view -> Json.response(200, Map.of("volumeAttachments",
        view.volumes().stream().map(v -> attachment(view.id(), v, version)).toList())));
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, Microversion version, String serverId,
      String volumeId) {
    access.policy().enforce(ctx, "os_compute_api:os-volumes-attachments:show");
    return access.visible().apply(ctx, serverId).thenApply(view -> Json.response(200, Map.of("volumeAttachment",
        attachment(view.id(), volumeOf(view, volumeId), version))));
  }

  private CompletionStage<HttpResponse> attach(RequestContext ctx, Microversion version, String requestId,
      String serverId, String body) {
    access.policy().enforce(ctx, "os_compute_api:os-volumes-attachments:create");
    JsonNode in = ATTACH.validate(Json.parseObject(body)).get("volumeAttachment");
    String volumeId = Fields.text(in, "volumeId").orElseThrow().toLowerCase();
    if (in.path("delete_on_termination").asBoolean(false)) {
      throw ApiError.badRequest("Nimbus attaches volumes with delete_on_termination false only");
    }
    Optional<String> device = Fields.text(in, "device");
    String attachmentId = UUID.randomUUID().toString();
    return access.unlocked().apply(ctx, serverId)
        // another project's volume is no volume of this server's (the volume checks it again as it is reserved)
        .thenCompose(view -> volume(volumeId).<StatusReply<Volume>>ask(VolumeEntity.Get::new, access.timeout())
            .thenApply(r -> {
              if (r.isError() || !r.getValue().projectId().equals(view.projectId())) {
                throw ApiError.notFound("Volume " + volumeId + " could not be found.");
              }
              return view;
            }))
        .thenCompose(view -> server(serverId).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId,
            new ServerEntity.AttachVolume(volumeId, attachmentId, device, r)), access.timeout()))
        .thenCompose(done -> server(serverId).<ServerView>askWithStatus(ServerEntity.Get::new, access.timeout()))
        .thenApply(view -> Json.response(200, Map.of("volumeAttachment",
            attachment(view.id(), volumeOf(view, volumeId), version))));
  }

  private CompletionStage<HttpResponse> detach(RequestContext ctx, String requestId, String serverId,
      String volumeId) {
    access.policy().enforce(ctx, "os_compute_api:os-volumes-attachments:delete");
    return access.unlocked().apply(ctx, serverId)
        .thenCompose(view -> server(serverId).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId,
            new ServerEntity.DetachVolume(volumeId.toLowerCase(), r)), access.timeout()))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private static ServerVolume volumeOf(ServerView view, String volumeId) {
    return view.volumes().stream().filter(v -> v.volumeId().equalsIgnoreCase(volumeId)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Instance " + view.id() + " is not attached to volume " + volumeId + "."));
  }

  /** One attachment as Nova shows it at the request's microversion. */
  static Map<String, Object> attachment(String serverId, ServerVolume v, Microversion version) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (!version.atLeast("2.89")) m.put("id", v.volumeId());
    m.put("serverId", serverId);
    m.put("volumeId", v.volumeId());
    m.put("device", v.device());
    if (version.atLeast("2.70")) m.put("tag", null);
    if (version.atLeast("2.79")) m.put("delete_on_termination", v.deleteOnTermination());
    if (version.atLeast("2.89")) {
      m.put("attachment_id", v.attachmentId());
      m.put("bdm_uuid", UUID.nameUUIDFromBytes((serverId + "/bdm/" + v.volumeId()).getBytes(StandardCharsets.UTF_8))
          .toString());
    }
    return m;
  }

  /** Nova's {@code os-extended-volumes:volumes_attached} of a server view. */
  static List<Object> attached(ServerView s, Microversion version) {
    return s.volumes().stream().<Object>map(v -> version.atLeast("2.3")
        ? Map.of("id", v.volumeId(), "delete_on_termination", v.deleteOnTermination()) : Map.of("id", v.volumeId())).toList();
  }

  private EntityRef<ServerEntity.Command> server(String id) {
    return access.sharding().entityRefFor(ServerEntity.TYPE_KEY, id.toLowerCase());
  }

  private EntityRef<VolumeEntity.Command> volume(String id) {
    return access.sharding().entityRefFor(VolumeEntity.TYPE_KEY, id);
  }
}
