package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import nimbus.storage.Image;
import nimbus.storage.ImageMetadata;

/**
 * Glance v2's image documents: the view of an image, and the metadata a create body or a JSON
 * patch asks for, with Glance's checks and wording.
 */
final class ImageJson {
  /** What only the service sets. */
  static final Set<String> READ_ONLY = Set.of("id", "status", "checksum", "os_hash_algo", "os_hash_value",
      "size", "virtual_size", "created_at", "updated_at", "owner", "self", "file", "schema", "direct_url",
      "locations", "location", "deleted", "deleted_at", "stores");
  /** What owners set as attributes of their own (never as properties). */
  static final Set<String> BASE = Set.of("name", "disk_format", "container_format", "visibility",
      "protected", "min_disk", "min_ram", "tags", "os_hidden");

  /** Glance's image_tag_quota. */
  static final int MAX_TAGS = 128;

  private ImageJson() {}

  static ApiError tooManyTags() {
    return new ApiError(413, "Maximum number of tags exceeded (" + MAX_TAGS + ")");
  }

  /**
   * Glance's image document: the attributes, then each property as a field of its own (a property
   * never stands in for an attribute: a snapshot's metadata once could).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record View(String id, String name, String status, String visibility, @JsonProperty("protected") boolean isProtected,
      boolean osHidden, String diskFormat, String containerFormat, int minDisk, int minRam, String owner, Long size,
      String checksum, String osHashAlgo, String osHashValue, Long virtualSize, List<String> tags, String createdAt,
      String updatedAt, String self, String file, String schema, @JsonIgnore Map<String, String> properties) {

    @JsonAnyGetter
    Map<String, String> propertiesAsFields() {
      Map<String, String> shown = new TreeMap<>(properties);
      shown.keySet().removeAll(ATTRIBUTES);
      return shown;
    }
  }

  /** The fields of {@link View} other than properties. */
  private static final Set<String> ATTRIBUTES = Set.of("id", "name", "status", "visibility", "protected", "os_hidden",
      "disk_format", "container_format", "min_disk", "min_ram", "owner", "size", "checksum", "os_hash_algo",
      "os_hash_value", "virtual_size", "tags", "created_at", "updated_at", "self", "file", "schema");

  static View view(Image i) {
    ImageMetadata m = i.metadata();
    var file = i.file();
    return new View(i.id(), orNull(m.name()), i.status(), m.visibility(), m.deletionProtected(), false,
        orNull(m.diskFormat()), orNull(m.containerFormat()), m.minDisk(), m.minRam(), i.ownerProjectId(),
        file.map(f -> f.size()).orElse(null), file.map(f -> f.md5()).orElse(null),
        file.map(f -> "sha512").orElse(null), file.map(f -> f.sha512()).orElse(null), null, m.tags(),
        ServerJson.isoTime(i.createdAt()), ServerJson.isoTime(i.updatedAt()), "/v2/images/" + i.id(),
        "/v2/images/" + i.id() + "/file", "/v2/schemas/image", m.properties());
  }

  private static String orNull(String s) {
    return s.isEmpty() ? null : s;
  }

  /** Glance refuses a create body that sets what only the service sets (403), before its schema's checks. */
  static void refuseReadOnly(JsonNode body) {
    body.fieldNames().forEachRemaining(key -> {
      if (READ_ONLY.contains(key) && !key.equals("id")) throw readOnly(key);
    });
  }

