package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.ReadSideDatabase;

/**
 * Snapshot lists from the read side, newest first as Cinder sorts them (created_at, then id,
 * descending). Blocking JDBC: call it on the blocking executor.
 */
public final class SnapshotListing {

  /**
   * What to list: {@code projectId} empty lists every project's (admins' all_tenants); at most
   * {@code limit} of them (the edge sorts and pages them as Cinder does).
   */
  public record Query(Optional<String> projectId, Optional<String> name, Optional<String> status, Optional<String> volumeId,
      int limit) {}

  private final ReadSideDatabase database;

  public SnapshotListing(ReadSideDatabase database) {
    this.database = database;
  }

  /**
   * Waits (at most 2 s, as image lists) until the read side holds every snapshot event written
   * before, so a list shows the caller's own writes.
   */
  public List<Snapshot> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      nimbus.cluster.ReadSideProjection.awaitCaughtUp(c, SnapshotListProjection.NAME, SnapshotEntity.TAG,
          java.time.Duration.ofSeconds(2));
      return list(c, q);
    }
  }

  /** On a connection of the caller's (tests use their own database). */
  public static List<Snapshot> list(Connection c, Query q) throws SQLException {
    return VolumeRows.select(c, "snapshot_list", q.projectId(), q.name(), q.status(), q.volumeId(), q.limit(), Snapshot.class);
  }
}
