package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import nimbus.testing.ManualClock;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/** A project's held uploads: room shared by uploads at once, holds that end, and limits kept across a restart. */
class ImageQuotaEntityTest extends EntityTestSupport {
  private static final long MIB = 1024 * 1024;
  private static final Duration UPLOAD_TIMEOUT = Duration.ofHours(1);
  private final ManualClock clock = new ManualClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
  private final EventSourcedBehaviorTestKit<ImageQuotaEntity.Command, ImageQuotaEntity.Event, ImageQuotaEntity.Holds>
      kit = EventSourcedBehaviorTestKit.create(testKit.system(), ImageQuotaEntity.create("project-a",
          new ImageQuotas.Limits(10 * MIB, 100, 2), UPLOAD_TIMEOUT, clock));

  private StatusReply<Long> hold(String imageId, Map<String, Long> stored) {
    return kit.<StatusReply<Long>>runCommand(r -> new ImageQuotaEntity.Hold(imageId, stored, 8 * MIB, r)).reply();
  }

  private static Rejection.Kind refusal(StatusReply<?> reply) {
    assertTrue(reply.isError(), "refused: " + reply);
    return Rejection.from(reply.getError()).kind();
  }

  @Test
  void uploadsAtOnceShareTheRoomAndTheirNumberIsLimited() {
    assertEquals(8 * MIB, hold("a", Map.of()).getValue(), "at most the largest image");
    assertEquals(2 * MIB, hold("b", Map.of()).getValue(), "what the first left");
    assertEquals(Rejection.Kind.TOO_MANY, refusal(hold("c", Map.of())), "two uploads at once");
    kit.restart();
    assertEquals(Rejection.Kind.TOO_MANY, refusal(hold("c", Map.of())), "the holds outlive a restart");

    kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new ImageQuotaEntity.Release("b", r));
    kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new ImageQuotaEntity.Settle("a", MIB, r));
    assertEquals(8 * MIB, hold("c", Map.of()).getValue(), "a settled upload holds its real size");
    kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new ImageQuotaEntity.Release("c", r));
    assertEquals(Rejection.Kind.TOO_MANY, refusal(hold("d", Map.of("x", 9 * MIB))),
        "the stored images and the settled upload fill the room");
    assertEquals(8 * MIB, hold("d", Map.of("a", MIB)).getValue(), "once the read side counts it, no longer held twice");
  }

  @Test
  void aHoldWhoseUploadNeverEndsLapsesAtTheUploadDeadline() {
    hold("a", Map.of());
    hold("b", Map.of());
    assertEquals(Rejection.Kind.TOO_MANY, refusal(hold("c", Map.of())));
    clock.advance(UPLOAD_TIMEOUT);
    assertEquals(8 * MIB, hold("c", Map.of()).getValue(), "the node that ran them died: their holds lapsed");
    assertEquals(1, kit.getState().byImage().size(), "lapsed holds leave the state");
  }

  @Test
  void aDeletedImagesBytesAreFreeBeforeTheReadSideDropsIt() {
    Map<String, Long> stillListed = Map.of("deleted", 10 * MIB);
    assertEquals(Rejection.Kind.TOO_MANY, refusal(hold("a", stillListed)));
    kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new ImageQuotaEntity.Forget("deleted", r));
    assertEquals(8 * MIB, hold("a", stillListed).getValue());
    kit.restart();
    assertEquals(2 * MIB, hold("b", stillListed).getValue(), "known gone after a restart too");
  }
}
