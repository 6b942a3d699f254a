package nimbus.edge;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Cinder's list sorting and paging over the rows a list found (a project's, or all for an admin):
 * {@code sort=key[:dir],...} or the older {@code sort_key}/{@code sort_dir}, then {@code marker}
 * (the last row of the page before, in this order), {@code offset} and {@code limit}; a full page
 * gets a {@code next} link carrying the same query with its last row as marker. Bad keys,
 * directions and offsets are Cinder's 400s.
 */
final class CinderPaging<T> {
  /** At most this many rows are sorted for one list (Cinder's own lists are bounded by osapi_max_limit per page). */
  static final int MAX_ROWS = 100_000;
  private static final int MAX_LIMIT = 1000;

  private final Map<String, Function<T, Comparable<?>>> keys;
  private final Function<T, String> id;

  /** {@code keys}: the sort keys a client may name, each with the value it sorts by ({@code id} is added). */
  CinderPaging(Map<String, Function<T, Comparable<?>>> keys, Function<T, String> id) {
    this.keys = new LinkedHashMap<>(keys);
    this.keys.put("id", id::apply);
    this.id = id;
  }

  /** One page, and its links (a {@code next} link when the page is full). */
  record Page<T>(List<T> rows, List<Map<String, String>> links) {
    /** Cinder's list answer: the rows as {@code name}, each through {@code view}, and {@code name_links} if any. */
    HttpResponse answer(String name, Function<T, Object> view) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put(name, rows.stream().map(view).toList());
      if (!links.isEmpty()) body.put(name + "_links", links);
      return Json.response(200, body);
    }
  }

  /** The page of {@code rows} the query asks for; {@code collection} is the list's URL, without query. */
  Page<T> page(List<T> rows, Map<String, String> q, String collection) {
    Comparator<T> order = order(q);
    int limit = Fields.limit(q, MAX_LIMIT, MAX_LIMIT);
    int offset = offset(q.get("offset"));
    List<T> sorted = rows.stream().sorted(order).toList();
    int start = 0;
    String marker = q.get("marker");
    if (marker != null) {
      start = -1;
      for (int i = 0; i < sorted.size() && start < 0; i++) {
        if (id.apply(sorted.get(i)).equals(marker)) start = i + 1;
      }
      // Cinder's MarkerNotFound is a 404
      if (start < 0) throw ApiError.notFound("Marker " + marker + " could not be found.");
    }
    int from = (int) Math.min(sorted.size(), (long) start + offset);
    List<T> page = sorted.subList(from, Math.min(sorted.size(), from + limit));
    List<Map<String, String>> links = new ArrayList<>();
    if (!page.isEmpty() && page.size() == limit) {
      Map<String, String> next = new LinkedHashMap<>(q);
      next.put("marker", id.apply(page.get(page.size() - 1)));
      next.remove("offset");
      links.add(Map.of("rel", "next", "href", collection + "?" + next.entrySet().stream()
          .map(e -> encode(e.getKey()) + "=" + encode(e.getValue())).collect(Collectors.joining("&"))));
    }
    return new Page<>(page, links);
  }

  /** The order asked for (Cinder's default: newest first), ties broken by id. */
  Comparator<T> order(Map<String, String> q) {
    if (q.containsKey("sort") && (q.containsKey("sort_key") || q.containsKey("sort_dir"))) {
      throw ApiError.badRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the"
          + " 'sort' parameter.");
    }
    List<String[]> asked = new ArrayList<>();
    if (q.containsKey("sort")) {
      for (String part : q.get("sort").strip().split(",", -1)) {
        int colon = part.indexOf(':');
        String dir = colon < 0 ? "" : part.substring(colon + 1).strip();
        asked.add(new String[] {(colon < 0 ? part : part.substring(0, colon)).strip(), dir.isEmpty() ? "desc" : dir});
      }
    } else {
      asked.add(new String[] {q.getOrDefault("sort_key", "created_at").strip(), q.getOrDefault("sort_dir", "desc").strip()});
    }
    Comparator<T> order = null;
    for (String[] kd : asked) {
      if (!kd[1].equals("asc") && !kd[1].equals("desc")) {
        throw ApiError.badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
      }
      Function<T, Comparable<?>> key = keys.get(kd[0]);
      if (key == null) throw ApiError.badRequest("Invalid input received: Invalid sort key");
      Comparator<T> one = Comparator.comparing(row -> comparable(key.apply(row)),
          Comparator.nullsFirst(Comparator.<Comparable<Object>>naturalOrder()));
      if (kd[1].equals("desc")) one = one.reversed();
      order = order == null ? one : order.thenComparing(one);
    }
    boolean lastDesc = asked.get(asked.size() - 1)[1].equals("desc");
    Comparator<T> byId = Comparator.comparing(id);
    return order.thenComparing(lastDesc ? byId.reversed() : byId);
  }

  @SuppressWarnings("unchecked")
  private static Comparable<Object> comparable(Comparable<?> value) {
    return (Comparable<Object>) value;
  }

  /** Cinder's offset: an integer of 0 or more. */
  static int offset(String given) {
    if (given == null) return 0;
    long value;
    try {
      value = Long.parseLong(given.strip());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Invalid input received: offset must be an integer.");
    }
    if (value < 0) throw ApiError.badRequest("Invalid input received: offset must be >= 0.");
    if (value > Integer.MAX_VALUE) {
      throw ApiError.badRequest("Invalid input received: offset must be <= " + Integer.MAX_VALUE + ".");
    }
    return (int) value;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
