package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads fields of a request body with the checks Nova's JSON schemas make, and Nova's wording
 * for what is wrong ("Invalid input for field/attribute name. ...").
 */
final class Fields {
  private Fields() {}

  /** A list's {@code limit} parameter: {@code otherwise} if absent, at most {@code max}. */
  static int limit(Map<String, String> query, int otherwise, int max) {
    String given = query.get("limit");
    if (given == null) return otherwise;
    int limit;
    try {
      limit = Integer.parseInt(given);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("limit param must be an integer");
    }
    if (limit < 0) throw ApiError.badRequest("limit param must be positive");
    return Math.min(limit, max);
  }

  static JsonNode object(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null) throw ApiError.badRequest("Invalid input: '" + field + "' is a required property");
    if (!node.isObject()) throw wrongType(field, node, "object");
    return node;
  }

  static void onlyKnown(JsonNode object, String where, Set<String> known) {
    object.fieldNames().forEachRemaining(name -> {
      if (!known.contains(name)) {
        throw ApiError.badRequest("Invalid input for field/attribute " + where
            + ". Additional properties are not allowed ('" + name + "' was unexpected)");
      }
    });
  }

  static String requiredString(JsonNode parent, String field, int maxLength) {
    return optionalString(parent, field, maxLength)
        .orElseThrow(() -> ApiError.badRequest("Invalid input: '" + field + "' is a required property"));
  }

  static Optional<String> optionalString(JsonNode parent, String field, int maxLength) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) return Optional.empty();
    if (!node.isTextual()) throw wrongType(field, node, "string");
    String value = node.asText();
    if (value.isEmpty()) throw invalid(field, node, "'' is too short");
    if (value.length() > maxLength) throw invalid(field, node, "is too long (at most " + maxLength + " characters)");
    return Optional.of(value);
  }

  /** A Nova name: 1 to 255 characters, no leading or trailing white space. */
  static String name(JsonNode parent, String field) {
    String name = requiredString(parent, field, 255);
    if (!name.strip().equals(name)) {
      throw invalid(field, parent.get(field), "has leading or trailing white space");
    }
    if (hasControlCharacters(name)) throw invalid(field, parent.get(field), "has control characters");
    return name;
  }

  /** Names are for people: as Nova and Glance, no character a terminal would act on. */
  static boolean hasControlCharacters(String s) {
    return s.codePoints().anyMatch(Character::isISOControl);
  }

  /** A string or an integer (as flavorRef may be). */
  static String reference(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) throw ApiError.badRequest("Invalid input: '" + field + "' is a required property");
    if (node.isIntegralNumber()) return node.asText();
    if (!node.isTextual()) throw wrongType(field, node, "string, integer");
    if (node.asText().isEmpty() || node.asText().length() > 255) throw invalid(field, node, "is not a valid reference");
    return node.asText();
  }

  /** Nova metadata: at most 128 string keys (1-255) to string values (0-255). */
  static Map<String, String> metadata(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null) return Map.of();
    if (!node.isObject()) throw wrongType(field, node, "object");
    if (node.size() > 128) throw new ApiError(403, "Quota exceeded for metadata items: at most 128");
    Map<String, String> out = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> {
      if (e.getKey().isEmpty() || e.getKey().length() > 255) {
        throw invalid(field, node, "has a key that is not 1 to 255 characters");
      }
      if (!e.getValue().isTextual()) throw wrongType(field + "." + e.getKey(), e.getValue(), "string");
      if (e.getValue().asText().length() > 255) throw invalid(field + "." + e.getKey(), e.getValue(), "is too long");
      out.put(e.getKey(), e.getValue().asText());
    });
    return Map.copyOf(out);
  }

  /** An integral JSON number as an int; one beyond int's range is refused (asInt() reads 2^32 + 1 as 1). */
  static int intValue(String field, JsonNode n) {
    if (!n.canConvertToInt()) throw invalid(field, n, "is out of range");
    return n.asInt();
  }

  static ApiError wrongType(String field, JsonNode value, String type) {
    return invalid(field, value, value + " is not of type '" + type + "'");
  }

  static ApiError invalid(String field, JsonNode value, String why) {
    return ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + value + ". " + why);
  }
}
