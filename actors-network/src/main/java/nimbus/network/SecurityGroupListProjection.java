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
 * Keeps the tables security group lists read ({@code security_group_list},
 * {@code security_group_rule_list}) in step with the groups' events, applying them with the
 * entity's own function ({@link SecurityGroupEntity#next}). A group is listed, with its rules, once
 * it exists and until it is deleted.
 */
public final class SecurityGroupListProjection {
  public static final String NAME = "security-group-list";
  static final int ROW_VERSION = 1;

  private SecurityGroupListProjection() {}

  /** A group's state as a row keeps it (its phase by name, so the row reads back without type hints). */
  public record Row(String phase, SecurityGroup group, SecurityGroupEntity.Quota quota) {
    static Row of(SecurityGroupEntity.Existing s) {
      return new Row(s.getClass().getSimpleName(), s.group(), s.quota());
    }

    SecurityGroupEntity.State state() {
      return switch (phase) {
        case "Creating" -> new SecurityGroupEntity.Creating(group, quota);
        case "Active" -> new SecurityGroupEntity.Active(group, quota);
        case "Deleting" -> new SecurityGroupEntity.Deleting(group, quota);
        default -> new SecurityGroupEntity.Gone(group, quota);
      };
    }
  }

  public static void createTables(Connection c) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS security_group_list (
            id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,
            phase VARCHAR(16) NOT NULL, created_at TIMESTAMP NOT NULL, row_version INT NOT NULL,
            row_json TEXT NOT NULL)""");
      st.execute("""
          CREATE TABLE IF NOT EXISTS security_group_rule_list (
            id VARCHAR(36) PRIMARY KEY, security_group_id VARCHAR(36) NOT NULL, project_id VARCHAR(64) NOT NULL,
            direction VARCHAR(16) NOT NULL, ethertype VARCHAR(8) NOT NULL, protocol VARCHAR(32),
            remote_group_id VARCHAR(36), remote_ip_prefix VARCHAR(64), created_at TIMESTAMP NOT NULL,
            row_json TEXT NOT NULL)""");
      st.execute("CREATE INDEX IF NOT EXISTS security_group_list_project ON security_group_list (project_id)");
      st.execute("CREATE INDEX IF NOT EXISTS security_group_rule_list_group ON security_group_rule_list "
          + "(security_group_id)");
    }
    ReadSideProjection.rebuildIfStale(c, NAME, "security_group_list", ROW_VERSION,
        List.of("security_group_list", "security_group_rule_list"));
  }

  /** Groups and their rules. */
  public static final class Groups
      extends JdbcHandler<List<EventEnvelope<SecurityGroupEntity.Event>>, ReadSideSession> {
    private final Consumer<ResourceChange> changed;

    /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
    public Groups(Consumer<ResourceChange> changed) {
      this.changed = changed;
    }

    @Override
    public void process(ReadSideSession session, List<EventEnvelope<SecurityGroupEntity.Event>> envelopes)
        throws Exception {
      session.withConnection(c -> {
        Map<String, SecurityGroupEntity.State> changed = new LinkedHashMap<>();
        for (EventEnvelope<SecurityGroupEntity.Event> envelope : envelopes) {
          String id = ReadSideRows.entityIdOf(envelope.persistenceId());
          SecurityGroupEntity.State before = changed.containsKey(id) ? changed.get(id)
              : ReadSideRows.byId(c, "security_group_list", id, Row.class).map(Row::state)
                  .orElse(new SecurityGroupEntity.NoGroup());
          SecurityGroupEntity.Event event = envelope.event();
          if (before instanceof SecurityGroupEntity.NoGroup && !(event instanceof SecurityGroupEntity.GroupRequested)) {
            continue;
          }
          changed.put(id, SecurityGroupEntity.next(before, event));
        }
        for (SecurityGroupEntity.State s : changed.values()) {
          SecurityGroupEntity.Existing group = (SecurityGroupEntity.Existing) s;
          save(c, group);
          ResourceChange change = ResourceChange.owned("security_group", group.group().id(), group.group().projectId(),
              group instanceof SecurityGroupEntity.Gone);
          session.afterCommit(() -> this.changed.accept(change));
        }
        return null;
      });
    }

    /** The row stays while the group exists (for the next event); it and its rules are listed once active. */
    private static void save(Connection c, SecurityGroupEntity.Existing s) throws Exception {
      SecurityGroup g = s.group();
      delete(c, "DELETE FROM security_group_list WHERE id = ?", g.id());
      delete(c, "DELETE FROM security_group_rule_list WHERE security_group_id = ?", g.id());
      if (s instanceof SecurityGroupEntity.Gone) return;
      try (PreparedStatement st = c.prepareStatement("INSERT INTO security_group_list (id, project_id, name, phase,"
          + " created_at, row_version, row_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, g.id());
        st.setString(2, g.projectId());
        st.setString(3, g.name());
        st.setString(4, s.getClass().getSimpleName());
        st.setTimestamp(5, Timestamp.from(g.createdAt()));
        st.setInt(6, ROW_VERSION);
        st.setString(7, ReadSideJson.MAPPER.writeValueAsString(Row.of(s)));
        st.executeUpdate();
      }
      if (!(s instanceof SecurityGroupEntity.Active)) return;
      for (SecurityGroupRule r : g.rules()) {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO security_group_rule_list (id, security_group_id,"
            + " project_id, direction, ethertype, protocol, remote_group_id, remote_ip_prefix, created_at, row_json)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
          st.setString(1, r.id());
          st.setString(2, g.id());
          st.setString(3, r.projectId());
          st.setString(4, r.direction());
          st.setString(5, r.ethertype());
          st.setString(6, r.protocol().orElse(null));
          st.setString(7, r.remoteGroupId().orElse(null));
          st.setString(8, r.remoteIpPrefix().orElse(null));
          st.setTimestamp(9, Timestamp.from(r.createdAt()));
          st.setString(10, ReadSideJson.MAPPER.writeValueAsString(r));
          st.executeUpdate();
        }
      }
    }
  }

  /** The group a rule belongs to, if the rule exists (read side). */
  static Optional<String> groupOfRule(Connection c, String ruleId) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT security_group_id FROM security_group_rule_list WHERE id = ?")) {
      st.setString(1, ruleId);
      try (var rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
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
