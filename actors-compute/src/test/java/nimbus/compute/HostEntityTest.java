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
        new Resources(2, 1024, 10), 2.0, 1.0, 1.0)));
  }

  private StatusReply<Done> claim(String server, int vcpus, int ram) {
    return kit.<StatusReply<Done>>runCommand(r -> new HostEntity.Claim(server, new Resources(vcpus, ram, 1), r)).reply();
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
  void aRepeatedClaimTakesNothingMore() {
    assertTrue(claim("a", 1, 1024).isSuccess());
    var again = kit.<StatusReply<Done>>runCommand(r -> new HostEntity.Claim("a", new Resources(1, 1024, 1), r));
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
