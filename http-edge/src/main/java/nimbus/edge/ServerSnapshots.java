package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerView;
import nimbus.storage.Image;
import nimbus.storage.ImageQuotas;
import nimbus.storage.ImageMetadata;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;

/**
 * Nova's {@code createImage} action: the edge checks the request and the project's image quota
 * and describes the queued image (owned by the server's project, with its base image's boot
 * properties); the server then makes that image and copies its root disk into it, as persisted
 * steps that discard the image if the snapshot fails. The answer names the image, which turns
 * active when the copy is stored.
 */
final class ServerSnapshots {
  private static final Set<String> INHERITED = Set.of("kernel_id", "ramdisk_id", "os_type", "os_distro",
      "hw_disk_bus", "hw_vif_model");

  private final ClusterSharding sharding;
  private final BootSources images;
  private final ImageQuotas quotas;
  private final Duration timeout;

  ServerSnapshots(ClusterSharding sharding, BootSources images, ImageQuotas quotas, Duration timeout) {
    this.sharding = sharding;
    this.images = images;
    this.quotas = quotas;
    this.timeout = timeout;
  }

  CompletionStage<HttpResponse> create(ServerView server, JsonNode args, String imageBaseUrl, String requestId) {
    String name = args.get("name").asText(); // checked by server-action-createImage.json
    Map<String, String> metadata = Fields.metadata(args, "metadata");
    for (String key : metadata.keySet()) {
      if (ImageJson.READ_ONLY.contains(key) || ImageJson.BASE.contains(key)) {
        throw ApiError.badRequest("Invalid metadata key '" + key + "': it is an attribute of the image, not a property");
      }
    }
    String imageId = UUID.randomUUID().toString();
    // the image the server was booted from, if the image service still has it
    // a snapshot is an image of the server's project, counted in its image_count_total
    return quotas.checkRoomForImage(server.projectId())
        .thenCompose(room -> images.find(server.imageId()))
        .thenApply(base -> {
          if (base.isPresent() && !(base.get().diskFormat().equals("qcow2") || base.get().diskFormat().equals("raw"))) {
            throw new ApiError(409, "Cannot snapshot server " + server.id() + ": it boots a kernel and has no root disk");
          }
          Map<String, String> properties = new HashMap<>();
          base.ifPresent(b -> b.metadata().properties().forEach((k, v) -> {
            if (INHERITED.contains(k)) properties.put(k, v);
          }));
          properties.put("image_type", "snapshot");
          properties.put("instance_uuid", server.id());
          properties.put("base_image_ref", server.imageId());
          properties.put("user_id", server.userId());
          properties.putAll(metadata); // the caller's metadata wins, as in Nova's _create_image
          Instant now = Instant.now();
          ImageMetadata m = new ImageMetadata(name, "qcow2", "bare", "private", false,
              server.flavor().diskGb(), base.map(b -> b.metadata().minRam()).orElse(0), properties, List.of());
          return new Image(imageId, server.projectId(), "queued", m, Optional.empty(), Optional.empty(), now, now);
        })
        .thenCompose(image -> sharding.entityRefFor(ServerEntity.TYPE_KEY, server.id())
            .<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId, new ServerEntity.CreateImage(image, r)), timeout))
        .thenApply(done -> HttpResponse.create().withStatus(202)
            .addHeader(Location.create(imageBaseUrl + "/v2/images/" + imageId)));
  }

}
