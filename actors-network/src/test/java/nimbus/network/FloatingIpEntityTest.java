package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A floating IP's address, associations, status reports and release as persisted steps against scripted claims. */
class FloatingIpEntityTest extends EntityTestSupport {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final String id = UUID.randomUUID().toString();
  private ScriptedRouterClaims claims;
  private EventSourcedBehaviorTestKit<FloatingIpEntity.Command, FloatingIpEntity.Event, FloatingIpEntity.State> kit;

  @BeforeEach
  void fresh() {
    claims = new ScriptedRouterClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        FloatingIpEntity.create(id, claims, Duration.ofMillis(100), Clock.systemUTC(), Optional.empty()));
  }

  private FloatingIp created() {
    claims.accept("reserve floatingip " + id);
    claims.ports = p -> ScriptedRouterClaims.made(p, "ext-subnet", "172.24.0.20");
    TestProbe<StatusReply<FloatingIp>> client = testKit.createTestProbe();
    kit.runCommand(new FloatingIpEntity.Create(FloatingIp.requested(id, "p1", "ext", Optional.empty(),
        Optional.empty(), "", Optional.empty(), Instant.now()), client.ref()));
    return client.receiveMessage(WAIT).getValue();
  }

  private FloatingIp associate(Optional<FloatingIp.Association> a) {
    TestProbe<StatusReply<FloatingIp>> client = testKit.createTestProbe();
    kit.runCommand(new FloatingIpEntity.Associate(a, client.ref()));
    return client.receiveMessage(WAIT).getValue();
  }

  private FloatingIp state() {
    return ((FloatingIpEntity.Existing) kit.getState()).floatingIp();
  }

  @Test
  void itTakesAnAddressThroughItsOwnPortAndIsDownUntilItsRoutersHostSaysOtherwise() {
    FloatingIp f = created();
    assertEquals("172.24.0.20", f.floatingIpAddress());
    assertEquals("DOWN", f.status());
    Port port = claims.portsAsked.get(0);
    assertEquals(FloatingIpEntity.PORT_OWNER, port.attributes().deviceOwner());
    assertEquals(id, port.attributes().deviceId());

    claims.accept("add fip " + id + " to r1");
    FloatingIp associated = associate(Optional.of(new FloatingIp.Association("port-a", "10.0.0.5", "r1")));
    assertEquals(Optional.of("r1"), associated.routerId());
    TestProbe<StatusReply<Done>> host = testKit.createTestProbe();
    kit.runCommand(new FloatingIpEntity.Report("r0", "ACTIVE", host.ref()));
    host.receiveMessage(WAIT);
    assertEquals("DOWN", state().status(), "a router it does not go through is not heard");
    kit.runCommand(new FloatingIpEntity.Report("r1", "ACTIVE", host.ref()));
    host.receiveMessage(WAIT);
    assertEquals("ACTIVE", state().status());
  }

  @Test
  void movingToAnotherPortLeavesTheOldRouterFirstAndResumesAfterARestart() {
    created();
    claims.accept("add fip " + id + " to r1");
    associate(Optional.of(new FloatingIp.Association("port-a", "10.0.0.5", "r1")));
    TestProbe<StatusReply<FloatingIp>> client = testKit.createTestProbe();
    kit.runCommand(new FloatingIpEntity.Associate(Optional.of(new FloatingIp.Association("port-b", "10.1.0.5", "r2")),
        client.ref()));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(claims.asked.contains("remove fip " + id + " from r1"));
      return null;
    });
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("add fip " + id + " to r2")), "not before r1 let go");
    kit.restart();
    claims.accept("remove fip " + id + " from r1");
    claims.accept("add fip " + id + " to r2");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(Optional.of("r2"), state().routerId());
      assertTrue(state().wanted().isEmpty());
      return null;
    });
    assertEquals("port-b", state().association().get().portId());
  }

  @Test
  void aReleaseLeavesItsRouterThenGivesBackItsPortAndQuota() {
    created();
    claims.accept("add fip " + id + " to r1");
    associate(Optional.of(new FloatingIp.Association("port-a", "10.0.0.5", "r1")));
    TestProbe<StatusReply<Done>> client = testKit.createTestProbe();
    kit.runCommand(new FloatingIpEntity.Release(client.ref()));
    client.expectNoMessage(Duration.ofMillis(300));
    claims.accept("remove fip " + id + " from r1");
    claims.accept("delete " + id);
    claims.accept("release [" + id + "]");
    client.receiveMessage(WAIT).getValue();
    assertInstanceOf(FloatingIpEntity.Gone.class, kit.getState());
  }
}