  /**
   * The metadata of a new image from a create body that passed {@link #refuseReadOnly} and
   * image-create.json (Glance's defaults for what is missing).
   */
  static ImageMetadata created(JsonNode body) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("name", "").put("disk_format", "").put("container_format", "").put("visibility", "shared")
        .put("protected", false).put("min_disk", 0).put("min_ram", 0);
    doc.putArray("tags");
    body.fields().forEachRemaining(e -> {
      if (!e.getKey().equals("id")) doc.set(e.getKey(), e.getValue());
    });
    return metadataOf(doc);
  }

  /** Applies a JSON patch (media type openstack-images-v2.1-json-patch) to an image. */
  static ImageMetadata patched(Image image, JsonNode patch) {
    if (!patch.isArray()) throw ApiError.badRequest("Request body must be a JSON array of operation objects.");
    ObjectNode doc = Json.MAPPER.valueToTree(view(image));
    for (JsonNode op : patch) {
      if (!op.isObject() || !op.path("op").isTextual() || !op.path("path").isTextual()) {
        throw ApiError.badRequest("Operation objects must contain exactly one of \"op\" and \"path\".");
      }
      String kind = op.get("op").asText();
      String path = op.get("path").asText();
      if (!path.startsWith("/") || path.length() < 2 || path.indexOf('/', 1) > 0) {
        throw ApiError.badRequest("Invalid JSON pointer for this resource: '" + path + "'");
      }
      String field = path.substring(1).replace("~1", "/").replace("~0", "~");
      if (READ_ONLY.contains(field)) throw readOnly(field);
      switch (kind) {
        case "add", "replace" -> {
          if (!op.has("value")) throw ApiError.badRequest("Operation \"" + kind + "\" requires a member named \"value\".");
          if (kind.equals("replace") && !doc.has(field)) {
            throw new ApiError(409, "Property " + field + " does not exist.");
          }
          doc.set(field, op.get("value"));
        }
        case "remove" -> {
          if (BASE.contains(field)) throw new ApiError(403, "Attribute '" + field + "' cannot be removed.");
          if (doc.remove(field) == null) throw new ApiError(409, "Property " + field + " does not exist.");
        }
        default -> throw ApiError.badRequest("Invalid operation: '" + kind + "'");
      }
    }
    return metadataOf(doc);
  }

  private static ImageMetadata metadataOf(ObjectNode doc) {
    String name = text(doc, "name", 255, true);
    if (Fields.hasControlCharacters(name)) throw ApiError.badRequest("Invalid value for 'name': it has control characters");
    String disk = format(doc, "disk_format", ImageMetadata.DISK_FORMATS);
    String container = format(doc, "container_format", ImageMetadata.CONTAINER_FORMATS);
    String visibility = text(doc, "visibility", 16, false);
    if (!ImageMetadata.VISIBILITIES.contains(visibility)) {
      throw ApiError.badRequest("Invalid visibility value: " + visibility);
    }
    JsonNode prot = doc.get("protected");
    if (!prot.isBoolean()) throw ApiError.badRequest("Invalid value for 'protected': must be a boolean");
    int minDisk = count(doc, "min_disk");
    int minRam = count(doc, "min_ram");
    JsonNode tagsNode = doc.get("tags");
    if (tagsNode == null || !tagsNode.isArray()) throw ApiError.badRequest("Invalid value for 'tags': must be an array");
    // a set: de-duplicating in a list cost a request thread quadratic time on a large body
    java.util.Set<String> tags = new java.util.LinkedHashSet<>();
    for (JsonNode t : tagsNode) {
      if (!t.isTextual() || t.asText().length() > 255) throw ApiError.badRequest("Invalid tag: " + t);
      tags.add(t.asText());
    }
    if (tags.size() > MAX_TAGS) throw tooManyTags();
    Map<String, String> properties = new LinkedHashMap<>();
    doc.fields().forEachRemaining(e -> {
      if (BASE.contains(e.getKey()) || READ_ONLY.contains(e.getKey())) return;
      if (e.getKey().isEmpty() || e.getKey().length() > 255) throw ApiError.badRequest("Invalid property name");
      if (!e.getValue().isTextual()) {
        throw ApiError.badRequest("Invalid value for property '" + e.getKey() + "': properties are strings");
      }
      if (e.getValue().asText().length() > 65535) throw ApiError.badRequest("Property '" + e.getKey() + "' is too long");
      properties.put(e.getKey(), e.getValue().asText());
    });
    if (properties.size() > 128) throw new ApiError(413, "Maximum number of properties exceeded (128)");
    return new ImageMetadata(name, disk, container, visibility, prot.asBoolean(), minDisk, minRam, properties,
        List.copyOf(tags));
  }

  private static String text(ObjectNode doc, String field, int max, boolean nullable) {
    JsonNode v = doc.get(field);
    if (nullable && (v == null || v.isNull())) return "";
    if (v == null || !v.isTextual()) throw ApiError.badRequest("Invalid value for '" + field + "': must be a string");
    if (v.asText().length() > max) throw ApiError.badRequest("'" + field + "' is too long (at most " + max + ")");
    return v.asText();
  }

  private static String format(ObjectNode doc, String field, Set<String> allowed) {
    String value = text(doc, field, 32, true);
    if (!value.isEmpty() && !allowed.contains(value)) {
      throw ApiError.badRequest("Invalid value '" + value + "' for parameter '" + field + "': must be one of "
          + new java.util.TreeSet<>(allowed));
    }
    return value;
  }

  private static int count(ObjectNode doc, String field) {
    JsonNode v = doc.get(field);
    // canConvertToInt: asLong() would read 2^64 + 1 as 1
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw ApiError.badRequest("Invalid value for '" + field + "': must be a non-negative integer");
    }
    return v.asInt();
  }

  private static ApiError readOnly(String field) {
    return new ApiError(403, "Attribute '" + field + "' is read-only.");
  }
}
