package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.storage.Image;

/** Images as Nova's proxy shows them (nova/api/openstack/compute/views/images.py). */
final class ComputeImageJson {
  private ComputeImageJson() {}

  /** A link of an image: Nova's three carry a type on the alternate one (the image service's address). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ImageLink(String rel, String href, String type) {}

  record Summary(String id, String name, List<ImageLink> links) {}

  /** The server a snapshot was taken of (its instance_uuid property). */
  record ServerRef(String id, List<Link> links) {}

  record Detail(String id, String name, int minRam, int minDisk, Map<String, String> metadata, String created,
      String updated, String status, int progress, @JsonProperty("OS-EXT-IMG-SIZE:size") Long size,
      List<ImageLink> links, @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<ServerRef> server) {}

  static Summary summary(Image i, String baseUrl) {
    return new Summary(i.id(), name(i), links(i, baseUrl));
  }

  static Detail detail(Image i, String baseUrl) {
    return new Detail(i.id(), name(i), i.metadata().minRam(), i.metadata().minDisk(), i.metadata().properties(),
        ServerJson.isoTime(i.createdAt()), ServerJson.isoTime(i.updatedAt()), status(i.status()),
        progress(i.status()), i.file().map(f -> f.size()).orElse(null), links(i, baseUrl),
        Optional.ofNullable(i.metadata().properties().get("instance_uuid"))
            .map(server -> new ServerRef(server, ServerJson.links(baseUrl, "servers", server))));
  }

  /** Nova's status of a Glance status. */
  static String status(String glance) {
    return switch (glance) {
      case "active" -> "ACTIVE";
      case "queued", "saving" -> "SAVING";
      case "deleted", "pending_delete" -> "DELETED";
      case "killed" -> "ERROR";
      default -> "UNKNOWN";
    };
  }

  private static int progress(String glance) {
    return switch (glance) {
      case "queued" -> 25;
      case "saving" -> 50;
      case "active" -> 100;
      default -> 0;
    };
  }

  private static String name(Image i) {
    return i.metadata().name().isEmpty() ? null : i.metadata().name();
  }

  private static List<ImageLink> links(Image i, String baseUrl) {
    String image = baseUrl.substring(0, baseUrl.lastIndexOf('/')) + "/image";
    return List.of(new ImageLink("self", baseUrl + "/v2.1/images/" + i.id(), null),
        new ImageLink("bookmark", baseUrl + "/images/" + i.id(), null),
        new ImageLink("alternate", image + "/images/" + i.id(), "application/vnd.openstack.image"));
  }
}
