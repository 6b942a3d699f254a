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
      "size", "virtual_size", "created_at", "updated_at", "self", "file", "schema", "direct_url",
      "locations", "stores");
  /** What owners set as attributes of their own (never as properties); only admins give an image away. */
  static final Set<String> BASE = Set.of("name", "disk_format", "container_format", "visibility",
      "protected", "min_disk", "min_ram", "tags", "os_hidden", "owner");
  /** Glance's reserved names: neither attributes nor properties. */
  private static final Set<String> RESERVED = Set.of("location", "deleted", "deleted_at");
  /** The media types of Glance's two patch forms: JSON Schema draft 4's, and draft 10's (RFC 6902's). */
  static final String PATCH_V20 = "application/openstack-images-v2.0-json-patch";
  static final String PATCH_V21 = "application/openstack-images-v2.1-json-patch";
  private static final List<String> OPERATIONS = List.of("add", "remove", "replace");

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

  /** An image's metadata and owner after a patch. */
  record Patched(ImageMetadata metadata, String owner) {}

  /** One operation of a patch: its kind, the field it names, its value (null for a remove). */
  private record Operation(String kind, String field, JsonNode value) {}

  /**
   * Applies a JSON patch in the form of {@code mediaType} (one of {@link #PATCH_V20} and
   * {@link #PATCH_V21}) to an image, and checks the document it makes against Glance's image
   * schema.
   */
  static Patched patched(Image image, JsonNode patch, String mediaType) {
    if (patch == null || !patch.isArray()) {
      throw ApiError.badRequest("Request body must be a JSON array of operation objects.");
    }
    ObjectNode doc = Json.MAPPER.valueToTree(view(image));
    for (JsonNode raw : patch) {
      Operation op = operation(raw, mediaType.equals(PATCH_V20));
      switch (op.kind()) {
        case "add", "replace" -> {
          if (op.kind().equals("replace") && !doc.has(op.field())) {
            throw new ApiError(409, "Property " + op.field() + " does not exist.");
          }
          doc.set(op.field(), op.value());
        }
        default -> {
          if (BASE.contains(op.field())) throw new ApiError(403, "Attribute '" + op.field() + "' cannot be removed.");
          if (doc.remove(op.field()) == null) throw new ApiError(409, "Property " + op.field() + " does not exist.");
        }
      }
    }
    ImageSchemas.IMAGE.validate(doc);
    JsonNode owner = doc.get("owner");
    if (!owner.isTextual() || owner.asText().isEmpty() || owner.asText().length() > MAX_OWNER) {
      throw ApiError.badRequest("Invalid value for 'owner': a project id of 1 to " + MAX_OWNER + " characters");
    }
    return new Patched(metadataOf(doc), owner.asText());
  }

  /** The longest project id an owner may be (the read side's column). */
  static final int MAX_OWNER = 64;

  /** One operation in Glance's draft-4 form ({@code {"replace": "/name", "value": ...}}) or RFC 6902's. */
  private static Operation operation(JsonNode raw, boolean draft4) {
    if (!raw.isObject()) throw ApiError.badRequest("Operations must be JSON objects.");
    String kind;
    JsonNode path;
    if (draft4) {
      List<String> named = OPERATIONS.stream().filter(raw::has).toList();
      if (named.size() != 1) {
        throw ApiError.badRequest("Operation objects must contain " + (named.isEmpty() ? "exactly" : "only")
            + " one member named \"add\", \"remove\", or \"replace\".");
      }
      kind = named.get(0);
      path = raw.get(kind);
    } else {
      JsonNode op = raw.get("op");
      if (op == null) {
        throw ApiError.badRequest("Unable to find `op` in JSON Schema change. It must be one of the following: "
            + String.join(", ", OPERATIONS) + ".");
      }
      if (!op.isTextual() || !OPERATIONS.contains(op.asText())) {
        throw ApiError.badRequest("Invalid operation: `" + op.asText() + "`. It must be one of the following: "
            + String.join(", ", OPERATIONS) + ".");
      }
      kind = op.asText();
      path = raw.get("path");
      if (path == null) throw ApiError.badRequest("Unable to find 'path' in JSON Schema change");
    }
    String field = field(path);
    if (READ_ONLY.contains(field)) throw readOnly(field);
    if (RESERVED.contains(field)) throw new ApiError(403, "Attribute '" + field + "' is reserved.");
    if (kind.equals("remove")) return new Operation(kind, field, null);
    if (!raw.has("value")) throw ApiError.badRequest("Operation \"" + kind + "\" requires a member named \"value\".");
    return new Operation(kind, field, raw.get("value"));
  }

  /** The one field a JSON pointer names (Glance's pointers name no deeper member of an image). */
  private static String field(JsonNode path) {
    if (!path.isTextual()) throw ApiError.badRequest("Pointer `" + path + "` does not start with \"/\".");
    String pointer = path.asText();
    if (!pointer.startsWith("/")) throw ApiError.badRequest("Pointer `" + pointer + "` does not start with \"/\".");
    if (pointer.matches(".*~([^01].*)?")) {
      throw ApiError.badRequest("Pointer `" + pointer + "` contains \"~\" not part of a recognized escape sequence.");
    }
    if (pointer.length() < 2 || pointer.indexOf('/', 1) > 0) {
      throw ApiError.badRequest("Invalid JSON pointer for this resource: '" + pointer + "'");
    }
    return pointer.substring(1).replace("~1", "/").replace("~0", "~").strip();
  }

  /**
   * The metadata of a document that passed its schema (image-create.json, or Glance's image
   * schema for a patched one): what is left to check is what those schemas do not say.
   */
  private static ImageMetadata metadataOf(ObjectNode doc) {
    String name = orEmpty(doc.get("name"));
    if (Fields.hasControlCharacters(name)) throw ApiError.badRequest("Invalid value for 'name': it has control characters");
    int minDisk = count(doc, "min_disk");
    int minRam = count(doc, "min_ram");
    // a set: de-duplicating in a list cost a request thread quadratic time on a large body
    java.util.Set<String> tags = new java.util.LinkedHashSet<>();
    doc.get("tags").forEach(t -> tags.add(t.asText()));
    if (tags.size() > MAX_TAGS) throw tooManyTags();
    Map<String, String> properties = new LinkedHashMap<>();
    doc.fields().forEachRemaining(e -> {
      if (BASE.contains(e.getKey()) || READ_ONLY.contains(e.getKey())) return;
      if (RESERVED.contains(e.getKey())) throw new ApiError(403, "Attribute '" + e.getKey() + "' is reserved.");
      if (e.getKey().isEmpty() || e.getKey().length() > 255) {
        throw ApiError.badRequest("Custom property should not be greater than 255 characters.");
      }
      if (e.getValue().asText().length() > 65535) throw ApiError.badRequest("Property '" + e.getKey() + "' is too long");
      properties.put(e.getKey(), e.getValue().asText());
    });
    if (properties.size() > 128) throw new ApiError(413, "Maximum number of properties exceeded (128)");
    return new ImageMetadata(name, orEmpty(doc.get("disk_format")), orEmpty(doc.get("container_format")),
        doc.get("visibility").asText(), doc.get("protected").asBoolean(), minDisk, minRam, properties,
        List.copyOf(tags));
  }

  private static String orEmpty(JsonNode text) {
    return text == null || text.isNull() ? "" : text.asText();
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
