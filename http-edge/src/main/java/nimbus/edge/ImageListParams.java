package nimbus.edge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.storage.ImageListing;

/**
 * A Glance image list's query parameters as a read-side query, worded and checked as Glance's
 * request deserializer does (glance/api/v2/images.py): filters by value (a value {@code in:a,b}
 * is any of them), by size, by tags (each {@code tag} given), by custom properties (any other
 * parameter, as Glance's), {@code member_status}, and the
 * order in either of Glance's syntaxes ({@code sort=name:asc,size} or repeated
 * {@code sort_key}/{@code sort_dir}).
 */
final class ImageListParams {
  private static final int DEFAULT_LIMIT = 25;
  private static final int MAX_LIMIT = 1000;
  private static final Set<String> VISIBILITIES = Set.of("community", "public", "private", "shared", "all");
  /** Parameters that are not custom properties: Glance filters on any other as one. */
  private static final Set<String> NOT_PROPERTIES = Set.of("limit", "marker", "sort", "sort_key", "sort_dir",
      "member_status", "tag", "size_min", "size_max", "changes-since");

  private ImageListParams() {}

  /** The query of a list by {@code viewer} (empty: an admin, who sees all). */
  static ImageListing.Query parse(Map<String, List<String>> q, Optional<String> viewer) {
    Optional<String> visibility = first(q, "visibility");
    if (visibility.isPresent() && !VISIBILITIES.contains(visibility.get())) {
      throw ApiError.badRequest("Invalid visibility value: " + visibility.get());
    }
    if (q.containsKey("changes-since")) {
      throw ApiError.badRequest("The \"changes-since\" filter is no longer available on v2.");
    }
    String memberStatus = first(q, "member_status").orElse("accepted");
    if (!ImageListing.MEMBER_STATUSES.contains(memberStatus)) {
      throw ApiError.badRequest("Invalid status: " + memberStatus);
    }
    Map<String, List<String>> equal = new LinkedHashMap<>();
    for (String column : ImageListing.FILTER_COLUMNS) first(q, column).ifPresent(v -> equal.put(column, values(v)));
    List<String> tags = q.getOrDefault("tag", List.of()).stream().map(String::strip).toList();
    int limit = Fields.limit(first(q, "limit").map(l -> Map.of("limit", l)).orElse(Map.of()), DEFAULT_LIMIT, MAX_LIMIT);
    Map<String, String> properties = new LinkedHashMap<>();
    q.forEach((name, values) -> {
      if (!NOT_PROPERTIES.contains(name) && !ImageJson.BASE.contains(name) && !ImageJson.READ_ONLY.contains(name)
          && !values.isEmpty()) {
        properties.put(name, values.get(0));
      }
    });
    return new ImageListing.Query(viewer, visibility, equal, number(q, "size"), number(q, "size_min"),
        number(q, "size_max"), tags, memberStatus, sort(q), limit, first(q, "marker"), properties);
  }

  /** Glance's {@code in:} operator takes a comma-separated list; any other value is itself. */
  private static List<String> values(String value) {
    if (!value.startsWith("in:")) return List.of(value);
    return List.of(value.substring(3).split(",", -1)).stream().map(String::strip).toList();
  }

  private static Optional<Long> number(Map<String, List<String>> q, String name) {
    return first(q, name).map(v -> {
      try {
        return Long.parseLong(v.strip());
      } catch (NumberFormatException e) {
        throw ApiError.badRequest(name.equals("size")
            ? "Invalid value for 'size': must be an integer" : "Unable to filter on a range with a non-numeric value.");
      }
    });
  }

  private static List<ImageListing.Sort> sort(Map<String, List<String>> q) {
    List<ImageListing.Sort> order = new ArrayList<>();
    if (q.containsKey("sort")) {
      if (q.containsKey("sort_key") || q.containsKey("sort_dir")) {
        throw ApiError.badRequest("Old and new sorting syntax cannot be combined");
      }
      for (String item : first(q, "sort").orElse("").strip().split(",", -1)) {
        int colon = item.indexOf(':');
        String key = colon < 0 ? item : item.substring(0, colon);
        String dir = colon < 0 || item.substring(colon + 1).isBlank() ? "desc" : item.substring(colon + 1);
        order.add(new ImageListing.Sort(key(key.strip()), ascending(dir.strip())));
      }
      return order;
    }
    List<ImageListing.SortKey> keys = q.getOrDefault("sort_key", List.of()).stream().map(k -> key(k.strip())).toList();
    List<Boolean> dirs = q.getOrDefault("sort_dir", List.of()).stream().map(d -> ascending(d.strip())).toList();
    if (dirs.size() > 1 && dirs.size() != keys.size()) {
      throw ApiError.badRequest("Number of sort dirs does not match the number of sort keys");
    }
    if (keys.isEmpty()) keys = List.of(ImageListing.SortKey.CREATED_AT);
    // one direction is every key's
    for (int i = 0; i < keys.size(); i++) {
      order.add(new ImageListing.Sort(keys.get(i), dirs.isEmpty() ? false : dirs.get(dirs.size() == 1 ? 0 : i)));
    }
    return order;
  }

  private static ImageListing.SortKey key(String name) {
    return ImageListing.SortKey.named(name).orElseThrow(() -> ApiError.badRequest("Invalid sort key: " + name
        + ". It must be one of the following: name, status, container_format, disk_format, size, id, created_at,"
        + " updated_at."));
  }

  private static boolean ascending(String dir) {
    if (!dir.equals("asc") && !dir.equals("desc")) throw ApiError.badRequest("Invalid sort direction: " + dir);
    return dir.equals("asc");
  }

  private static Optional<String> first(Map<String, List<String>> q, String name) {
    List<String> values = q.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }
}
