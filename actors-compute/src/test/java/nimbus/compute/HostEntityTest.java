package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Capacity claims on one host: within inventory times ratio, idempotent, surviving restarts. */
class HostEntityTest extends EntityTestSupport {
  private final List<HostSummary> published = new CopyOnWriteArrayList<>();
  private EventSourcedBehaviorTestKit<HostEntity.Command, HostEntity.Event, HostEntity.State> kit;

  @BeforeEach
  void fresh() {
    published.clear();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        HostEntity.create("h" + System.nanoTime(), published::add));
    // 2 CPUs x 2.0, 1024 MiB x 1.0, 10 GiB
    kit.runCommand(new HostEntity.ReportInventory(new HostInventory("QEMU", 1, "10.0.0.1",
        new Resources(2, 1024, 10), 2.0, 1.0, 1.0, "nova")));
  }

  private StatusReply<Done> claim(String server, int vcpus, int ram) {
    return kit.<StatusReply<Done>>runCommand(r -> new HostEntity.Claim(server, new Resources(vcpus, ram, 1), java.util.Optional.empty(), r)).reply();
  }

  private StatusReply<Done> claimIn(String server, String group) {
    return kit.<StatusReply<Done>>runCommand(r -> new HostEntity.Claim(server, new Resources(1, 1, 1),
        java.util.Optional.of(new Placement("p", group, Placement.ANTI_AFFINITY)), r)).reply();
  }

  @Test
  void claimsUpToCapacityAndRefusesBeyond() {
    assertTrue(claim("a", 2, 512).isSuccess());
    assertTrue(claim("b", 2, 512).isSuccess());
    StatusReply<Done> refused = claim("c", 1, 1);
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(refused.getError()).kind());
    assertTrue(Rejection.from(refused.getError()).message().contains("RAM"));
    HostSummary last = published.get(published.size() - 1);
    assertEquals(new Resources(4, 1024, 2), last.used());
    assertEquals(2, last.servers());
    assertEquals(new Resources(4, 1024, 10), last.capacity());
  }

  @Test
  void aClaimOfOtherResourcesResizesWhatTheServerHolds() {
    assertTrue(claim("a", 1, 512).isSuccess());
    assertTrue(claim("a", 2, 1024).isSuccess(), "growing by what is free");
    assertEquals(new Resources(2, 1024, 1), published.get(published.size() - 1).used());
    assertTrue(claim("a", 3, 2048).isError(), "growing past the capacity");
    assertTrue(claim("a", 1, 256).isSuccess(), "shrinking always fits");
    assertEquals(new Resources(1, 256, 1), published.get(published.size() - 1).used());
    assertEquals(1, published.get(published.size() - 1).servers());
  }

  @Test
  void twoMembersOfAnAntiAffinityGroupNeverShareTheHost() {
    assertTrue(claimIn("a", "g1").isSuccess());
    StatusReply<Done> second = claimIn("b", "g1");
    assertTrue(Rejection.from(second.getError()).message().contains("anti-affinity"));
    assertTrue(claimIn("a", "g1").isSuccess(), "the member itself may claim again");
    assertTrue(claimIn("c", "g2").isSuccess(), "another group is no obstacle");
    assertEquals(java.util.Set.of("g1", "g2"), published.get(published.size() - 1).groups());
    kit.runCommand(new HostEntity.Release("a"));
    kit.restart();
    assertTrue(claimIn("b", "g1").isSuccess(), "once the member left, another may come");
  }

  @Test
  void aRepeatedClaimTakesNothingMore() {
    assertTrue(claim("a", 1, 1024).isSuccess());
    var again = kit.<StatusReply<Done>>runCommand(r -> new HostEntity.Claim("a", new Resources(1, 1024, 1), java.util.Optional.empty(), r));
    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void releaseFreesCapacityAndClaimsSurviveARestart() {
    assertTrue(claim("a", 1, 1024).isSuccess());
    kit.restart();
    assertTrue(claim("b", 1, 1).isError());
    kit.runCommand(new HostEntity.Release("a"));
    assertTrue(claim("b", 1, 1).isSuccess());
    var allocations = kit.<StatusReply<HostEntity.Allocations>>runCommand(HostEntity.GetAllocations::new);
    assertEquals(List.of("b"), allocations.reply().getValue().serverIds());
  }
}
