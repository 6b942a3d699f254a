package nimbus.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import nimbus.cluster.ResourceChange;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps the {@code snapshot_list} table (what snapshot lists read) in step with
 * snapshot events, applying each event exactly as the entity does ({@link SnapshotEntity#next}).
 */
public final class SnapshotListProjection
    extends JdbcHandler<List<EventEnvelope<SnapshotEntity.Event>>, ReadSideSession> {

  public static final String NAME = "snapshot-list";
  private final Consumer<ResourceChange> changed;

  /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
  public SnapshotListProjection(Consumer<ResourceChange> changed) {
    this.changed = changed;
  }

  private static final String DDL = """
      CREATE TABLE IF NOT EXISTS snapshot_list (
        id VARCHAR(36) PRIMARY KEY,
        project_id VARCHAR(64) NOT NULL,
        volume_id VARCHAR(36) NOT NULL,
        name VARCHAR(255) NOT NULL,
        status VARCHAR(32) NOT NULL,
        created_at TIMESTAMP NOT NULL,
        row_json TEXT NOT NULL)""";

  public static void createTable(Connection connection) throws SQLException {
    try (var st = connection.createStatement()) {
      st.execute(DDL);
      st.execute("CREATE INDEX IF NOT EXISTS snapshot_list_project ON snapshot_list (project_id, created_at)");
    }
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<SnapshotEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, SnapshotEntity.State> snapshots = new LinkedHashMap<>();
      for (EventEnvelope<SnapshotEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        SnapshotEntity.State before = snapshots.containsKey(id) ? snapshots.get(id)
            : ReadSideRows.byId(connection, "snapshot_list", id, Snapshot.class)
                .<SnapshotEntity.State>map(SnapshotEntity.Resting::new).orElse(new SnapshotEntity.NoSnapshot());
        // a snapshot gone from the table (deleted) has nothing more to show
        if (before instanceof SnapshotEntity.NoSnapshot && !(envelope.event() instanceof SnapshotEntity.SnapshotRequested)) {
          continue;
        }
        snapshots.put(id, SnapshotEntity.next(before, envelope.event()));
      }
      for (var entry : snapshots.entrySet()) {
        if (!(entry.getValue() instanceof SnapshotEntity.Existing e)) continue;
        save(connection, entry.getKey(), e.snapshot());
        ResourceChange change = ResourceChange.owned("snapshot", entry.getKey(), e.snapshot().projectId(),
            e.snapshot().status().equals(Snapshot.DELETED));
        session.afterCommit(() -> changed.accept(change));
      }
      return null;
    });
  }

  private static void save(Connection c, String id, Snapshot snapshot) throws Exception {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM snapshot_list WHERE id = ?")) {
      del.setString(1, id);
      del.executeUpdate();
    }
    if (snapshot.status().equals(Snapshot.DELETED)) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO snapshot_list (id, project_id, volume_id, name, status,"
        + " created_at, row_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, snapshot.projectId());
      st.setString(3, snapshot.volumeId());
      st.setString(4, snapshot.name());
      st.setString(5, snapshot.status());
      st.setTimestamp(6, Timestamp.from(snapshot.createdAt()));
      st.setString(7, ReadSideJson.MAPPER.writeValueAsString(snapshot));
      st.executeUpdate();
    }
  }
}
