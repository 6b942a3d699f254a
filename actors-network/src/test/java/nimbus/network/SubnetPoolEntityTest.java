package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subnet pool hands out CIDRs that never overlap, even to many subnets asking at once; takes
 * them back; keeps them over a restart; grows but never shrinks; and cannot go while in use.
 */
class SubnetPoolEntityTest extends EntityTestSupport {
  private final String id = UUID.randomUUID().toString();
  private EventSourcedBehaviorTestKit<SubnetPoolEntity.Command, SubnetPoolEntity.Event, SubnetPoolEntity.State> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), SubnetPoolEntity.create(id, Clock.systemUTC()));
    SubnetPool pool = SubnetPool.checked(id, "p1", "pool", "", List.of("10.10.0.0/16"), Optional.of(24),
        Optional.empty(), Optional.empty(), false, false, Optional.empty(), Instant.now());
    var created = kit.<StatusReply<SubnetPool>>runCommand(r -> new SubnetPoolEntity.Create(pool, r));
    assertTrue(created.reply().isSuccess());
  }

  private StatusReply<String> allocate(String subnetId, Optional<String> cidr, Optional<Integer> prefixlen) {
    return kit.<StatusReply<String>>runCommand(r -> new SubnetPoolEntity.Allocate(subnetId, cidr, prefixlen, r)).reply();
  }

  @Test
  void concurrentAllocationsGetDistinctBlocksUntilThePoolIsFull() throws Exception {
    String poolId = UUID.randomUUID().toString();
    ActorRef<SubnetPoolEntity.Command> pool = testKit.spawn(SubnetPoolEntity.create(poolId, Clock.systemUTC()));
    TestProbe<StatusReply<SubnetPool>> made = testKit.createTestProbe();
    pool.tell(new SubnetPoolEntity.Create(SubnetPool.checked(poolId, "p1", "pool", "",
        List.of("10.20.0.0/22"), Optional.of(26), Optional.empty(), Optional.empty(), false, false, Optional.empty(),
        Instant.now()), made.ref()));
    assertTrue(made.receiveMessage().isSuccess());
    // a /22 holds 16 blocks of /26: 20 subnets asking at once get 16 distinct ones and 4 clean refusals
    List<CompletableFuture<StatusReply<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String subnet = "s" + i;
      CompletionStage<StatusReply<String>> asked = AskPattern.ask(pool,
          r -> new SubnetPoolEntity.Allocate(subnet, Optional.empty(), Optional.empty(), r), Duration.ofSeconds(5),
          testKit.scheduler());
      answers.add(asked.toCompletableFuture());
    }
    List<IpNet> given = new ArrayList<>();
    int refused = 0;
    for (var a : answers) {
      StatusReply<String> reply = a.get();
      if (reply.isSuccess()) {
        given.add(IpNet.parse(reply.getValue()));
      } else {
        refused++;
        assertTrue(reply.getError().getMessage().contains("SubnetAllocationError"), reply.getError().getMessage());
      }
    }
    assertEquals(16, given.size());
    assertEquals(4, refused);
    for (IpNet a : given) {
      assertEquals(26, a.prefix());
      assertTrue(IpNet.parse("10.20.0.0/22").contains(a.at(a.network())));
      assertEquals(1, given.stream().filter(b -> b.overlaps(a)).count(), a + " overlaps another");
    }
  }

  @Test
  void aCidrIsGivenOnceAndComesBackOnRelease() {
    assertEquals("10.10.0.0/24", allocate("a", Optional.empty(), Optional.empty()).getValue());
    assertEquals("10.10.0.0/24", allocate("a", Optional.empty(), Optional.empty()).getValue(), "idempotent by subnet");
    assertEquals("10.10.1.0/24", allocate("b", Optional.empty(), Optional.empty()).getValue());
    // a block asked for by CIDR must be inside and free
    assertTrue(allocate("c", Optional.of("10.10.1.128/25"), Optional.empty()).isError());
    assertTrue(allocate("c", Optional.of("10.11.0.0/24"), Optional.empty()).isError());
    assertEquals("10.10.2.0/23", allocate("c", Optional.of("10.10.2.0/23"), Optional.empty()).getValue());
    // the next /24 skips past the /23
    assertEquals("10.10.4.0/24", allocate("d", Optional.empty(), Optional.of(24)).getValue());
    kit.<StatusReply<Done>>runCommand(r -> new SubnetPoolEntity.Release("a", r));
    assertEquals("10.10.0.0/24", allocate("e", Optional.empty(), Optional.empty()).getValue());
    // below the pool's minimum (/8) is refused with Neutron's error
    StatusReply<String> tooBig = allocate("f", Optional.empty(), Optional.of(4));
    assertTrue(tooBig.getError().getMessage().contains("MinPrefixSubnetAllocationError"));
  }

  @Test
  void allocationsSurviveARestart() {
    allocate("a", Optional.empty(), Optional.empty());
    kit.restart();
    assertEquals("10.10.1.0/24", allocate("b", Optional.empty(), Optional.empty()).getValue());
    var state = assertInstanceOf(SubnetPoolEntity.Active.class, kit.getState());
    assertEquals(2, state.pool().allocations().size());
  }

  @Test
  void prefixesOnlyGrowAndAPoolInUseCannotGo() {
    var shrink = kit.<StatusReply<SubnetPool>>runCommand(r -> new SubnetPoolEntity.Update(changes(
        List.of("10.10.0.0/17")), r)).reply();
    assertTrue(shrink.getError().getMessage().contains("IllegalSubnetPoolPrefixUpdate"));
    var grow = kit.<StatusReply<SubnetPool>>runCommand(r -> new SubnetPoolEntity.Update(changes(
        List.of("10.10.0.0/16", "10.10.0.0/17", "10.30.0.0/16")), r)).reply();
    assertEquals(List.of("10.10.0.0/16", "10.30.0.0/16"), grow.getValue().prefixes());
    allocate("a", Optional.empty(), Optional.empty());
    var inUse = kit.<StatusReply<Done>>runCommand(SubnetPoolEntity.Delete::new).reply();
    assertTrue(inUse.getError().getMessage().contains("SubnetPoolInUse"));
    kit.<StatusReply<Done>>runCommand(r -> new SubnetPoolEntity.Release("a", r));
    assertTrue(kit.<StatusReply<Done>>runCommand(SubnetPoolEntity.Delete::new).reply().isSuccess());
    assertTrue(kit.<StatusReply<SubnetPool>>runCommand(SubnetPoolEntity.Get::new).reply().getError().getMessage()
        .contains("SubnetPoolNotFound"));
    assertFalse(allocate("b", Optional.empty(), Optional.empty()).isSuccess());
  }

  @Test
  void theReadSideFunctionAgreesWithTheEntity() {
    allocate("a", Optional.empty(), Optional.empty());
    kit.<StatusReply<SubnetPool>>runCommand(r -> new SubnetPoolEntity.Update(changes(List.of("10.0.0.0/8")), r));
    SubnetPoolEntity.State replayed = new SubnetPoolEntity.NoPool();
    for (Object e : kit.persistenceTestKit().persistedInStorage("SubnetPool|" + id)) {
      replayed = SubnetPoolEntity.next(replayed, (SubnetPoolEntity.Event) e);
    }
    assertEquals(kit.getState(), replayed);
  }

  @Test
  void commandsAndEventsSurviveSerialization() throws Exception {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(testKit.system());
    SubnetPool pool = SubnetPool.checked(id, "p1", "pool", "", List.of("10.10.0.0/16"), Optional.of(24),
        Optional.empty(), Optional.empty(), true, true, Optional.of(5), Instant.now());
    for (Object o : List.<Object>of(new SubnetPoolEntity.PoolCreated(pool, Instant.now()), changes(List.of("10.0.0.0/8")),
        new SubnetPool.Changes(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.of(false), Optional.empty(), true, Optional.of(List.of("t"))))) {
      byte[] bytes = serialization.serialize(o).get();
      Object back = serialization.deserialize(bytes, serialization.findSerializerFor(o).identifier(),
          serialization.serializerFor(o.getClass()) instanceof org.apache.pekko.serialization.SerializerWithStringManifest m
              ? m.manifest(o) : o.getClass().getName()).get();
      assertEquals(o, back);
    }
  }

  private static SubnetPool.Changes changes(List<String> prefixes) {
    return new SubnetPool.Changes(Optional.empty(), Optional.empty(), Optional.of(prefixes), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty());
  }
}
