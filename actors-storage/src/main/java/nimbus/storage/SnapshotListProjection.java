package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
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

  public static void createTable(Connection connection) throws SQLException {
    VolumeRows.createTable(connection, "snapshot_list");
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
    VolumeRows.save(c, "snapshot_list", id, snapshot.projectId(), snapshot.volumeId(), snapshot.name(), snapshot.status(),
        snapshot.createdAt(), snapshot, snapshot.status().equals(Snapshot.DELETED));
  }
}
