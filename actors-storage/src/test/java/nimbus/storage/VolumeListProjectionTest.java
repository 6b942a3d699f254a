package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ResourceChange;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The volume list projection's handler on a real H2 database: rows equal to the entity's volume
 * after the same events, gone once deleted, and the listing's scope, filters and pages.
 */
class VolumeListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final List<ResourceChange> told = new ArrayList<>();
  private final VolumeListProjection projection = new VolumeListProjection(told::add);
  private Connection c;
  private long offset;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:volumes-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    VolumeListProjection.createTable(c);
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private static Instant at(int second) {
    return T0.plusSeconds(second);
  }

  private static VolumeEntity.VolumeRequested requested(String id, String project, String name, int second) {
    return new VolumeEntity.VolumeRequested(
        Volume.requested(id, project, "u1", name, "", 1, Map.of(), "nova", "__DEFAULT__", at(second)), at(second));
  }

  @SafeVarargs
  private void project(EventEnvelope<VolumeEntity.Event>... batch) throws Exception {
    ReadSideSession session = new ReadSideSession(c);
    projection.process(session, List.of(batch));
    session.commit();
  }

  private EventEnvelope<VolumeEntity.Event> envelope(String id, VolumeEntity.Event event) {
    offset++;
    return EventEnvelope.create(Offset.sequence(offset), "Volume|" + id, offset, event, 0L);
  }

  private static Volume entityAfter(VolumeEntity.Event... events) {
    VolumeEntity.State state = new VolumeEntity.NoVolume();
    for (VolumeEntity.Event e : events) state = VolumeEntity.next(state, e);
    return ((VolumeEntity.Existing) state).volume();
  }

  private List<String> ids(Optional<String> project, Optional<String> status, int limit) throws Exception {
    return VolumeListing.list(c, new VolumeListing.Query(project, Optional.empty(), status, limit)).stream()
        .map(Volume::id).toList();
  }

  @Test
  void aRowIsTheEntitysVolumeAcrossBatchesAndGoesOnceDeleted() throws Exception {
    String id = "v1";
    VolumeEntity.Event[] events = {requested(id, "p1", "a", 0), new VolumeEntity.QuotaHeld(1, at(1)),
        new VolumeEntity.StorageCreated("host-a", at(2)), new VolumeEntity.VolumeUpdated("b", "desc", Map.of("k", "v"), at(3))};
    project(envelope(id, events[0]), envelope(id, events[1]));
    project(envelope(id, events[2]), envelope(id, events[3]));
    assertEquals(Optional.of(entityAfter(events)), ReadSideRows.byId(c, "volume_list", id, Volume.class));
    project(envelope(id, new VolumeEntity.DeleteRequested(at(4))), envelope(id, new VolumeEntity.StorageRemoved(at(5))));
    assertEquals("deleting", ReadSideRows.byId(c, "volume_list", id, Volume.class).orElseThrow().status());
    project(envelope(id, new VolumeEntity.QuotaReleased(at(6))));
    assertEquals(Optional.empty(), ReadSideRows.byId(c, "volume_list", id, Volume.class));
  }

  @Test
  void changesAreToldOnceCommittedAndNeverAfterARollback() throws Exception {
    ReadSideSession rolledBack = new ReadSideSession(c);
    projection.process(rolledBack, List.of(envelope("v1", requested("v1", "p1", "a", 0))));
    rolledBack.rollback();
    ReadSideSession session = new ReadSideSession(c);
    projection.process(session, List.of(envelope("v1", requested("v1", "p1", "a", 0))));
    assertEquals(List.of(), told, "nothing is told before the commit: a list read then would not show it");
    session.commit();
    assertEquals(List.of(ResourceChange.owned("volume", "v1", "p1", false)), told);
    project(envelope("v1", new VolumeEntity.QuotaHeld(1, at(1))), envelope("v1", new VolumeEntity.StorageCreated("host-a", at(2))));
    project(envelope("v1", new VolumeEntity.DeleteRequested(at(4))), envelope("v1", new VolumeEntity.StorageRemoved(at(5))),
        envelope("v1", new VolumeEntity.QuotaReleased(at(6))));
    assertEquals(ResourceChange.owned("volume", "v1", "p1", true), told.get(told.size() - 1));
  }

  @Test
  void aRefusedVolumeIsNeverListed() throws Exception {
    project(envelope("v1", requested("v1", "p1", "a", 0)), envelope("v1", new VolumeEntity.VolumeRefused("quota", at(1))));
    assertEquals(List.of(), ids(Optional.empty(), Optional.empty(), 10));
  }

  @Test
  void listsAreNewestFirstWithinTheProjectFilteredAndLimited() throws Exception {
    project(envelope("v1", requested("v1", "p1", "a", 1)), envelope("v2", requested("v2", "p1", "b", 2)),
        envelope("v3", requested("v3", "p1", "c", 3)), envelope("x1", requested("x1", "p2", "a", 4)));
    project(envelope("v2", new VolumeEntity.QuotaHeld(1, at(5))), envelope("v2", new VolumeEntity.StorageCreated("h", at(6))));
    assertEquals(List.of("v3", "v2", "v1"), ids(Optional.of("p1"), Optional.empty(), 10));
    assertEquals(List.of("x1", "v3", "v2", "v1"), ids(Optional.empty(), Optional.empty(), 10));
    assertEquals(List.of("v2"), ids(Optional.of("p1"), Optional.of("available"), 10));
    assertEquals(List.of("v3", "v2"), ids(Optional.of("p1"), Optional.empty(), 2));
    assertEquals(List.of("v1"), VolumeListing.list(c, new VolumeListing.Query(Optional.of("p1"), Optional.of("a"),
        Optional.empty(), 10)).stream().map(Volume::id).toList());
  }
}
