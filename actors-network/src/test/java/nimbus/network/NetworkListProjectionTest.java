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
 * The network and port projections' handlers on a real H2 database: what they list is what the
 * entities hold (the same functions applied to the same events), and only usable resources.
 */
class NetworkListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;
  private long offset;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:nets-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE projection_offset_store (projection_name VARCHAR(255), projection_key VARCHAR(255),"
          + " current_offset VARCHAR(255))");
    }
    NetworkListProjection.createTables(c);
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
  void aNetworkIsListedOnceActiveWithItsSubnetsAndGoesWhenGone() throws Exception {
    String id = UUID.randomUUID().toString();
    Network requested = Network.requested(id, "p1", new NetworkAttributes("blue", "", true, false, false, true,
        List.of(), List.of()), new Segment(NetworkType.VXLAN, Optional.empty(), Optional.empty()), 1450, T0);
    Subnet subnet = new Subnet("s1", id, "p1", "blue-v4", "", 4, "10.0.0.0/24", Optional.of("10.0.0.1"),
        Subnet.defaultPools(IpNet.parse("10.0.0.0/24"), IpNet.Address.parse("10.0.0.1")), true, List.of(), List.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), List.of(), T0, T0, 0);
    List<NetworkEntity.Event> events = List.of(new NetworkEntity.NetworkRequested(requested, T0),
        new NetworkEntity.NetworkQuotaHeld(T0), new NetworkEntity.SegmentAllocated(5, T0),
        new NetworkEntity.SubnetRequested(subnet, T0), new NetworkEntity.SubnetAdded("s1", T0));
    NetworkListProjection.Networks handler = new NetworkListProjection.Networks(c -> { });
    ReadSideSession session = new ReadSideSession(c);
    handler.process(session, List.of(envelope("Network|" + id, events.get(0)), envelope("Network|" + id, events.get(1))));
    session.commit();
    assertEquals(List.of("CREATING"), column("SELECT phase FROM network_list"));
    session = new ReadSideSession(c);
    handler.process(session, events.subList(2, events.size()).stream().map(e -> envelope("Network|" + id, e)).toList());
    session.commit();
    assertEquals(List.of("ACTIVE"), column("SELECT phase FROM network_list"));
    assertEquals(List.of("10.0.0.0/24"), column("SELECT cidr FROM subnet_list WHERE network_id = '" + id + "'"));

    NetworkEntity.State entity = new NetworkEntity.NoNetwork();
    for (NetworkEntity.Event e : events) entity = NetworkEntity.next(entity, e);
    assertEquals(((NetworkEntity.Existing) entity).network(),
        ReadSideRows.byId(c, "network_list", id, Network.class).orElseThrow());

    List<NetworkEntity.Event> delete = List.of(new NetworkEntity.NetworkDeleted(T0),
        new NetworkEntity.QuotaReleased(List.of(id, "s1"), T0), new NetworkEntity.SegmentReleased(T0));
    session = new ReadSideSession(c);
    handler.process(session, delete.stream().map(e -> envelope("Network|" + id, e)).toList());
    session.commit();
    assertTrue(column("SELECT id FROM network_list").isEmpty());
    assertTrue(column("SELECT id FROM subnet_list").isEmpty());
  }

  @Test
  void aPortIsListedWithItsAddressesOnceReadyAndGoesWhenReleased() throws Exception {
    String id = UUID.randomUUID().toString();
    Port requested = Port.requested(id, "n1", "p1", new PortAttributes("web", "", true, "", "", List.of(), true,
        List.of()), Optional.empty(), Optional.empty(), T0);
    Attachment a = new Attachment("p1", "fa:16:3e:00:00:09", List.of(new FixedIp("s1", "10.0.0.9")), "",
        Optional.empty());
    NetworkListProjection.Ports handler = new NetworkListProjection.Ports(c -> { });
    ReadSideSession session = new ReadSideSession(c);
    handler.process(session, List.of(envelope("Port|" + id, new PortEntity.PortRequested(requested, T0)),
        envelope("Port|" + id, new PortEntity.PortQuotaHeld(T0)),
        envelope("Port|" + id, new PortEntity.AddressesAssigned(a, T0))));
    session.commit();
    assertEquals(List.of("READY"), column("SELECT phase FROM port_list"));
    assertEquals(List.of("10.0.0.9"), column("SELECT ip_address FROM port_ips WHERE port_id = '" + id + "'"));
    session = new ReadSideSession(c);
    handler.process(session, List.of(envelope("Port|" + id, new PortEntity.PortDeleted(T0)),
        envelope("Port|" + id, new PortEntity.AddressesReleased(T0))));
    session.commit();
    assertEquals(List.of("RELEASING"), column("SELECT phase FROM port_list"), "kept for its last event, not listed");
    assertTrue(column("SELECT ip_address FROM port_ips").isEmpty());
    session = new ReadSideSession(c);
    handler.process(session, List.of(envelope("Port|" + id, new PortEntity.PortQuotaReleased(T0))));
    session.commit();
    assertTrue(column("SELECT id FROM port_list").isEmpty());
  }
}
