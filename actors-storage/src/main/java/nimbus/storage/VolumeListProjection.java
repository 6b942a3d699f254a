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
 * Keeps the {@code volume_list} table (what volume lists and their filters read) in step with
 * volume events, applying each event exactly as the entity does ({@link VolumeEntity#next}).
 */
public final class VolumeListProjection
    extends JdbcHandler<List<EventEnvelope<VolumeEntity.Event>>, ReadSideSession> {

  public static final String NAME = "volume-list";
  private final Consumer<ResourceChange> changed;

  /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
  public VolumeListProjection(Consumer<ResourceChange> changed) {
    this.changed = changed;
  }

  private static final String DDL = """
      CREATE TABLE IF NOT EXISTS volume_list (
        id VARCHAR(36) PRIMARY KEY,
        project_id VARCHAR(64) NOT NULL,
        name VARCHAR(255) NOT NULL,
        status VARCHAR(32) NOT NULL,
        created_at TIMESTAMP NOT NULL,
        row_json TEXT NOT NULL)""";

  public static void createTable(Connection connection) throws SQLException {
    try (var st = connection.createStatement()) {
      st.execute(DDL);
      st.execute("CREATE INDEX IF NOT EXISTS volume_list_project ON volume_list (project_id, created_at)");
    }
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<VolumeEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, VolumeEntity.State> volumes = new LinkedHashMap<>();
      for (EventEnvelope<VolumeEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        VolumeEntity.State before = volumes.containsKey(id) ? volumes.get(id)
            : ReadSideRows.byId(connection, "volume_list", id, Volume.class)
                .<VolumeEntity.State>map(VolumeEntity.Resting::new).orElse(new VolumeEntity.NoVolume());
        // a volume gone from the table (deleted) has nothing more to show
        if (before instanceof VolumeEntity.NoVolume && !(envelope.event() instanceof VolumeEntity.VolumeRequested)) {
          continue;
        }
        volumes.put(id, VolumeEntity.next(before, envelope.event()));
      }
      for (var entry : volumes.entrySet()) {
        if (!(entry.getValue() instanceof VolumeEntity.Existing e)) continue;
        save(connection, entry.getKey(), e.volume());
        ResourceChange change = ResourceChange.owned("volume", entry.getKey(), e.volume().projectId(),
            e.volume().status().equals(Volume.DELETED));
        session.afterCommit(() -> changed.accept(change));
      }
      return null;
    });
  }

  private static void save(Connection c, String id, Volume volume) throws Exception {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM volume_list WHERE id = ?")) {
      del.setString(1, id);
      del.executeUpdate();
    }
    if (volume.status().equals(Volume.DELETED)) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO volume_list (id, project_id, name, status, created_at,"
        + " row_json) VALUES (?, ?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, volume.projectId());
      st.setString(3, volume.name());
      st.setString(4, volume.status());
      st.setTimestamp(5, Timestamp.from(volume.createdAt()));
      st.setString(6, ReadSideJson.MAPPER.writeValueAsString(volume));
      st.executeUpdate();
    }
  }
}
