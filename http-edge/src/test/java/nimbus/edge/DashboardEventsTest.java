package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which hosts an admin's stream tells of: those whose state flipped between two looks. */
class DashboardEventsTest {

  @Test
  void onlyAKnownHostWhoseStateFlippedIsTold() {
    Map<String, Boolean> before = Map.of("a", true, "b", false, "c", true);
    Map<String, Boolean> now = Map.of("a", false, "b", true, "c", true, "new", true);
    assertEquals(List.of("a", "b"), DashboardEvents.flipped(before, now));
    assertEquals(List.of(), DashboardEvents.flipped(now, now));
    // a host no longer known is not told: its entity's own changes are
    assertEquals(List.of(), DashboardEvents.flipped(before, Map.of()));
  }
}
