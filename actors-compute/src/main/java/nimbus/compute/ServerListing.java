package nimbus.compute;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideProjection;

/** Server lists from the read side: by project, filtered, newest first, a page at a time. */
public final class ServerListing {

  /** What a list asks for; empty fields do not filter. {@code marker} is the last id seen. */
  public record Query(Optional<String> projectId, Optional<String> status, Optional<String> name,
      Optional<String> host, boolean includeDeleted, int limit, Optional<String> marker) {}

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
        markerCreated = createdAt(c, q.marker().get());
        if (markerCreated.isEmpty()) throw new MarkerNotFound(q.marker().get());
      }
      StringBuilder sql = new StringBuilder("SELECT row_json FROM server_list WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      q.projectId().ifPresent(p -> { sql.append(" AND project_id = ?"); args.add(p); });
      q.status().ifPresent(s -> { sql.append(" AND status = ?"); args.add(s); });
      q.host().ifPresent(h -> { sql.append(" AND host = ?"); args.add(h); });
      q.name().ifPresent(n -> { sql.append(" AND name LIKE ?"); args.add("%" + n + "%"); });
      if (!q.includeDeleted()) sql.append(" AND status <> 'DELETED'");
      if (markerCreated.isPresent()) {
        sql.append(" AND (created_at < ? OR (created_at = ? AND id > ?))");
        args.add(markerCreated.get());
        args.add(markerCreated.get());
        args.add(q.marker().get());
      }
      sql.append(" ORDER BY created_at DESC, id ASC LIMIT ").append(q.limit());
      try (PreparedStatement st = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
        List<ServerView> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) out.add(ReadSideJson.MAPPER.readValue(rs.getString(1), ServerRow.class).view());
        }
        return out;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new SQLException("unreadable server row: " + e.getOriginalMessage(), e);
      }
    }
  }

  private static Optional<Timestamp> createdAt(Connection c, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT created_at FROM server_list WHERE id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getTimestamp(1)) : Optional.empty();
      }
    }
  }

  /** The page marker names no server this list could show. */
  public static final class MarkerNotFound extends SQLException {
    public MarkerNotFound(String marker) {
      super("marker [" + marker + "] not found");
    }
  }
}
