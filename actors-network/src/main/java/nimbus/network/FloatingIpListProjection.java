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
 * Keeps the table floating IP lists read ({@code floatingip_list}) in step with floating IP
 * events, applying them with {@link FloatingIp#after}; only floating IPs that hold their address
 * are listed.
 */
public final class FloatingIpListProjection
    extends JdbcHandler<List<EventEnvelope<FloatingIpEntity.Event>>, ReadSideSession> {
  public static final String NAME = "floatingip-list";
  private final Consumer<ResourceChange> changed;

  /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
  public FloatingIpListProjection(Consumer<ResourceChange> changed) {
    this.changed = changed;
  }
  static final int ROW_VERSION = 1;

  public static void createTables(Connection c) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS floatingip_list (
            id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL, floating_network_id VARCHAR(36) NOT NULL,
            floating_ip_address VARCHAR(45) NOT NULL, status VARCHAR(16) NOT NULL, phase VARCHAR(16) NOT NULL,
            port_id VARCHAR(36), router_id VARCHAR(36), created_at TIMESTAMP NOT NULL, row_version INT NOT NULL,
            row_json TEXT NOT NULL)""");
      st.execute("CREATE INDEX IF NOT EXISTS floatingip_list_project ON floatingip_list (project_id, created_at)");
      st.execute("CREATE INDEX IF NOT EXISTS floatingip_list_port ON floatingip_list (port_id)");
    }
    ReadSideProjection.rebuildIfStale(c, NAME, "floatingip_list", ROW_VERSION, List.of("floatingip_list"));
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<FloatingIpEntity.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      Map<String, FloatingIp> changed = new LinkedHashMap<>();
      for (EventEnvelope<FloatingIpEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        Optional<FloatingIp> before = changed.containsKey(id) ? Optional.of(changed.get(id))
            : ReadSideRows.byId(c, "floatingip_list", id, FloatingIp.class);
        FloatingIpEntity.Event event = envelope.event();
        if (before.isEmpty() && !(event instanceof FloatingIpEntity.FloatingIpRequested)) continue;
        changed.put(id, before.map(f -> f.after(event))
            .orElseGet(() -> ((FloatingIpEntity.FloatingIpRequested) event).floatingIp()));
      }
      for (FloatingIp f : changed.values()) {
        save(c, f);
        ResourceChange change = ResourceChange.owned("floatingip", f.id(), f.projectId(),
            f.phase() == FloatingIp.Phase.GONE);
        session.afterCommit(() -> this.changed.accept(change));
      }
      return null;
    });
  }

  private static void save(Connection c, FloatingIp f) throws Exception {
    try (PreparedStatement st = c.prepareStatement("DELETE FROM floatingip_list WHERE id = ?")) {
      st.setString(1, f.id());
      st.executeUpdate();
    }
    if (f.phase() == FloatingIp.Phase.GONE) return;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO floatingip_list (id, project_id, floating_network_id,"
        + " floating_ip_address, status, phase, port_id, router_id, created_at, row_version, row_json)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, f.id());
      st.setString(2, f.projectId());
      st.setString(3, f.floatingNetworkId());
      st.setString(4, f.floatingIpAddress());
      st.setString(5, f.status());
      st.setString(6, f.phase().name());
      st.setString(7, f.association().map(FloatingIp.Association::portId).orElse(null));
      st.setString(8, f.routerId().orElse(null));
      st.setTimestamp(9, Timestamp.from(f.createdAt()));
      st.setInt(10, ROW_VERSION);
      st.setString(11, ReadSideJson.MAPPER.writeValueAsString(f));
      st.executeUpdate();
    }
  }
}
