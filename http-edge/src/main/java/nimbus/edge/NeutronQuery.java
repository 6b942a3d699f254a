package nimbus.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import nimbus.network.NetworkListing;

/**
 * A Neutron list's query string, checked and converted as Neutron's api_common does: filters (any
 * attribute marked for filtering; a repeated key is any of its values), {@code fields}, sorting
 * ({@code sort_key}/{@code sort_dir} in pairs) and paging ({@code limit}, {@code marker},
 * {@code page_reverse}), with the {@code <collection>_links} a paged answer carries.
 */
record NeutronQuery(Map<String, List<Object>> filters, Map<String, List<String>> special, List<String> fields,
    List<NetworkListing.Sort> sort, int limit, Optional<String> marker, boolean reverse,
    List<Map.Entry<String, String>> params) {

  private static final Set<String> SKIPPED = Set.of("fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse");
  /** Tag filters (standard-attr-tag), comma-separated lists, for every resource. */
  static final Set<String> TAG_FILTERS = Set.of("tags", "tags-any", "not-tags", "not-tags-any");

  /**
   * Parses {@code params} (in order, repeated keys kept) for {@code attrs}; {@code specialKeys} are
   * filters the caller evaluates itself (a port's {@code fixed_ips}), as are the tag filters.
   */
  static NeutronQuery parse(List<Map.Entry<String, String>> params, NeutronAttributes attrs, Set<String> specialKeys) {
    Map<String, List<String>> all = new LinkedHashMap<>();
    for (var p : params) all.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(p.getValue());
    Map<String, List<Object>> filters = new LinkedHashMap<>();
    Map<String, List<String>> special = new LinkedHashMap<>();
    List<String> invalid = new ArrayList<>();
    for (var e : all.entrySet()) {
      String key = e.getKey();
      if (SKIPPED.contains(key)) continue;
      // empty values filter nothing (Nimbus does not advertise empty-string-filtering)
      List<String> values = e.getValue().stream().filter(v -> !v.isEmpty()).toList();
      if (specialKeys.contains(key) || TAG_FILTERS.contains(key)) {
        if (!values.isEmpty()) special.put(key, values);
        continue;
      }
      Optional<NeutronAttributes.Attribute> a = attrs.attribute(key).filter(NeutronAttributes.Attribute::filter);
      if (a.isEmpty()) {
        invalid.add(key);
        continue;
      }
      if (values.isEmpty()) continue;
      List<Object> converted = new ArrayList<>();
      for (String v : values) converted.add(convert(a.get().kind(), v));
      filters.put(key, converted);
    }
    if (!invalid.isEmpty()) throw NeutronErrors.badRequest(pythonList(invalid) + " is invalid attribute for filtering");
    List<String> fields = all.getOrDefault("fields", List.of()).stream().filter(f -> !f.isEmpty()).toList();
    return new NeutronQuery(filters, special, fields, sorts(all, attrs), limit(all), marker(all), reverse(all),
        List.copyOf(params));
  }

  private static Object convert(NeutronAttributes.Kind kind, String value) {
    return switch (kind) {
      case BOOLEAN -> {
        String v = value.toLowerCase();
        if (v.equals("true") || v.equals("1")) yield Boolean.TRUE;
        if (v.equals("false") || v.equals("0")) yield Boolean.FALSE;
        throw NeutronErrors.invalidInput("'" + value + "' cannot be converted to boolean");
      }
      case INTEGER -> {
        try {
          yield Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
          throw NeutronErrors.invalidInput("'" + value + "' is not an integer");
        }
      }
      default -> value;
    };
  }

  private static List<NetworkListing.Sort> sorts(Map<String, List<String>> all, NeutronAttributes attrs) {
    List<String> keys = all.getOrDefault("sort_key", List.of()).stream().filter(k -> !k.isEmpty()).toList();
    List<String> dirs = all.getOrDefault("sort_dir", List.of()).stream().filter(k -> !k.isEmpty()).toList();
    if (keys.size() != dirs.size()) throw NeutronErrors.badRequest("The number of sort_keys and sort_dirs must be same");
    List<String> absent = keys.stream()
        .filter(k -> attrs.attribute(k).map(a -> !a.sort()).orElse(true)).toList();
    if (!absent.isEmpty()) throw NeutronErrors.badRequest(pythonList(absent) + " is invalid attribute for sort_keys");
    List<String> badDirs = dirs.stream().filter(d -> !d.equals("asc") && !d.equals("desc")).toList();
    if (!badDirs.isEmpty()) {
      throw NeutronErrors.badRequest(pythonList(badDirs) + " is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
    }
    List<NetworkListing.Sort> sorts = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      // project_id and tenant_id are one attribute
      String key = keys.get(i).equals("tenant_id") ? "project_id" : keys.get(i);
      sorts.add(new NetworkListing.Sort(key, dirs.get(i).equals("asc")));
    }
    return sorts;
  }

  private static int limit(Map<String, List<String>> all) {
    String given = all.getOrDefault("limit", List.of("0")).get(0);
    try {
      int limit = Integer.parseInt(given);
      if (limit >= 0) return limit;
    } catch (NumberFormatException e) {
      // below
    }
    throw NeutronErrors.badRequest("limit", "Limit must be an integer 0 or greater and not '" + given + "'");
  }

  private static Optional<String> marker(Map<String, List<String>> all) {
    return all.getOrDefault("marker", List.of()).stream().filter(m -> !m.isEmpty()).findFirst();
  }

  private static boolean reverse(Map<String, List<String>> all) {
    return all.getOrDefault("page_reverse", List.of("False")).get(0).equalsIgnoreCase("true");
  }

  /** How Python prints a list of strings: {@code ['a', 'b']}. */
  static String pythonList(List<String> items) {
    return "[" + String.join(", ", items.stream().map(i -> "'" + i + "'").toList()) + "]";
  }

  /** The listing's query for {@code viewer} (empty: an admin, who sees all). */
  <T> NetworkListing.Query<T> listing(Optional<String> viewer, NetworkListing.Attributes<T> attributes,
      Optional<Predicate<T>> matches) {
    Map<String, List<Object>> equal = new LinkedHashMap<>(filters);
    // project_id and tenant_id are one attribute: both filter it
    List<Object> tenant = equal.remove("tenant_id");
    if (tenant != null) equal.merge("project_id", tenant, (a, b) -> a.stream().filter(b::contains).toList());
    return new NetworkListing.Query<>(viewer, equal, matches, attributes, sort, limit, marker, reverse);
  }

  /** Neutron's {@code <collection>_links} for a page of {@code items} (none without a limit). */
  List<Map<String, String>> links(String pathUrl, List<ObjectNode> items) {
    List<Map<String, String>> links = new ArrayList<>();
    if (limit == 0) return links;
    if (!(items.size() < limit && !reverse)) {
      links.add(Map.of("rel", "next", "href", link(pathUrl, items.isEmpty() ? null
          : items.get(items.size() - 1).path("id").asText(), false)));
    }
    if (!(items.size() < limit && reverse)) {
      links.add(Map.of("rel", "previous", "href", link(pathUrl, items.isEmpty() ? null
          : items.get(0).path("id").asText(), true)));
    }
    return links;
  }

  /** The request's own parameters with the marker replaced (and page_reverse set or dropped), as Neutron builds them. */
  private String link(String pathUrl, String newMarker, boolean previous) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (var p : params) {
      if (p.getKey().equals("marker") || p.getKey().equals("page_reverse")) continue;
      out.add(p);
    }
    if (newMarker != null) out.add(Map.entry("marker", newMarker));
    if (previous) out.add(Map.entry("page_reverse", "True"));
    return pathUrl + "?" + String.join("&", out.stream()
        .map(p -> encode(p.getKey()) + "=" + encode(p.getValue())).toList());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Only the asked fields of a view (all when none were asked); names it does not have are ignored. */
  ObjectNode fieldsOf(ObjectNode view) {
    if (fields.isEmpty()) return view;
    view.retain(fields);
    return view;
  }
}
