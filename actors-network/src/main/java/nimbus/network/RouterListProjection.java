package nimbus.network;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import nimbus.cluster.ResourceChange;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps the table router lists read ({@code router_list}) in step with router events, applying
 * them with the entity's own function ({@link RouterState#after}); only usable routers are listed.
 * The table also says how many routers each host carries (the scheduler's count).
 */
public final class RouterListProjection extends JdbcHandler<List<EventEnvelope<RouterEntity.Event>>, ReadSideSession> {
  public static final String NAME = "router-list";
  private final Consumer<ResourceChange> changed;

  /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
  public RouterListProjection(Consumer<ResourceChange> changed) {
    this.changed = changed;
  }
  static final int ROW_VERSION = 1;

  public static void createTables(Connection c) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS router_list (
            id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,
            status VARCHAR(16) NOT NULL, phase VARCHAR(16) NOT NULL, host VARCHAR(255),
            created_at TIMESTAMP NOT NULL, row_version INT NOT NULL, row_json TEXT NOT NULL)""");
      st.execute("CREATE INDEX IF NOT EXISTS router_list_project ON router_list (project_id, created_at)");
    }
    ReadSideProjection.rebuildIfStale(c, NAME, "router_list", ROW_VERSION, List.of("router_list"));
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<RouterEntity.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      Map<String, RouterState> changed = new LinkedHashMap<>();
      for (EventEnvelope<RouterEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        Optional<RouterState> before = changed.containsKey(id) ? Optional.of(changed.get(id))
            : ReadSideRows.byId(c, "router_list", id, RouterState.class);
        RouterEntity.Event event = envelope.event();
        if (before.isEmpty() && !(event instanceof RouterEntity.RouterRequested)) continue;
        changed.put(id, before.map(r -> r.after(event)).orElseGet(() -> {
          RouterEntity.RouterRequested e = (RouterEntity.RouterRequested) event;
          return RouterState.requested(e.router(), e.gateway());
        }));
      }
      for (RouterState r : changed.values()) {
        save(c, r);
        ResourceChange change = ResourceChange.owned("router", r.router().id(), r.router().projectId(),
            r.phase() == RouterState.Phase.GONE);
        session.afterCommit(() -> this.changed.accept(change));
      }
      return null;
    });
  }

  /** The row stays while the router exists (for the next event), listed only while active. */
  private static void save(Connection c, RouterState r) throws Exception {
    try (PreparedStatement st = c.prepareStatement("DELETE FROM router_list WHERE id = ?")) {
      st.setString(1, r.router().id());
      st.executeUpdate();
    }
    if (r.phase() == RouterState.Phase.GONE) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO router_list (id, project_id, name, status, phase, host,"
        + " created_at, row_version, row_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      Router router = r.router();
      st.setString(1, router.id());
      st.setString(2, router.projectId());
      st.setString(3, router.name());
      st.setString(4, router.status());
      st.setString(5, r.phase().name());
      st.setString(6, router.host().orElse(null));
      st.setTimestamp(7, Timestamp.from(router.createdAt()));
      st.setInt(8, ROW_VERSION);
      st.setString(9, ReadSideJson.MAPPER.writeValueAsString(r));
      st.executeUpdate();
    }
  }
}
