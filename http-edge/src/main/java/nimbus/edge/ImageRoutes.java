package nimbus.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import nimbus.storage.ImageEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Glance v2's image show ({@code GET /image/v2/images/{id}}), enough for clients to resolve an
 * image reference. A project sees public images and its own.
 */
final class ImageRoutes extends ServiceRoutes {
  private final ClusterSharding sharding;
  private final Duration timeout;

  ImageRoutes(ClusterSharding sharding, Duration timeout) {
    super(ImageRoutes::error);
    this.sharding = sharding;
    this.timeout = timeout;
  }

  /** Glance's error body. */
  static HttpResponse error(int status, String message) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("code", status).put("title", status == 404 ? "Not Found" : "Error").put("message", message);
    return Json.response(status, body);
  }

  Route route(RequestContext ctx) {
    return pathPrefix(PathMatchers.segment("v2").slash("images"), () ->
        path(PathMatchers.segment(), id -> get(() -> respond(() -> sharding.entityRefFor(ImageEntity.TYPE_KEY, id)
            .<ImageEntity.Image>askWithStatus(ImageEntity.Get::new, timeout)
            .thenApply(image -> {
              if (!BootSources.visible(image, ctx.projectId())) {
                throw ApiError.notFound("No image found with ID " + id);
              }
              return Json.response(200, view(image));
            })))));
  }

  private static ObjectNode view(ImageEntity.Image i) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", i.id()).put("name", i.name()).put("status", "active").put("visibility", i.visibility())
        .put("protected", false).put("disk_format", i.diskFormat()).put("container_format", i.containerFormat())
        .put("min_disk", 0).put("min_ram", 0).put("owner", i.ownerProjectId())
        .put("created_at", ServerJson.isoTime(i.createdAt())).put("updated_at", ServerJson.isoTime(i.createdAt()))
        .put("self", "/v2/images/" + i.id()).put("file", "/v2/images/" + i.id() + "/file")
        .put("schema", "/v2/schemas/image").putNull("size").putNull("checksum");
    o.putArray("tags");
    i.properties().forEach(o::put);
    return o;
  }
}
