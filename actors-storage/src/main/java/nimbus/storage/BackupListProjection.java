package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  public static void createTable(Connection connection) throws SQLException {
    VolumeRows.createTable(connection, "backup_list");
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
    VolumeRows.save(c, "backup_list", id, backup.projectId(), backup.volumeId(), backup.name(), backup.status(),
        backup.createdAt(), backup, backup.status().equals(Backup.DELETED));
  }
}
