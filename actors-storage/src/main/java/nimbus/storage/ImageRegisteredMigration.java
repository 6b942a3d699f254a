package nimbus.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads the one image event of the first image service, {@code ImageRegistered} (an image
 * registered from configuration, with a flat image record), as the {@link ImageEntity.ImageCreated}
 * it means now: an active image with those files, so journals written before uploads existed
 * still recover.
 */
public final class ImageRegisteredMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return ImageEntity.ImageCreated.class.getName();
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    JsonNode old = json.path("image");
    ObjectNode metadata = nodes.objectNode();
    metadata.set("name", old.get("name"));
    metadata.set("diskFormat", old.get("diskFormat"));
    metadata.set("containerFormat", old.get("containerFormat"));
    metadata.set("visibility", old.get("visibility"));
    metadata.put("deletionProtected", false).put("minDisk", 0).put("minRam", 0);
    metadata.set("properties", old.has("properties") ? old.get("properties") : nodes.objectNode());
    metadata.putArray("tags");
    ObjectNode image = nodes.objectNode();
    image.set("id", old.get("id"));
    image.set("ownerProjectId", old.get("ownerProjectId"));
    image.put("status", "active");
    image.set("metadata", metadata);
    image.set("location", old.has("location") ? old.get("location") : nodes.nullNode());
    image.putNull("file");
    image.set("createdAt", old.get("createdAt"));
    image.set("updatedAt", old.get("createdAt"));
    ObjectNode created = nodes.objectNode();
    created.set("image", image);
    created.set("at", old.get("createdAt"));
    return created;
  }
}
