package nimbus.compute;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps the {@code server_list} table (what server lists and filters read) in step with server
 * events. A batch loads each server's row once, applies its events in order and writes it back,
 * in the projection's transaction, and each server's new state goes to {@code changed} (the
 * {@link ServerChanges} topic: live views follow the same events as the list).
 */
public final class ServerListProjection
    extends JdbcHandler<List<EventEnvelope<ServerEntity.Event>>, ReadSideSession> {

  public static final String NAME = "server-list";
  /**
   * 5: servers hold their ports; 4: the phases hold their workflow steps (the build's claim, the resize's quota and ending,
   * the snapshot's image); 3: vm states as enums (2: as text; 1 held a copy the projection kept
   * by rules of its own).
   */
  static final int ROW_VERSION = 5;
  private final Consumer<ServerChange> changed;

  public ServerListProjection(Consumer<ServerChange> changed) {
    this.changed = changed;
  }

  static final String DDL = """
      CREATE TABLE IF NOT EXISTS server_list (
        id VARCHAR(36) PRIMARY KEY,
        project_id VARCHAR(64) NOT NULL,
        name VARCHAR(255) NOT NULL,
        status VARCHAR(16) NOT NULL,
        host VARCHAR(255),
        image_id VARCHAR(64),
        flavor_id VARCHAR(255),
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        row_json TEXT NOT NULL)""";
  static final String INDEX =
      "CREATE INDEX IF NOT EXISTS server_list_project ON server_list (project_id, created_at)";

  /**
   * Creates the table if it is missing. Rows of a version before {@link #ROW_VERSION} are dropped
   * with the projection's offset, so the projection rebuilds them from the journal.
   */
  public static void createTable(Connection connection) throws SQLException {
    try (var st = connection.createStatement()) {
      st.execute(DDL);
      st.execute(INDEX);
      st.execute("ALTER TABLE server_list ADD COLUMN IF NOT EXISTS image_id VARCHAR(64)");
      st.execute("ALTER TABLE server_list ADD COLUMN IF NOT EXISTS flavor_id VARCHAR(255)");
      st.execute("ALTER TABLE server_list ADD COLUMN IF NOT EXISTS row_version INT");
    }
    ReadSideProjection.rebuildIfStale(connection, NAME, "server_list", ROW_VERSION, List.of("server_list"));
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<ServerEntity.Event>> envelopes)
      throws Exception {
    session.withConnection(connection -> {
      Map<String, ServerRow> rows = new LinkedHashMap<>();
      Map<String, Boolean> isNew = new LinkedHashMap<>();
      for (EventEnvelope<ServerEntity.Event> envelope : envelopes) {
        ServerEntity.Event event = envelope.event();
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        if (event instanceof ServerEntity.ServerRequested requested) {
          rows.put(id, ServerRow.requested(requested));
          isNew.putIfAbsent(id, true);
          continue;
        }
        ServerRow row = rows.containsKey(id) ? rows.get(id) : ReadSideRows.byId(connection, "server_list", id, ServerRow.class).orElse(null);
        if (row == null) continue; // created before this table existed: nothing to update
        isNew.putIfAbsent(id, false);
        rows.put(id, row.after(event));
      }
      for (var entry : rows.entrySet()) save(connection, entry.getValue(), isNew.get(entry.getKey()));
      // a batch retried after a failed commit tells a change twice: harmless, each carries the whole state
      for (ServerRow row : rows.values()) changed.accept(ServerChange.of(row.view()));
      return null;
    });
  }

  private void save(Connection c, ServerRow row, boolean insert) throws Exception {
    String sql = insert
        ? "INSERT INTO server_list (project_id, name, status, host, created_at, updated_at, row_json, image_id, flavor_id,"
            + " row_version, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        : "UPDATE server_list SET project_id = ?, name = ?, status = ?, host = ?, created_at = ?, updated_at = ?,"
            + " row_json = ?, image_id = ?, flavor_id = ?, row_version = ? WHERE id = ?";
    ServerView view = row.view();
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, view.projectId());
      st.setString(2, view.name());
      st.setString(3, view.status());
      st.setString(4, view.host().orElse(null));
      st.setTimestamp(5, Timestamp.from(view.created()));
      st.setTimestamp(6, Timestamp.from(view.updated()));
      st.setString(7, ReadSideJson.MAPPER.writeValueAsString(row));
      st.setString(8, view.imageId());
      st.setString(9, view.flavor().id());
      st.setInt(10, ROW_VERSION);
      st.setString(11, row.id());
      st.executeUpdate();
    }
  }
}
