package nimbus.compute;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;
import nimbus.network.FixedIp;

/** Server lists from the read side: by project, filtered, newest first, a page at a time. */
public final class ServerListing {

  /**
   * What a list asks for; empty fields do not filter. {@code marker} is the last id seen.
   * {@code changedSince}: servers changed at or after it, deleted ones included (Nova's
   * {@code changes-since}). {@code ipv4}, {@code ipv6}: servers with a fixed address of that
   * version that the pattern matches from its start (Nova's {@code ip} and {@code ip6}; given
   * both, either will do).
   */
  public record Query(Optional<String> projectId, Optional<String> status, Optional<String> name,
      Optional<String> host, Optional<String> image, Optional<String> flavor, boolean includeDeleted, int limit,
      Optional<String> marker, Optional<java.time.Instant> changedSince, Optional<Pattern> ipv4,
      Optional<Pattern> ipv6) {

    boolean byAddress() {
      return ipv4.isPresent() || ipv6.isPresent();
    }

    boolean matchesAddressOf(ServerView server) {
      return server.ports().stream().flatMap(p -> p.fixedIps().stream()).map(FixedIp::ipAddress)
          .anyMatch(a -> (a.contains(":") ? ipv6 : ipv4).filter(p -> p.matcher(a).lookingAt()).isPresent());
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
      // a regular expression, as in Nova; REGEXP_LIKE is H2's and PostgreSQL's (15+) alike
      q.name().ifPresent(n -> { sql.append(" AND REGEXP_LIKE(name, ?)"); args.add(n); });
      q.changedSince().ifPresent(t -> { sql.append(" AND updated_at >= ?"); args.add(Timestamp.from(t)); });
      if (!q.includeDeleted() && q.changedSince().isEmpty()) sql.append(" AND status <> 'DELETED'");
      if (markerCreated.isPresent()) {
        sql.append(" AND (created_at < ? OR (created_at = ? AND id > ?))");
        args.add(markerCreated.get());
        args.add(markerCreated.get());
        args.add(q.marker().get());
      }
      sql.append(" ORDER BY created_at DESC, id ASC");
      // addresses are matched here, as Nova matches them after its database query: before the page is cut
      if (!q.byAddress()) sql.append(" LIMIT ").append(q.limit());
      return ReadSideRows.select(c, sql, args, ServerRow.class).stream().map(ServerRow::view)
          .filter(v -> !q.byAddress() || q.matchesAddressOf(v)).limit(q.limit()).toList();
    }
  }
}
