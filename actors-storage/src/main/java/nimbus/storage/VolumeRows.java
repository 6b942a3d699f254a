package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideRows;

/**
 * The one query of the read side's tables of things made from volumes ({@code snapshot_list},
 * {@code backup_list}): by project (empty: every project's), name, status and volume, newest first
 * as Cinder sorts them (created_at, then id, descending), at most {@code limit}.
 */
final class VolumeRows {
  private VolumeRows() {}

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
