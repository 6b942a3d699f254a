package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The security group projection's handler on a real H2 database: a group and its rules are listed
 * as the entity holds them (its own function on the same events), once it exists and until deleted.
 */
class SecurityGroupListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;
  private long offset;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:sgs-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE projection_offset_store (projection_name VARCHAR(255), projection_key VARCHAR(255),"
          + " current_offset VARCHAR(255))");
    }
    SecurityGroupListProjection.createTables(c);
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private void apply(String id, List<SecurityGroupEntity.Event> events) throws Exception {
    ReadSideSession session = new ReadSideSession(c);
    List<EventEnvelope<SecurityGroupEntity.Event>> envelopes = new ArrayList<>();
    for (SecurityGroupEntity.Event e : events) {
      offset++;
      envelopes.add(EventEnvelope.create(Offset.sequence(offset), "SecurityGroup|" + id, offset, e, 0L));
    }
    new SecurityGroupListProjection.Groups(c -> { }).process(session, envelopes);
    session.commit();
  }

  private List<String> column(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return out;
  }

  @Test
  void aGroupIsListedWithItsRulesOnceItsQuotaIsHeldAndGoesWhenDeleted() throws Exception {
    String id = UUID.randomUUID().toString();
    SecurityGroup g = SecurityGroupEntity.requested(id, "p1", "web", "", true, List.of(), T0);
    List<SecurityGroupEntity.Event> created = new ArrayList<>(List.of(new SecurityGroupEntity.GroupRequested(g, true,
        T0), new SecurityGroupEntity.QuotaHeld(id, T0)));
    apply(id, created);
    assertEquals(List.of("Creating"), column("SELECT phase FROM security_group_list"));
    assertTrue(column("SELECT id FROM security_group_rule_list").isEmpty(), "no rules before the group is there");

    SecurityGroupRule ssh = SecurityGroupRules.checked("r-ssh", new SecurityGroupRules.Asked(id, "p1", "ingress",
        Optional.empty(), Optional.of("tcp"), Optional.of(22), Optional.of(22), Optional.empty(), Optional.empty(), ""),
        T0);
    List<SecurityGroupEntity.Event> more = new ArrayList<>();
    g.rules().forEach(r -> more.add(new SecurityGroupEntity.QuotaHeld(r.id(), T0)));
    more.add(new SecurityGroupEntity.RuleRequested(ssh, T0));
    more.add(new SecurityGroupEntity.QuotaHeld("r-ssh", T0));
    more.add(new SecurityGroupEntity.MemberJoined("port1", List.of("10.0.0.5"), T0));
    apply(id, more);
    assertEquals(List.of("Active"), column("SELECT phase FROM security_group_list"));
    assertEquals(List.of("tcp"), column("SELECT protocol FROM security_group_rule_list WHERE direction = 'ingress'"));
    assertEquals(3, column("SELECT id FROM security_group_rule_list WHERE security_group_id = '" + id + "'").size());

    SecurityGroupEntity.State entity = new SecurityGroupEntity.NoGroup();
    created.addAll(more);
    for (SecurityGroupEntity.Event e : created) entity = SecurityGroupEntity.next(entity, e);
    assertEquals(entity, ReadSideRows.byId(c, "security_group_list", id, SecurityGroupListProjection.Row.class)
        .orElseThrow().state());

    apply(id, List.of(new SecurityGroupEntity.MemberLeft("port1", T0), new SecurityGroupEntity.GroupDeleted(T0)));
    assertEquals(List.of("Deleting"), column("SELECT phase FROM security_group_list"), "kept for its last events");
    assertTrue(column("SELECT id FROM security_group_rule_list").isEmpty());
    List<String> held = ((SecurityGroupEntity.Existing) SecurityGroupEntity.next(entity,
        new SecurityGroupEntity.GroupDeleted(T0))).quota().releasing();
    apply(id, List.of(new SecurityGroupEntity.QuotaReleased(held, T0)));
    assertTrue(column("SELECT id FROM security_group_list").isEmpty());
  }
}
