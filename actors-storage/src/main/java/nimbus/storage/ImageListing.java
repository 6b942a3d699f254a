package nimbus.storage;

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

/** Image lists from the read side: what a project may see, filtered, newest first, by page. */
public final class ImageListing {

  /**
   * What a list asks for; empty fields do not filter. {@code viewer} empty means an admin (who
   * sees every image). Community images are listed only when asked for by visibility.
   */
  public record Query(Optional<String> viewer, Optional<String> name, Optional<String> status,
      Optional<String> visibility, Optional<String> owner, int limit, Optional<String> marker) {}

  /** The page marker names no image this list could show. */
  public static final class MarkerNotFound extends SQLException {
    public MarkerNotFound(String marker) {
      super("marker " + marker + " could not be found.");
    }
  }

  private static final java.time.Duration CATCH_UP_LIMIT = java.time.Duration.ofSeconds(2);
  private final ReadSideDatabase database;

  public ImageListing(ReadSideDatabase database) {
    this.database = database;
  }

  /** Blocking JDBC: call it on a blocking dispatcher. Sees every image change acknowledged before it. */
  public List<Image> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      StringBuilder sql = new StringBuilder("SELECT row_json FROM image_list WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      if (q.viewer().isPresent()) {
        if (q.visibility().filter("community"::equals).isPresent()) {
          sql.append(" AND visibility = 'community'");
        } else {
          sql.append(" AND (visibility = 'public' OR owner = ?)");
          args.add(q.viewer().get());
        }
      }
      q.visibility().ifPresent(v -> { sql.append(" AND visibility = ?"); args.add(v); });
      q.name().ifPresent(n -> { sql.append(" AND name = ?"); args.add(n); });
      q.status().ifPresent(s -> { sql.append(" AND status = ?"); args.add(s); });
      q.owner().ifPresent(o -> { sql.append(" AND owner = ?"); args.add(o); });
      if (q.marker().isPresent()) {
        Timestamp created = createdAt(c, q.marker().get()).orElseThrow(() -> new MarkerNotFound(q.marker().get()));
        sql.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
        args.add(created);
        args.add(created);
        args.add(q.marker().get());
      }
      sql.append(" ORDER BY created_at DESC, id DESC LIMIT ").append(q.limit());
      try (PreparedStatement st = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
        List<Image> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) out.add(ReadSideJson.MAPPER.readValue(rs.getString(1), Image.class));
        }
        return out;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new SQLException("unreadable image row: " + e.getOriginalMessage(), e);
      }
    }
  }

  private static Optional<Timestamp> createdAt(Connection c, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT created_at FROM image_list WHERE id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getTimestamp(1)) : Optional.empty();
      }
    }
  }
}
