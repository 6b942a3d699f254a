package nimbus.compute;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;
import nimbus.network.FixedIp;

/** Server lists from the read side: by project, filtered, newest first, a page at a time. */
public final class ServerListing {

  /**
   * What a list asks for; empty fields do not filter. {@code marker} is the last id seen.
   * {@code changedSince}: servers changed at or after it, deleted ones included (Nova's
   * {@code changes-since}). {@code name}: servers whose name the pattern matches somewhere, as
   * Nova's database REGEXP does. {@code ipv4}, {@code ipv6}: servers with a fixed address of that
   * version that the pattern matches from its start (Nova's {@code ip} and {@code ip6}; given
   * both, either will do). Patterns are matched with bounded work ({@link BoundedPattern}).
   */
  public record Query(Optional<String> projectId, Optional<String> status, Optional<BoundedPattern> name,
      Optional<String> host, Optional<String> image, Optional<String> flavor, boolean includeDeleted, int limit,
      Optional<String> marker, Optional<java.time.Instant> changedSince, Optional<BoundedPattern> ipv4,
      Optional<BoundedPattern> ipv6, TagFilter tags) {

    public Query {
      if (tags == null) tags = TagFilter.NONE;
    }

    /** A query without tag filters. */
    public Query(Optional<String> projectId, Optional<String> status, Optional<BoundedPattern> name,
        Optional<String> host, Optional<String> image, Optional<String> flavor, boolean includeDeleted, int limit,
        Optional<String> marker, Optional<java.time.Instant> changedSince, Optional<BoundedPattern> ipv4,
        Optional<BoundedPattern> ipv6) {
      this(projectId, status, name, host, image, flavor, includeDeleted, limit, marker, changedSince, ipv4, ipv6,
          TagFilter.NONE);
    }

    /**
     * Whether a pattern or tags filter: those are matched here, not in SQL (patterns so that their
     * work is bounded; tags live in the row's state).
     */
    boolean byPattern() {
      return name.isPresent() || ipv4.isPresent() || ipv6.isPresent() || !tags.equals(TagFilter.NONE);
    }

    boolean matchesPatternsOf(ServerView server, BoundedPattern.Budget budget) {
      return tags.matches(server.tags()) && name.map(n -> n.find(server.name(), budget)).orElse(true)
          && (ipv4.isEmpty() && ipv6.isEmpty() || addressMatches(server, budget));
    }

    private boolean addressMatches(ServerView server, BoundedPattern.Budget budget) {
      return server.ports().stream().flatMap(p -> p.fixedIps().stream()).map(FixedIp::ipAddress)
          .anyMatch(a -> (a.contains(":") ? ipv6 : ipv4).filter(p -> p.matchesStart(a, budget)).isPresent());
    }
  }

  /**
   * Nova's tag filters (2.26), each a list of tags: servers with {@code all} of them, with
   * {@code any} of them, without all of {@code notAll} together, and with none of {@code notAny};
   * an empty list does not filter.
   */
  public record TagFilter(List<String> all, List<String> any, List<String> notAll, List<String> notAny) {
    public static final TagFilter NONE = new TagFilter(List.of(), List.of(), List.of(), List.of());

    public boolean matches(List<String> tags) {
      return tags.containsAll(all)
          && (any.isEmpty() || any.stream().anyMatch(tags::contains))
          && (notAll.isEmpty() || !tags.containsAll(notAll))
          && notAny.stream().noneMatch(tags::contains);
    }
  }

  private static final java.time.Duration CATCH_UP_LIMIT = java.time.Duration.ofSeconds(2);
  private final ReadSideDatabase database;

  public ServerListing(ReadSideDatabase database) {
    this.database = database;
  }

  /** Blocking JDBC: call it on a blocking dispatcher. Sees every server change acknowledged before it. */
  public List<ServerView> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ServerListProjection.NAME, ServerEntity.TAG, CATCH_UP_LIMIT);
      Optional<Timestamp> markerCreated = Optional.empty();
      if (q.marker().isPresent()) {
        // only the caller's own servers can be markers: another project's ids stay unknowable
        markerCreated = Optional.of(ReadSideRows.markerCreatedAt(c, "server_list", q.marker().get(),
            q.projectId().isPresent() ? "project_id = ?" : "1 = 1", q.projectId().<List<Object>>map(List::of).orElse(List.of()),
            "marker [" + q.marker().get() + "] not found"));
      }
      StringBuilder sql = new StringBuilder("SELECT row_json FROM server_list WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      q.projectId().ifPresent(p -> { sql.append(" AND project_id = ?"); args.add(p); });
      q.status().ifPresent(s -> { sql.append(" AND status = ?"); args.add(s); });
      q.host().ifPresent(h -> { sql.append(" AND host = ?"); args.add(h); });
      q.image().ifPresent(i -> { sql.append(" AND image_id = ?"); args.add(i); });
      q.flavor().ifPresent(f -> { sql.append(" AND flavor_id = ?"); args.add(f); });
      q.changedSince().ifPresent(t -> { sql.append(" AND updated_at >= ?"); args.add(Timestamp.from(t)); });
      if (!q.includeDeleted() && q.changedSince().isEmpty()) sql.append(" AND status <> 'DELETED'");
      if (markerCreated.isPresent()) {
        sql.append(" AND (created_at < ? OR (created_at = ? AND id > ?))");
        args.add(markerCreated.get());
        args.add(markerCreated.get());
        args.add(q.marker().get());
      }
      sql.append(" ORDER BY created_at DESC, id ASC");
      // patterns are matched here, as Nova matches addresses after its database query: before the page is cut
      if (!q.byPattern()) sql.append(" LIMIT ").append(q.limit());
      List<ServerRow> rows = ReadSideRows.select(c, sql, args, ServerRow.class);
      BoundedPattern.Budget budget = BoundedPattern.budget();
      return rows.stream().map(ServerRow::view)
          .filter(v -> !q.byPattern() || q.matchesPatternsOf(v, budget)).limit(q.limit()).toList();
    }
  }
}
