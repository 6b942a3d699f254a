package nimbus.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reading read-side tables whose rows keep the whole resource as JSON in their first column
 * ({@code row_json}) and a {@code created_at} that pages are ordered by. Blocking JDBC.
 */
public final class ReadSideRows {
  private ReadSideRows() {}

  /** The rows {@code sql} selects with {@code args}, each read from its JSON as a {@code type}. */
  public static <T> List<T> select(Connection c, CharSequence sql, List<Object> args, Class<T> type) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
      List<T> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(ReadSideJson.MAPPER.readValue(rs.getString(1), type));
      }
      return out;
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable " + type.getSimpleName() + " row: " + e.getOriginalMessage(), e);
    }
  }

  /** The row {@code id} of {@code table}, read from its JSON as a {@code type}. */
  public static <T> Optional<T> byId(Connection c, String table, String id, Class<T> type) throws SQLException {
    return select(c, "SELECT row_json FROM " + table + " WHERE id = ?", List.of(id), type).stream().findFirst();
  }

  /** The entity id in a persistence id ({@code Type|id}): the row's id in a read-side table. */
  public static String entityIdOf(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  /**
   * When the row {@code marker} of {@code table} was created: where the page after it begins.
   * A marker naming no row fails with {@link MarkerNotFound}, worded by {@code notFound}.
   * Only rows within {@code scope} (SQL over the table's columns, with {@code scopeArgs}) count,
   * so a caller cannot learn whether ids outside what it may see exist.
   */
  public static Timestamp markerCreatedAt(Connection c, String table, String marker, String scope, List<Object> scopeArgs,
      String notFound) throws SQLException {
    return createdAt(c, table, marker, scope, scopeArgs).orElseThrow(() -> new MarkerNotFound(notFound));
  }

  /** The page marker names no row the list could show; the message is the API's wording. */
  public static final class MarkerNotFound extends SQLException {
    public MarkerNotFound(String message) {
      super(message);
    }
  }

  private static Optional<Timestamp> createdAt(Connection c, String table, String id, String scope,
      List<Object> scopeArgs) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT created_at FROM " + table + " WHERE id = ? AND (" + scope + ")")) {
      st.setString(1, id);
      for (int i = 0; i < scopeArgs.size(); i++) st.setObject(i + 2, scopeArgs.get(i));
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getTimestamp(1)) : Optional.empty();
      }
    }
  }
}
