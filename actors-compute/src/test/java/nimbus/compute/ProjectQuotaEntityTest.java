package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/** A project's quota: all-or-nothing reservations within the limits, idempotent, released on delete. */
class ProjectQuotaEntityTest extends EntityTestSupport {

  private static StatusReply<Done> reserve(
      EventSourcedBehaviorTestKit<ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota> kit,
      Map<String, Resources> servers) {
    return kit.<StatusReply<Done>>runCommand(r -> new ProjectQuotaEntity.Reserve(servers, r)).reply();
  }

  @Test
  void reservesWithinTheLimitsAndRefusesBeyond() {
    var kit = EventSourcedBehaviorTestKit.<ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota>create(
        testKit.system(), ProjectQuotaEntity.create("p-" + System.nanoTime(), new ProjectQuotaEntity.Limits(10, 20, 51200)));
    kit.<StatusReply<ProjectQuotaEntity.Quota>>runCommand(r -> new ProjectQuotaEntity.SetLimits(
        new ProjectQuotaEntity.Limits(2, 4, 1024), r));
    Resources small = new Resources(1, 256, 1);
    assertTrue(reserve(kit, Map.of("a", small)).isSuccess());
    assertTrue(reserve(kit, Map.of("a", small)).isSuccess(), "the same server again takes nothing more");
    StatusReply<Done> two = reserve(kit, Map.of("b", small, "c", small));
    assertEquals(Rejection.Kind.FORBIDDEN, Rejection.from(two.getError()).kind());
    assertEquals("Quota exceeded for instances: Requested 2, but already used 1 of 2 instances",
        Rejection.from(two.getError()).message());
    assertTrue(reserve(kit, Map.of("b", small)).isSuccess());
    kit.<StatusReply<Done>>runCommand(r -> new ProjectQuotaEntity.ReleaseConfirmed(List.of("a"), r));
    kit.restart();
    assertTrue(reserve(kit, Map.of("c", new Resources(3, 256, 1))).isSuccess());
    StatusReply<Done> ram = reserve(kit, Map.of("d", new Resources(0, 2048, 1)));
    assertTrue(Rejection.from(ram.getError()).message().startsWith("Quota exceeded for instances"));
    assertEquals(2, kit.getState().instancesUsed());
    assertEquals(new Resources(4, 512, 2), kit.getState().used());
  }

  @Test
  void clearedLimitsAreTheDefaultsAgainAndWhatIsHeldStays() {
    ProjectQuotaEntity.Limits defaults = new ProjectQuotaEntity.Limits(10, 20, 51200);
    var kit = EventSourcedBehaviorTestKit.<ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota>create(
        testKit.system(), ProjectQuotaEntity.create("p-" + System.nanoTime(), defaults));
    kit.<StatusReply<ProjectQuotaEntity.Quota>>runCommand(r -> new ProjectQuotaEntity.SetLimits(
        new ProjectQuotaEntity.Limits(1, 1, 512), r));
    assertTrue(reserve(kit, Map.of("a", new Resources(1, 256, 1))).isSuccess());
    var cleared = kit.<StatusReply<ProjectQuotaEntity.Quota>>runCommand(ProjectQuotaEntity.ClearLimits::new);
    assertEquals(defaults, cleared.reply().getValue().effective());
    kit.restart();
    assertEquals(defaults, kit.getState().effective());
    assertEquals(1, kit.getState().instancesUsed());
    assertTrue(kit.<StatusReply<ProjectQuotaEntity.Quota>>runCommand(ProjectQuotaEntity.ClearLimits::new)
        .events().isEmpty(), "nothing set, nothing to clear");
  }

  @Test
  void aResizeIsCheckedForItsGrowthOnlyAndAdjustedWhenItEnds() {
    var kit = EventSourcedBehaviorTestKit.<ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota>create(
        testKit.system(), ProjectQuotaEntity.create("p-" + System.nanoTime(), new ProjectQuotaEntity.Limits(10, 4, 4096)));
    assertTrue(reserve(kit, Map.of("a", new Resources(2, 2048, 1))).isSuccess());
    assertTrue(reserve(kit, Map.of("a", new Resources(4, 4096, 1))).isSuccess(), "growing to the limit");
    StatusReply<Done> over = reserve(kit, Map.of("a", new Resources(5, 4096, 1)));
    assertEquals("Quota exceeded for cores: Requested 1, but already used 4 of 4 cores",
        Rejection.from(over.getError()).message());
    kit.<StatusReply<Done>>runCommand(r -> new ProjectQuotaEntity.Adjust("a", new Resources(2, 2048, 1), r));
    assertEquals(new Resources(2, 2048, 1), kit.getState().used());
    assertEquals(1, kit.getState().instancesUsed());
  }
}
