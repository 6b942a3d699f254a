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
 * Keeps the tables network lists read ({@code network_list}, {@code subnet_list},
 * {@code port_list} and {@code port_ips}) in step with network and port events, applying them
 * with the entities' own functions ({@link Network#after}, {@link Port#after}). Only usable
 * resources are listed: a network or port still being created, or being given back, is not.
 */
public final class NetworkListProjection {
  public static final String NETWORKS = "network-list";
  public static final String PORTS = "port-list";
  public static final String SUBNET_POOLS = "subnetpool-list";
  static final int ROW_VERSION = 1;

  private NetworkListProjection() {}

  public static void createTables(Connection c) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS network_list (
            id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,
            shared BOOLEAN NOT NULL, external BOOLEAN NOT NULL, phase VARCHAR(16) NOT NULL,
            created_at TIMESTAMP NOT NULL, row_version INT NOT NULL, row_json TEXT NOT NULL)""");
      st.execute("""
          CREATE TABLE IF NOT EXISTS subnet_list (
            id VARCHAR(36) PRIMARY KEY, network_id VARCHAR(36) NOT NULL, project_id VARCHAR(64) NOT NULL,
            name VARCHAR(255) NOT NULL, cidr VARCHAR(64) NOT NULL, ip_version INT NOT NULL,
            created_at TIMESTAMP NOT NULL, row_json TEXT NOT NULL)""");
      st.execute("""
          CREATE TABLE IF NOT EXISTS port_list (
            id VARCHAR(36) PRIMARY KEY, network_id VARCHAR(36) NOT NULL, project_id VARCHAR(64) NOT NULL,
            name VARCHAR(255) NOT NULL, device_id VARCHAR(255) NOT NULL, device_owner VARCHAR(255) NOT NULL,
            mac_address VARCHAR(17) NOT NULL, status VARCHAR(16) NOT NULL, phase VARCHAR(16) NOT NULL, host VARCHAR(255),
            created_at TIMESTAMP NOT NULL, row_version INT NOT NULL, row_json TEXT NOT NULL)""");
      st.execute("""
          CREATE TABLE IF NOT EXISTS port_ips (
            port_id VARCHAR(36) NOT NULL, subnet_id VARCHAR(36) NOT NULL, ip_address VARCHAR(45) NOT NULL)""");
      st.execute("""
          CREATE TABLE IF NOT EXISTS subnetpool_list (
            id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,
            shared BOOLEAN NOT NULL, is_default BOOLEAN NOT NULL, ip_version INT NOT NULL,
            created_at TIMESTAMP NOT NULL, row_version INT NOT NULL, row_json TEXT NOT NULL)""");
      st.execute("CREATE INDEX IF NOT EXISTS network_list_project ON network_list (project_id, created_at)");
      st.execute("CREATE INDEX IF NOT EXISTS subnet_list_network ON subnet_list (network_id)");
      st.execute("CREATE INDEX IF NOT EXISTS port_list_network ON port_list (network_id, created_at)");
      st.execute("CREATE INDEX IF NOT EXISTS port_list_device ON port_list (device_id)");
      st.execute("CREATE INDEX IF NOT EXISTS port_ips_port ON port_ips (port_id)");
    }
    ReadSideProjection.rebuildIfStale(c, NETWORKS, "network_list", ROW_VERSION, List.of("network_list", "subnet_list"));
    ReadSideProjection.rebuildIfStale(c, SUBNET_POOLS, "subnetpool_list", ROW_VERSION, List.of("subnetpool_list"));
    ReadSideProjection.rebuildIfStale(c, PORTS, "port_list", ROW_VERSION, List.of("port_list", "port_ips"));
  }

  /** Networks and their subnets. */
  public static final class Networks extends JdbcHandler<List<EventEnvelope<NetworkEntity.Event>>, ReadSideSession> {
    private final Consumer<ResourceChange> changed;

    /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
    public Networks(Consumer<ResourceChange> changed) {
      this.changed = changed;
    }

    @Override
    public void process(ReadSideSession session, List<EventEnvelope<NetworkEntity.Event>> envelopes) throws Exception {
      session.withConnection(c -> {
        Map<String, Network> changed = new LinkedHashMap<>();
        for (EventEnvelope<NetworkEntity.Event> envelope : envelopes) {
          String id = ReadSideRows.entityIdOf(envelope.persistenceId());
          Optional<Network> before = changed.containsKey(id) ? Optional.of(changed.get(id))
              : ReadSideRows.byId(c, "network_list", id, Network.class);
          NetworkEntity.Event event = envelope.event();
          if (before.isEmpty() && !(event instanceof NetworkEntity.NetworkRequested)) continue;
          changed.put(id, before.map(n -> n.after(event)).orElseGet(() -> ((NetworkEntity.NetworkRequested) event).network()));
        }
        for (Network n : changed.values()) {
          save(c, n);
          // shared and external networks are every project's to list; a subnet changes with its network
          ResourceChange change = new ResourceChange("network", n.id(), n.projectId(),
              n.attributes().shared() || n.attributes().external(), List.of(), n.phase() == Network.Phase.GONE);
          session.afterCommit(() -> this.changed.accept(change));
        }
        return null;
      });
    }

    /** The row stays while the network exists (for the next event), listed only once active. */
    private static void save(Connection c, Network n) throws Exception {
      delete(c, "DELETE FROM network_list WHERE id = ?", n.id());
      delete(c, "DELETE FROM subnet_list WHERE network_id = ?", n.id());
      if (n.phase() == Network.Phase.GONE) return;
      try (PreparedStatement st = c.prepareStatement("INSERT INTO network_list (id, project_id, name, shared, external,"
          + " phase, created_at, row_version, row_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, n.id());
        st.setString(2, n.projectId());
        st.setString(3, n.attributes().name());
        st.setBoolean(4, n.attributes().shared());
        st.setBoolean(5, n.attributes().external());
        st.setString(6, n.phase().name());
        st.setTimestamp(7, Timestamp.from(n.createdAt()));
        st.setInt(8, ROW_VERSION);
        st.setString(9, ReadSideJson.MAPPER.writeValueAsString(n));
        st.executeUpdate();
      }
      if (n.phase() != Network.Phase.ACTIVE) return;
      for (Subnet s : n.subnets()) {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO subnet_list (id, network_id, project_id, name, cidr,"
            + " ip_version, created_at, row_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
          st.setString(1, s.id());
          st.setString(2, n.id());
          st.setString(3, s.projectId());
          st.setString(4, s.name());
          st.setString(5, s.cidr());
          st.setInt(6, s.ipVersion());
          st.setTimestamp(7, Timestamp.from(s.createdAt()));
          st.setString(8, ReadSideJson.MAPPER.writeValueAsString(s));
          st.executeUpdate();
        }
      }
    }
  }

  /** Ports and their addresses. */
  public static final class Ports extends JdbcHandler<List<EventEnvelope<PortEntity.Event>>, ReadSideSession> {
    private final Consumer<ResourceChange> changed;

    /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
    public Ports(Consumer<ResourceChange> changed) {
      this.changed = changed;
    }

    @Override
    public void process(ReadSideSession session, List<EventEnvelope<PortEntity.Event>> envelopes) throws Exception {
      session.withConnection(c -> {
        Map<String, Port> changed = new LinkedHashMap<>();
        for (EventEnvelope<PortEntity.Event> envelope : envelopes) {
          String id = ReadSideRows.entityIdOf(envelope.persistenceId());
          Optional<Port> before = changed.containsKey(id) ? Optional.of(changed.get(id))
              : ReadSideRows.byId(c, "port_list", id, Port.class);
          PortEntity.Event event = envelope.event();
          if (before.isEmpty() && !(event instanceof PortEntity.PortRequested)) continue;
          changed.put(id, before.map(p -> p.after(event)).orElseGet(() -> ((PortEntity.PortRequested) event).port()));
        }
        for (Port p : changed.values()) {
          save(c, p);
          ResourceChange change = ResourceChange.owned("port", p.id(), p.projectId(), p.phase() == Port.Phase.GONE);
          session.afterCommit(() -> this.changed.accept(change));
        }
        return null;
      });
    }

    private static void save(Connection c, Port p) throws Exception {
      delete(c, "DELETE FROM port_list WHERE id = ?", p.id());
      delete(c, "DELETE FROM port_ips WHERE port_id = ?", p.id());
      if (p.phase() == Port.Phase.GONE) return;
      try (PreparedStatement st = c.prepareStatement("INSERT INTO port_list (id, network_id, project_id, name, device_id,"
          + " device_owner, mac_address, status, phase, host, created_at, row_version, row_json)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, p.id());
        st.setString(2, p.networkId());
        st.setString(3, p.projectId());
        st.setString(4, p.attributes().name());
        st.setString(5, p.attributes().deviceId());
        st.setString(6, p.attributes().deviceOwner());
        st.setString(7, p.macAddress());
        st.setString(8, p.status());
        st.setString(9, p.phase().name());
        st.setString(10, p.hostId().orElse(null));
        st.setTimestamp(11, Timestamp.from(p.createdAt()));
        st.setInt(12, ROW_VERSION);
        st.setString(13, ReadSideJson.MAPPER.writeValueAsString(p));
        st.executeUpdate();
      }
      if (p.phase() != Port.Phase.READY && p.phase() != Port.Phase.READDRESSING) return;
      for (FixedIp ip : p.fixedIps()) {
        try (PreparedStatement st = c.prepareStatement(
            "INSERT INTO port_ips (port_id, subnet_id, ip_address) VALUES (?, ?, ?)")) {
          st.setString(1, p.id());
          st.setString(2, ip.subnetId());
          st.setString(3, ip.ipAddress());
          st.executeUpdate();
        }
      }
    }
  }

  /** Subnet pools, listed until deleted. */
  public static final class SubnetPools
      extends JdbcHandler<List<EventEnvelope<SubnetPoolEntity.Event>>, ReadSideSession> {
    @Override
    public void process(ReadSideSession session, List<EventEnvelope<SubnetPoolEntity.Event>> envelopes)
        throws Exception {
      session.withConnection(c -> {
        Map<String, SubnetPool> changed = new LinkedHashMap<>();
        for (EventEnvelope<SubnetPoolEntity.Event> envelope : envelopes) {
          String id = ReadSideRows.entityIdOf(envelope.persistenceId());
          Optional<SubnetPool> before = changed.containsKey(id) ? Optional.of(changed.get(id))
              : ReadSideRows.byId(c, "subnetpool_list", id, SubnetPool.class);
          SubnetPoolEntity.Event event = envelope.event();
          if (before.isEmpty() && !(event instanceof SubnetPoolEntity.PoolCreated)) continue;
          changed.put(id, before.map(p -> p.after(event))
              .orElseGet(() -> ((SubnetPoolEntity.PoolCreated) event).pool()));
        }
        for (SubnetPool p : changed.values()) save(c, p);
        return null;
      });
    }

    private static void save(Connection c, SubnetPool p) throws Exception {
      delete(c, "DELETE FROM subnetpool_list WHERE id = ?", p.id());
      if (p.deleted()) return;
      try (PreparedStatement st = c.prepareStatement("INSERT INTO subnetpool_list (id, project_id, name, shared,"
          + " is_default, ip_version, created_at, row_version, row_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, p.id());
        st.setString(2, p.projectId());
        st.setString(3, p.name());
        st.setBoolean(4, p.shared());
        st.setBoolean(5, p.isDefault());
        st.setInt(6, p.ipVersion());
        st.setTimestamp(7, Timestamp.from(p.createdAt()));
        st.setInt(8, ROW_VERSION);
        st.setString(9, ReadSideJson.MAPPER.writeValueAsString(p));
        st.executeUpdate();
      }
    }
  }

  private static void delete(Connection c, String sql, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, id);
      st.executeUpdate();
    }
  }
}
