package nimbus.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps the {@code backup_list} table (what backup lists read) in step with
 * backup events, applying each event exactly as the entity does ({@link BackupEntity#next}).
 */
public final class BackupListProjection
    extends JdbcHandler<List<EventEnvelope<BackupEntity.Event>>, ReadSideSession> {

  public static final String NAME = "backup-list";

  private static final String DDL = """
      CREATE TABLE IF NOT EXISTS backup_list (
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
      st.execute("CREATE INDEX IF NOT EXISTS backup_list_project ON backup_list (project_id, created_at)");
    }
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<BackupEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, BackupEntity.State> backups = new LinkedHashMap<>();
      for (EventEnvelope<BackupEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        BackupEntity.State before = backups.containsKey(id) ? backups.get(id)
            : ReadSideRows.byId(connection, "backup_list", id, Backup.class)
                .<BackupEntity.State>map(BackupEntity.Resting::new).orElse(new BackupEntity.NoBackup());
        // a backup gone from the table (deleted) has nothing more to show
        if (before instanceof BackupEntity.NoBackup && !(envelope.event() instanceof BackupEntity.BackupRequested)) {
          continue;
        }
        backups.put(id, BackupEntity.next(before, envelope.event()));
      }
      for (var entry : backups.entrySet()) {
        if (entry.getValue() instanceof BackupEntity.Existing e) save(connection, entry.getKey(), e.backup());
      }
      return null;
    });
  }

  private static void save(Connection c, String id, Backup backup) throws Exception {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM backup_list WHERE id = ?")) {
      del.setString(1, id);
      del.executeUpdate();
    }
    if (backup.status().equals(Backup.DELETED)) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO backup_list (id, project_id, volume_id, name, status,"
        + " created_at, row_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, backup.projectId());
      st.setString(3, backup.volumeId());
      st.setString(4, backup.name());
      st.setString(5, backup.status());
      st.setTimestamp(6, Timestamp.from(backup.createdAt()));
      st.setString(7, ReadSideJson.MAPPER.writeValueAsString(backup));
      st.executeUpdate();
    }
  }
}
