package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideDatabase;

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
    return VolumeRows.select(c, "backup_list", q.projectId(), q.name(), q.status(), q.volumeId(), q.limit(), Backup.class);
  }
}
