package nimbus.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;

/**
 * Image lists from the read side: what a project may see, filtered and sorted as Glance does, by
 * page (a page after a marker continues in the list's order).
 */
public final class ImageListing {

  /** What an image list sorts on: Glance's sort keys, each a column (a missing size is lowest). */
  public enum SortKey {
    NAME("name"), STATUS("status"), CONTAINER_FORMAT("container_format"), DISK_FORMAT("disk_format"),
    SIZE("COALESCE(size, -1)"), ID("id"), CREATED_AT("created_at"), UPDATED_AT("updated_at");

    private final String expression;

    SortKey(String expression) {
      this.expression = expression;
    }

    /** The key Glance names so ({@code disk_format}), if it is one. */
    public static Optional<SortKey> named(String name) {
      return java.util.Arrays.stream(values()).filter(k -> k.apiName().equals(name)).findFirst();
    }

    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One key of a list's order. */
  public record Sort(SortKey key, boolean ascending) {}

  /** The columns a list filters on by value (any of the values given). */
  public static final Set<String> FILTER_COLUMNS = Set.of("id", "name", "status", "owner", "disk_format",
      "container_format");

  /** Glance's member_status values: which answer of the viewer's lists a shared image ("all": any). */
  public static final Set<String> MEMBER_STATUSES = Set.of("pending", "accepted", "rejected", "all");

  /**
   * What a list asks for; empty fields do not filter. {@code viewer} empty means an admin (who
   * sees every image). {@code visibility} "all" lists community images with the rest, which are
   * otherwise listed only when asked for. {@code equal} maps columns of {@link #FILTER_COLUMNS}
   * to the values they may have; {@code tags} must all be the image's, and so must each of
   * {@code properties} (a custom property's name and value). The order is
   * {@code sort}, then newest first.
   */
  public record Query(Optional<String> viewer, Optional<String> visibility, Map<String, List<String>> equal,
      Optional<Long> size, Optional<Long> sizeMin, Optional<Long> sizeMax, List<String> tags, String memberStatus,
      List<Sort> sort, int limit, Optional<String> marker, Map<String, String> properties) {

    public Query {
      equal = Map.copyOf(equal);
      properties = Map.copyOf(properties);
      if (!FILTER_COLUMNS.containsAll(equal.keySet())) throw new IllegalArgumentException("no such filter: " + equal);
      if (!MEMBER_STATUSES.contains(memberStatus)) throw new IllegalArgumentException("member status " + memberStatus);
      tags = List.copyOf(tags);
      sort = List.copyOf(sort);
    }

    /** A list with the default filters and order. */
    public static Query of(Optional<String> viewer, int limit) {
      return new Query(viewer, Optional.empty(), Map.of(), Optional.empty(), Optional.empty(), Optional.empty(),
          List.of(), "accepted", List.of(), limit, Optional.empty(), Map.of());
    }
  }

  private static final java.time.Duration CATCH_UP_LIMIT = java.time.Duration.ofSeconds(2);
  private final ReadSideDatabase database;

  public ImageListing(ReadSideDatabase database) {
    this.database = database;
  }

