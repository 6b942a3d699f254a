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
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router and floating IP projections' handlers on a real H2 database: they list what the
 * entities hold (the same functions over the same events), only usable ones, with each router's host.
 */
class L3ListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;
  private long offset;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:l3-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE projection_offset_store (projection_name VARCHAR(255), projection_key VARCHAR(255),"
          + " current_offset VARCHAR(255))");
    }
    RouterListProjection.createTables(c);
    FloatingIpListProjection.createTables(c);
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private <E> EventEnvelope<E> envelope(String pid, E event) {
    offset++;
    return EventEnvelope.create(Offset.sequence(offset), pid, offset, event, 0L);
  }

  private List<String> column(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return out;
  }

  @Test
  void aRouterIsListedOnceUsableWithItsHostAndGoesWhenGone() throws Exception {
    String id = UUID.randomUUID().toString();
    String pid = "Router|" + id;
    Router router = new Router(id, "p1", "r1", "", true, "BUILD", Optional.empty(), Optional.empty(), List.of(),
        List.of(), List.of(), List.of(), List.of(), T0, T0, 0, false);
    RouterListProjection handler = new RouterListProjection(c -> { });
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new RouterEntity.RouterRequested(router,
        Optional.empty(), T0))));
    assertEquals(List.of("CREATING"), column("SELECT phase FROM router_list"));
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new RouterEntity.RouterQuotaHeld(T0)),
        envelope(pid, new RouterEntity.RouterPlaced("h1", T0))));
    assertEquals(List.of("ACTIVE"), column("SELECT phase FROM router_list"));
    assertEquals(List.of("h1"), column("SELECT host FROM router_list"));
    assertEquals(List.of("ACTIVE"), column("SELECT status FROM router_list"));
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new RouterEntity.RouterDeleted(T0))));
    assertEquals(List.of("DELETING"), column("SELECT phase FROM router_list"));
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new RouterEntity.RouterQuotaReleased(T0))));
    assertTrue(column("SELECT id FROM router_list").isEmpty());
  }

  @Test
  void aFloatingIpIsListedWithItsAddressPortAndRouter() throws Exception {
    String id = UUID.randomUUID().toString();
    String pid = "FloatingIp|" + id;
    FloatingIpListProjection handler = new FloatingIpListProjection(c -> { });
    handler.process(new ReadSideSession(c), List.of(
        envelope(pid, new FloatingIpEntity.FloatingIpRequested(FloatingIp.requested(id, "p1", "ext", Optional.empty(),
            Optional.empty(), "", Optional.of(new FloatingIp.Association("port-a", "10.0.0.5", "r1")), T0), T0)),
        envelope(pid, new FloatingIpEntity.FloatingIpQuotaHeld(T0)),
        envelope(pid, new FloatingIpEntity.AddressAssigned("s1", "172.24.0.9", T0))));
    assertEquals(List.of("172.24.0.9"), column("SELECT floating_ip_address FROM floatingip_list"));
    assertEquals(java.util.Collections.singletonList(null), column("SELECT port_id FROM floatingip_list"), "not associated until the router knows");
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new FloatingIpEntity.Associated(T0))));
    assertEquals(List.of("port-a"), column("SELECT port_id FROM floatingip_list"));
    assertEquals(List.of("r1"), column("SELECT router_id FROM floatingip_list"));
    handler.process(new ReadSideSession(c), List.of(envelope(pid, new FloatingIpEntity.FloatingIpReleased(T0)),
        envelope(pid, new FloatingIpEntity.RouterLeft(T0)), envelope(pid, new FloatingIpEntity.FloatingPortDeleted(T0)),
        envelope(pid, new FloatingIpEntity.FloatingIpQuotaReleased(T0))));
    assertTrue(column("SELECT id FROM floatingip_list").isEmpty());
  }
}
