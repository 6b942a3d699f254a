package nimbus.edge;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import nimbus.compute.FlavorCatalogEntity.Catalog;
import nimbus.compute.FlavorCatalogEntity.Entry;

/**
 * Nova's flavor list query: {@code minRam}, {@code minDisk}, {@code is_public} (admins only),
 * {@code sort_key}/{@code sort_dir} (by flavorid, ascending, unless asked), and a page of
 * {@code limit} after {@code marker} (a flavor id; one no flavor has is a 400, as Nova's).
 */
record FlavorQuery(Predicate<Entry> filter, Comparator<Entry> order, int limit, Optional<String> marker) {
  private static final int MAX_LIMIT = 1000; // Nova's api.max_limit
  /** oslo's strict bool_from_string. */
  private static final java.util.Set<String> TRUE = java.util.Set.of("1", "t", "true", "on", "y", "yes");
  private static final java.util.Set<String> FALSE = java.util.Set.of("0", "f", "false", "off", "n", "no");
  private static final Map<String, Comparator<Entry>> SORT_KEYS = Map.of(
      "flavorid", Comparator.comparing((Entry e) -> e.flavor().id()),
      "id", Comparator.comparing((Entry e) -> e.flavor().id()),
      "name", Comparator.comparing((Entry e) -> e.flavor().name()),
      "memory_mb", Comparator.comparingInt((Entry e) -> e.flavor().ramMb()),
      "root_gb", Comparator.comparingInt((Entry e) -> e.flavor().diskGb()),
      "vcpus", Comparator.comparingInt((Entry e) -> e.flavor().vcpus()));

  /**
   * The query of a request's parameters. An admin sees what {@code is_public} asks (by default
   * the public flavors and those of the admin's project, as Nova; "none" for all); others always
   * the public ones and those their project may use.
   */
  static FlavorQuery of(Map<String, String> q, String projectId, boolean admin) {
    Predicate<Entry> visible = e -> e.usableBy(projectId);
    if (admin && q.containsKey("is_public")) {
      String asked = q.get("is_public");
      if (asked.equalsIgnoreCase("none")) {
        visible = e -> true;
      } else if (TRUE.contains(asked.trim().toLowerCase())) {
        visible = e -> e.usableBy(projectId);
      } else if (FALSE.contains(asked.trim().toLowerCase())) {
        visible = e -> !e.isPublic();
      } else {
        throw ApiError.badRequest("Invalid is_public filter [" + asked + "]");
      }
    }
    int minRam = minimum(q, "minRam");
    int minDisk = minimum(q, "minDisk");
    Predicate<Entry> filter = visible.and(e -> e.flavor().ramMb() >= minRam && e.flavor().diskGb() >= minDisk);
    Comparator<Entry> order = SORT_KEYS.get(Optional.ofNullable(q.get("sort_key")).filter(k -> !k.isEmpty())
        .orElse("flavorid"));
    if (order == null) throw ApiError.badRequest("Invalid sort_key [" + q.get("sort_key") + "]");
    String dir = Optional.ofNullable(q.get("sort_dir")).filter(d -> !d.isEmpty()).orElse("asc");
    if (!dir.equals("asc") && !dir.equals("desc")) throw ApiError.badRequest("Invalid sort_dir [" + dir + "]");
    // Nova's secondary key (its row id) keeps equal keys in creation order; the flavor id stands in
    order = order.thenComparing(e -> e.flavor().id());
    return new FlavorQuery(filter, dir.equals("desc") ? order.reversed() : order,
        Fields.limit(q, MAX_LIMIT, MAX_LIMIT), Optional.ofNullable(q.get("marker")));
  }

  private static int minimum(Map<String, String> q, String name) {
    String given = q.get(name);
    if (given == null) return Integer.MIN_VALUE;
    try {
      return Integer.parseInt(given.trim());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Invalid " + name + " filter [" + given + "]");
    }
  }

  /** The page: the flavors that pass, in order, after the marker (looked up among all flavors, as Nova). */
  List<Entry> run(Catalog catalog) {
    Optional<Entry> after = marker.map(id -> Optional.ofNullable(catalog.byId().get(id))
        .orElseThrow(() -> ApiError.badRequest("marker [" + id + "] not found")));
    return catalog.byId().values().stream().filter(filter)
        .filter(e -> after.isEmpty() || order.compare(e, after.get()) > 0)
        .sorted(order).limit(limit).toList();
  }
}
