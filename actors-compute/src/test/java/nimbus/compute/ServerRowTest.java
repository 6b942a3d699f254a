package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The read side's row follows every event the way the server entity shows it. */
class ServerRowTest {
  private final Instant t = Instant.parse("2026-01-01T00:00:00Z");
  private final ServerSpec spec = new ServerSpec("web", "p", "u", Flavor.byId("1").orElseThrow(),
      BootSource.none("img"), Map.of(), java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty());

  private ServerRow after(List<ServerEntity.Event> events) {
    ServerRow row = ServerRow.requested(new ServerEntity.ServerRequested("id", spec, t));
    for (ServerEntity.Event e : events) row = row.apply(e);
    return row;
  }

  @Test
  void followsALifeFromRequestToDeletion() {
    assertEquals("BUILD", after(List.of()).status());
    assertEquals(Optional.of(Task.SPAWNING), after(List.of(new ServerEntity.HostSelected("h", t))).task());
    ServerRow active = after(List.of(new ServerEntity.HostSelected("h", t),
        new ServerEntity.ServerActivated("h", PowerState.RUNNING, t)));
    assertEquals("ACTIVE", active.status());
    assertEquals(Optional.of("h"), active.host());
    assertEquals("REBOOT", active.apply(new ServerEntity.RebootRequested(false, t)).status());
    assertEquals("HARD_REBOOT", active.apply(new ServerEntity.RebootRequested(true, t)).status());
    ServerRow stopped = active.apply(new ServerEntity.StopRequested(t))
        .apply(new ServerEntity.ServerStopped(PowerState.SHUTDOWN, t));
    assertEquals("SHUTOFF", stopped.status());
    assertEquals(PowerState.SHUTDOWN, stopped.power());
    ServerRow failedStart = stopped.apply(new ServerEntity.StartRequested(t))
        .apply(new ServerEntity.TaskFailed(Task.POWERING_ON, "host down", t));
    assertEquals("SHUTOFF", failedStart.status());
    assertEquals(Optional.empty(), failedStart.task());
    assertEquals("DELETED", stopped.apply(new ServerEntity.DeleteRequested(t))
        .apply(new ServerEntity.ServerDeleted(t)).status());
  }

  @Test
  void aFailedBuildCarriesItsFault() {
    ServerRow row = after(List.of(new ServerEntity.BuildFailed("No valid host was found.", t)));
    assertEquals("ERROR", row.status());
    assertEquals("No valid host was found.", row.view().fault().orElseThrow().message());
  }

  @Test
  void aResizeShowsItsStatusesAndTheNewFlavor() {
    Flavor small = Flavor.byId("2").orElseThrow();
    List<ServerEntity.Event> events = List.of(new ServerEntity.HostSelected("h", t),
        new ServerEntity.ServerActivated("h", PowerState.RUNNING, t),
        new ServerEntity.ResizeRequested(small, t));
    assertEquals("RESIZE", after(events).status());
    ServerRow verifying = after(append(events, new ServerEntity.ResizeClaimed(t),
        new ServerEntity.ServerResized(small, PowerState.RUNNING, java.util.Optional.of("h2"), t)));
    assertEquals("VERIFY_RESIZE", verifying.status());
    assertEquals("2", verifying.spec().flavor().id());
    assertEquals(java.util.Optional.of("h2"), verifying.host(), "it moved");
    assertEquals("ACTIVE", verifying.apply(new ServerEntity.ResizeConfirmed(t)).status());
    ServerRow reverted = verifying.apply(new ServerEntity.RevertRequested(t))
        .apply(new ServerEntity.ResizeReverted(spec.flavor(), PowerState.RUNNING, java.util.Optional.of("h"), t));
    assertEquals("ACTIVE", reverted.status());
    assertEquals("1", reverted.spec().flavor().id());
    assertEquals(java.util.Optional.of("h"), reverted.host(), "back where it came from");
  }

  private static List<ServerEntity.Event> append(List<ServerEntity.Event> events, ServerEntity.Event... more) {
    List<ServerEntity.Event> all = new java.util.ArrayList<>(events);
    all.addAll(List.of(more));
    return all;
  }
}
