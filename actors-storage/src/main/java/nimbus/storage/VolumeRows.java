package nimbus.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideRows;

/**
 * The read side's tables of things made from volumes ({@code snapshot_list}, {@code backup_list}):
 * one shape, one way to write a row and one query (by project (empty: every project's), name,
 * status and volume, newest first as Cinder sorts them: created_at, then id, descending).
 */
final class VolumeRows {
  private VolumeRows() {}

  static void createTable(Connection c, String table) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS %s (
            id VARCHAR(36) PRIMARY KEY,
            project_id VARCHAR(64) NOT NULL,
            volume_id VARCHAR(36) NOT NULL,
            name VARCHAR(255) NOT NULL,
            status VARCHAR(32) NOT NULL,
            created_at TIMESTAMP NOT NULL,
            row_json TEXT NOT NULL)""".formatted(table));
      st.execute("CREATE INDEX IF NOT EXISTS " + table + "_project ON " + table + " (project_id, created_at)");
    }
  }

  /** Writes {@code row} (of volume {@code volumeId}) as row {@code id}, or removes the row when {@code gone}. */
  static void save(Connection c, String table, String id, String projectId, String volumeId, String name, String status,
      Instant createdAt, Object row, boolean gone) throws Exception {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
      del.setString(1, id);
      del.executeUpdate();
    }
    if (gone) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO " + table
        + " (id, project_id, volume_id, name, status, created_at, row_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, projectId);
      st.setString(3, volumeId);
      st.setString(4, name);
      st.setString(5, status);
      st.setTimestamp(6, Timestamp.from(createdAt));
      st.setString(7, ReadSideJson.MAPPER.writeValueAsString(row));
      st.executeUpdate();
    }
  }

  static <T> List<T> select(Connection c, String table, Optional<String> projectId, Optional<String> name,
      Optional<String> status, Optional<String> volumeId, int limit, Class<T> type) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT row_json FROM ").append(table).append(" WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    where(sql, args, "project_id", projectId);
    where(sql, args, "name", name);
    where(sql, args, "status", status);
    where(sql, args, "volume_id", volumeId);
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.add(limit);
    return ReadSideRows.select(c, sql, args, type);
  }

  private static void where(StringBuilder sql, List<Object> args, String column, Optional<String> value) {
    value.ifPresent(v -> {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(v);
    });
  }
}
