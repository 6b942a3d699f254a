package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideRows;

/**
 * Backup lists from the read side, newest first as Cinder sorts them (created_at, then id,
 * descending). Blocking JDBC: call it on the blocking executor.
 */
public final class BackupListing {

  /**
   * What to list: {@code projectId} empty lists every project's (admins' all_tenants); at most
   * {@code limit} of them (the edge sorts and pages them as Cinder does).
   */
  public record Query(Optional<String> projectId, Optional<String> name, Optional<String> status, Optional<String> volumeId,
      int limit) {}

  private final ReadSideDatabase database;

  public BackupListing(ReadSideDatabase database) {
    this.database = database;
  }

  /**
   * Waits (at most 2 s, as image lists) until the read side holds every backup event written
   * before, so a list shows the caller's own writes.
   */
  public List<Backup> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      nimbus.cluster.ReadSideProjection.awaitCaughtUp(c, BackupListProjection.NAME, BackupEntity.TAG,
          java.time.Duration.ofSeconds(2));
      return list(c, q);
    }
  }

  /** On a connection of the caller's (tests use their own database). */
  public static List<Backup> list(Connection c, Query q) throws SQLException {
    StringBuilder scope = new StringBuilder("1 = 1");
    List<Object> scopeArgs = new ArrayList<>();
    q.projectId().ifPresent(p -> {
      scope.append(" AND project_id = ?");
      scopeArgs.add(p);
    });
    StringBuilder sql = new StringBuilder("SELECT row_json FROM backup_list WHERE ").append(scope);
    List<Object> args = new ArrayList<>(scopeArgs);
    q.name().ifPresent(n -> {
      sql.append(" AND name = ?");
      args.add(n);
    });
    q.status().ifPresent(s -> {
      sql.append(" AND status = ?");
      args.add(s);
    });
    q.volumeId().ifPresent(v -> {
      sql.append(" AND volume_id = ?");
      args.add(v);
    });
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.add(q.limit());
    return ReadSideRows.select(c, sql, args, Backup.class);
  }
}
