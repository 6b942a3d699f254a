package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.Rejection;
import nimbus.storage.Image;
import nimbus.storage.ImageMetadata;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server list projection and the server entity agree: generated histories (every event
 * type, in every order the entity's state function accepts) go through the projection's handler
 * on a real H2 database, in batches of random sizes, and each stored row shows what the entity
 * shows after the same events.
 */
class ServerListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:list-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE projection_offset_store (projection_name VARCHAR(255), projection_key VARCHAR(255),"
          + " current_offset VARCHAR(255))");
    }
    ServerListProjection.createTable(c);
  }

  /** One event of every type, with values that fit the generated server. */
  private static List<ServerEntity.Event> everyEvent(Random random, Instant at) {
    Flavor flavor = Flavor.byId(random.nextBoolean() ? "2" : "3").orElseThrow();
    PowerState power = random.nextBoolean() ? PowerState.RUNNING : PowerState.SHUTDOWN;
    Optional<String> moved = random.nextBoolean() ? Optional.of("host-b") : Optional.empty();
    String imageId = "snap-" + random.nextInt(100);
    Optional<Image> image = random.nextBoolean() ? Optional.empty() : Optional.of(new Image(imageId, "p", "queued",
        new ImageMetadata("snap", "qcow2", "bare", "private", false, 1, 0, Map.of("image_type", "snapshot"), List.of()),
        Optional.empty(), Optional.empty(), at, at, Map.of()));
    ServerPort port = new ServerPort("port-" + random.nextInt(100), "net", "private", "fa:16:3e:00:00:01",
        List.of(new nimbus.network.FixedIp("sub", "10.0.0." + (2 + random.nextInt(200)))), true, Optional.empty());
    Optional<String> request = Optional.of("req-" + random.nextInt(100));
    String volume = "vol-" + random.nextInt(3);
    return List.of(new ServerEntity.PortsAllocated(List.of(port), at), new ServerEntity.PortsBound("host-a", at),
        new ServerEntity.NicAttachRequested(NicRequest.onNetwork("net", Optional.empty()), "nic-" + random.nextInt(9), request, at),
        new ServerEntity.NicAllocated(port, at), new ServerEntity.NicBound(at), new ServerEntity.NicAttached(at),
        new ServerEntity.NicAttachFailed("the host said no", at), new ServerEntity.NicDetachRequested(port.portId(), request, at),
        new ServerEntity.NicDetached(at), new ServerEntity.NicReleased(at),
        new ServerEntity.VolumeAttachRequested(volume, "att-" + volume, "/dev/vdb", request, at),
        new ServerEntity.VolumeReserved("host-a", at), new ServerEntity.VolumeExported("/pool/" + volume, at),
        new ServerEntity.VolumePluggedIn(at), new ServerEntity.VolumeAttached(at),
        new ServerEntity.VolumeAttachFailed("the volume is in use", at),
        new ServerEntity.VolumeDetachRequested(volume, request, at), new ServerEntity.VolumeDetachBegun(at),
        new ServerEntity.VolumeUnpluggedOut(at), new ServerEntity.VolumeReleased(at),
        new ServerEntity.HostSelected("host-a", at), new ServerEntity.HostClaimed("host-a", at),
        new ServerEntity.HostRejected("host-a", "no room", random.nextBoolean(), at),
        new ServerEntity.ServerActivated("host-a", PowerState.RUNNING, at),
        new ServerEntity.BuildFailed("No valid host was found.", at),
        new ServerEntity.BootVolumeCreated(at), new ServerEntity.BuildVolumesReleased(at),
        new ServerEntity.StopRequested(request, at), new ServerEntity.ServerStopped(PowerState.SHUTDOWN, at),
        new ServerEntity.StartRequested(request, at), new ServerEntity.ServerStarted(at),
        new ServerEntity.RebootRequested(random.nextBoolean(), request, at), new ServerEntity.ServerRebooted(at),
        new ServerEntity.PauseRequested(request, at), new ServerEntity.ServerPaused(at),
        new ServerEntity.UnpauseRequested(request, at), new ServerEntity.ServerUnpaused(at),
        new ServerEntity.SuspendRequested(request, at), new ServerEntity.ServerSuspended(at),
        new ServerEntity.ResumeRequested(request, at), new ServerEntity.ServerResumed(at),
        new ServerEntity.ServerLocked(random.nextBoolean(), request, at), new ServerEntity.ServerUnlocked(request, at),
        new ServerEntity.ServerRenamed("renamed-" + random.nextInt(100), at),
        new ServerEntity.AccessAddressesChanged(new AccessAddresses(Optional.of("192.0.2." + random.nextInt(200)),
            random.nextBoolean() ? Optional.of("2001:db8::" + random.nextInt(200)) : Optional.empty()), at),
        new ServerEntity.MetadataChanged(Map.of("role", "r" + random.nextInt(9)), at),
        new ServerEntity.DescriptionChanged(random.nextBoolean() ? Optional.of("d" + random.nextInt(9)) : Optional.empty(), at),
        new ServerEntity.TagsChanged(random.nextBoolean() ? List.of("t" + random.nextInt(9), "u") : List.of(), at),
        new ServerEntity.CrashDumpRequested(request, at), new ServerEntity.CrashDumpUnsupported(at),
        new ServerEntity.RebuildRequested(BootSource.none("img-2"), Optional.of("rebuilt"), request, at),
        new ServerEntity.ServerRebuilt(at),
        new ServerEntity.TaskFailed(Task.POWERING_OFF, "the host said no", at),
        new ServerEntity.SnapshotRequested(imageId, image, request, at), new ServerEntity.SnapshotImageCreated(at),
        new ServerEntity.SnapshotRefused(Rejection.Kind.CONFLICT, "no image", at),
        new ServerEntity.ServerSnapshotted(at), new ServerEntity.SnapshotImageDiscarded(at),
        new ServerEntity.ResizeRequested(flavor, request, at), new ServerEntity.ResizeQuotaHeld(at),
        new ServerEntity.ResizeRefused(Rejection.Kind.FORBIDDEN, "Quota exceeded", at),
        new ServerEntity.ResizeTargetSelected("host-b", at), new ServerEntity.ResizeSettled(at),
        new ServerEntity.ResizeClaimed(at), new ServerEntity.DiskCopied(Optional.of("ab".repeat(64)), at),
        new ServerEntity.ServerResized(flavor, power, moved, at), new ServerEntity.ResizeFailed("no room", at),
        new ServerEntity.ResizeConfirmed(request, at), new ServerEntity.RevertRequested(request, at),
        new ServerEntity.ResizeReverted(Flavor.byId("1").orElseThrow(), power, moved, at),
        new ServerEntity.DeleteRequested(request, at), new ServerEntity.ServerDeleted(at), new ServerEntity.ServerReleased(at));
  }

  /** A history the entity accepts: each event one its state function takes in the phase it is in. */
  private static List<ServerEntity.Event> history(String id, Random random, Set<Class<?>> seen) {
    BootSource boot = random.nextBoolean() ? BootSource.none("img-1")
        : BootSource.fromVolume(BootVolume.existing("vol-boot", random.nextBoolean()));
    ServerSpec spec = new ServerSpec("gen", "p", "u", Flavor.byId("1").orElseThrow(), boot,
        Map.of(), Optional.empty(), Optional.empty(), Optional.empty());
    List<ServerEntity.Event> events = new ArrayList<>(List.of(new ServerEntity.ServerRequested(id, spec, Optional.of("req-" + id), T0)));
    ServerEntity.State state = ServerEntity.next(new ServerEntity.NoServer(), events.get(0));
    for (int step = 1; step < 40; step++) {
      List<ServerEntity.Event> accepted = new ArrayList<>();
      for (ServerEntity.Event e : everyEvent(random, T0.plus(Duration.ofSeconds(step)))) {
        boolean deletion = e instanceof ServerEntity.DeleteRequested || e instanceof ServerEntity.ServerDeleted
            || e instanceof ServerEntity.ServerReleased;
        if (deletion && step < 30) continue; // deleted early, a history would show little else
        try {
          ServerEntity.next(state, e);
          accepted.add(e);
        } catch (RuntimeException notInThisPhase) {
          // the entity never persists it here
        }
      }
      if (accepted.isEmpty()) break; // deleted
      ServerEntity.Event event = accepted.get(random.nextInt(accepted.size()));
      state = ServerEntity.next(state, event);
      events.add(event);
      seen.add(event.getClass());
    }
    return events;
  }

  @Test
  void theProjectionAndTheEntityAgreeOnEveryGeneratedHistory() throws Exception {
    Random random = new Random(7);
    Set<Class<?>> seen = new HashSet<>();
    Map<String, List<ServerEntity.Event>> histories = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 400; i++) histories.put("s-" + i, history("s-" + i, random, seen));
    // interleave the servers' events as the journal would, then hand them over in random batches
    List<EventEnvelope<ServerEntity.Event>> journal = new ArrayList<>();
    Map<String, Integer> next = new java.util.HashMap<>();
    long offset = 0;
    while (next.size() < histories.size() || next.entrySet().stream().anyMatch(e -> e.getValue() < histories.get(e.getKey()).size())) {
      String id = "s-" + random.nextInt(histories.size());
      int at = next.getOrDefault(id, 0);
      if (at >= histories.get(id).size()) {
        next.putIfAbsent(id, at);
        continue;
      }
      next.put(id, at + 1);
      journal.add(EventEnvelope.create(Offset.sequence(++offset), "Server|" + id, at + 1L, histories.get(id).get(at), 0L));
    }
    Map<String, ServerChange> told = new java.util.HashMap<>();
    ServerListProjection projection = new ServerListProjection(change -> told.put(change.id(), change));
    for (int from = 0; from < journal.size(); ) {
      int to = Math.min(journal.size(), from + 1 + random.nextInt(40));
      ReadSideSession session = new ReadSideSession(c);
      projection.process(session, journal.subList(from, to));
      session.commit();
      from = to;
    }

    for (var entry : histories.entrySet()) {
      ServerEntity.State entity = new ServerEntity.NoServer();
      for (ServerEntity.Event e : entry.getValue()) entity = ServerEntity.next(entity, e);
      ServerRow row = ReadSideRows.byId(c, "server_list", entry.getKey(), ServerRow.class).orElseThrow();
      assertEquals(ServerEntity.view(entity), row.view(), entry.getKey() + " after " + entry.getValue());
      // the last change told of each server is its state after all its events
      assertEquals(ServerChange.of(ServerEntity.view(entity)), told.get(entry.getKey()), entry.getKey());
    }
    Set<Class<?>> types = new HashSet<>(List.of(ServerEntity.class.getDeclaredClasses())).stream()
        .filter(ServerEntity.Event.class::isAssignableFrom).filter(k -> !k.isInterface())
        .filter(k -> k != ServerEntity.ServerRequested.class).collect(java.util.stream.Collectors.toSet());
    assertEquals(types, seen, "the histories hold every event type");
  }

  @Test
  void rowsOfAnEarlierVersionAreRebuiltFromTheJournal() throws Exception {
    try (var st = c.createStatement()) {
      st.execute("INSERT INTO server_list (id, project_id, name, status, created_at, updated_at, row_json)"
          + " VALUES ('old', 'p', 'old', 'ACTIVE', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{\"spec\": {}}')");
      st.execute("INSERT INTO projection_offset_store VALUES ('" + ServerListProjection.NAME + "', 'server', '42')");
    }
    ServerListProjection.createTable(c);
    ServerListProjection.createTable(c); // at every start: harmless once done
    try (var st = c.createStatement()) {
      assertEquals(0, count(st, "SELECT COUNT(*) FROM server_list"), "the old rows go");
      assertEquals(0, count(st, "SELECT COUNT(*) FROM projection_offset_store"), "and the projection starts over");
    }
  }

  private static long count(java.sql.Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
