package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads fields of a request body its {@link RequestSchema} has already checked (so a type is
 * known to be right), and the few checks a schema cannot make: a query's limit, a quota.
 */
final class Fields {
  /** The strings Nova's boolean type takes as true (parameter_types.boolean). */
  private static final Set<String> TRUE = Set.of("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes");

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

  /** A string field (or a number, as an id may be), empty if absent or null. */
  static Optional<String> text(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
  }

  /** An integer or a numeric string (Nova takes both); the schema bounds it to an int. */
  static Optional<Integer> integer(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) return Optional.empty();
    return Optional.of(node.isTextual() ? Integer.parseInt(node.asText()) : node.intValue());
  }

  /** Nova's boolean: true, or one of its strings for true. */
  static boolean isTrue(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    return node != null && (node.isBoolean() ? node.booleanValue() : TRUE.contains(node.asText()));
  }

  /** Nova metadata, checked by the schema; more than 128 items is over Nova's quota (403, not a 400). */
  static Map<String, String> metadata(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null) return Map.of();
    if (node.size() > 128) throw new ApiError(403, "Quota exceeded for metadata items: at most 128");
    Map<String, String> out = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return Map.copyOf(out);
  }

  /** Names are for people: as Nova and Glance, no character a terminal would act on. */
  static boolean hasControlCharacters(String s) {
    return s.codePoints().anyMatch(Character::isISOControl);
  }
}