  /** The SHA-512 of every image's file (images not deleted). Blocking JDBC. */
  public Set<String> storedFiles() throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      return ReadSideRows.select(c, "SELECT row_json FROM image_list", List.of(), Image.class).stream()
          .flatMap(i -> i.file().stream()).map(StoredFile::sha512).collect(java.util.stream.Collectors.toSet());
    }
  }

  /**
   * The images {@code owner} has, in any status; with {@code caughtUp}, after the read side has
   * every change acknowledged before (else as it is now). Blocking JDBC.
   */
  public List<Image> owned(String owner, boolean caughtUp) throws SQLException {
    try (Connection c = database.connection()) {
      if (caughtUp) ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      return ReadSideRows.select(c, "SELECT row_json FROM image_list WHERE owner = ?", List.of(owner), Image.class);
    }
  }

  /** Blocking JDBC: call it on a blocking dispatcher. Sees every image change acknowledged before it. */
  public List<Image> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      Sql visible = visible(q);
      Sql where = new Sql(new StringBuilder("(" + visible.text + ")"), new ArrayList<>(visible.args));
      filters(q, where);
      List<Sort> order = order(q.sort());
      if (q.marker().isPresent()) after(c, q.marker().get(), visible, order, where);
      where.text.append(" ORDER BY ").append(String.join(", ", order.stream()
          .map(s -> s.key().expression + (s.ascending() ? " ASC" : " DESC")).toList()));
      where.text.append(" LIMIT ").append(q.limit());
      return ReadSideRows.select(c, "SELECT row_json FROM image_list WHERE " + where.text, where.args, Image.class);
    }
  }

  /** SQL over image_list's columns and its arguments. */
  private record Sql(StringBuilder text, List<Object> args) {
    Sql and(String condition, Object... values) {
      text.append(" AND ").append(condition);
      args.addAll(List.of(values));
      return this;
    }
  }

  /** What the viewer may see; a marker outside it is as unknown as one that does not exist. */
  private static Sql visible(Query q) {
    List<Object> args = new ArrayList<>();
    String visibility = q.visibility().orElse("");
    if (q.viewer().isEmpty()) return new Sql(new StringBuilder("1 = 1"), args);
    if (visibility.equals("community")) return new Sql(new StringBuilder("visibility = 'community'"), args);
    // Glance's default list: public images, its own, and shared ones it answered as asked (accepted)
    String answered = q.memberStatus().equals("all") ? "" : " AND status = ?";
    String text = "visibility = 'public' OR owner = ? OR (visibility = 'shared' AND id IN"
        + " (SELECT image_id FROM image_members WHERE project_id = ?" + answered + "))";
    args.add(q.viewer().get());
    args.add(q.viewer().get());
    if (!answered.isEmpty()) args.add(q.memberStatus());
    if (visibility.equals("all")) text = "visibility = 'community' OR " + text;
    return new Sql(new StringBuilder(text), args);
  }

  private static void filters(Query q, Sql where) {
    q.visibility().filter(v -> !v.equals("all")).ifPresent(v -> where.and("visibility = ?", v));
    // sorted: the same query text for the same filters
    new java.util.TreeMap<>(q.equal()).forEach((column, values) -> where.and(column + " IN ("
        + String.join(", ", java.util.Collections.nCopies(values.size(), "?")) + ")", values.toArray()));
    q.size().ifPresent(v -> where.and("size = ?", v));
    q.sizeMin().ifPresent(v -> where.and("size >= ?", v));
    q.sizeMax().ifPresent(v -> where.and("size <= ?", v));
    for (String tag : q.tags()) where.and("id IN (SELECT image_id FROM image_tags WHERE tag = ?)", tag);
    new java.util.TreeMap<>(q.properties()).forEach((name, value) -> where.and(
        "id IN (SELECT image_id FROM image_properties WHERE name = ? AND prop_value = ?)", name, value));
  }

  /** The asked order, then Glance's tie-breakers (newest first, then by id): a total order, for pages. */
  private static List<Sort> order(List<Sort> asked) {
    List<Sort> order = new ArrayList<>(asked);
    for (SortKey key : List.of(SortKey.CREATED_AT, SortKey.ID)) {
      if (order.stream().noneMatch(s -> s.key() == key)) order.add(new Sort(key, false));
    }
    return order;
  }

  /** Only rows after the marker's in {@code order}: (k1 after v1) or (k1 = v1 and k2 after v2) or ... */
  private static void after(Connection c, String marker, Sql visible, List<Sort> order, Sql where) throws SQLException {
    List<Object> values = markerValues(c, marker, visible, order);
    List<String> alternatives = new ArrayList<>();
    List<Object> args = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      StringBuilder alternative = new StringBuilder("(");
      for (int j = 0; j < i; j++) {
        alternative.append(order.get(j).key().expression).append(" = ? AND ");
        args.add(values.get(j));
      }
      Sort s = order.get(i);
      alternative.append(s.key().expression).append(s.ascending() ? " > ?)" : " < ?)");
      args.add(values.get(i));
      alternatives.add(alternative.toString());
    }
    where.and("(" + String.join(" OR ", alternatives) + ")", args.toArray());
  }

  private static List<Object> markerValues(Connection c, String marker, Sql visible, List<Sort> order)
      throws SQLException {
    String columns = String.join(", ", order.stream().map(s -> s.key().expression).toList());
    try (PreparedStatement st = c.prepareStatement(
        "SELECT " + columns + " FROM image_list WHERE id = ? AND (" + visible.text + ")")) {
      st.setString(1, marker);
      for (int i = 0; i < visible.args.size(); i++) st.setObject(i + 2, visible.args.get(i));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) throw new ReadSideRows.MarkerNotFound("marker " + marker + " could not be found.");
        List<Object> values = new ArrayList<>();
        for (int i = 1; i <= order.size(); i++) values.add(rs.getObject(i));
        return values;
      }
    }
  }
}
