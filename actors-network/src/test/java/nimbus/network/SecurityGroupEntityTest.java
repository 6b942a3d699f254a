package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A security group's quota steps, rules and members against scripted claims, and what hosts hear of it. */
class SecurityGroupEntityTest extends EntityTestSupport {
  private final String id = UUID.randomUUID().toString();
  private ScriptedClaims claims;
  private EventSourcedBehaviorTestKit<SecurityGroupEntity.Command, SecurityGroupEntity.Event,
      SecurityGroupEntity.State> kit;

  @BeforeEach
  void fresh() {
    claims = new ScriptedClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), SecurityGroupEntity.create(id, claims,
        Duration.ofMillis(100), Clock.systemUTC(), Optional.empty()));
  }

  private SecurityGroup requested() {
    return SecurityGroupEntity.requested(id, "p1", "web", "", true, List.of(), Instant.now());
  }

  private TestProbe<StatusReply<SecurityGroup>> create() {
    TestProbe<StatusReply<SecurityGroup>> client = testKit.createTestProbe();
    kit.runCommand(new SecurityGroupEntity.Create(requested(), client.ref()));
    return client;
  }

  private SecurityGroup created() {
    SecurityGroup g = requested();
    claims.accept("reserve security_group " + id);
    g.rules().forEach(r -> claims.accept("reserve security_group_rule " + r.id()));
    return create().receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  private SecurityGroupRule tcp22(String ruleId) {
    return SecurityGroupRules.checked(ruleId, new SecurityGroupRules.Asked(id, "p1", "ingress", Optional.empty(),
        Optional.of("tcp"), Optional.of(22), Optional.of(22), Optional.of("10.0.0.0/8"), Optional.empty(), ""),
        Instant.now());
  }

  private <S> S awaitState(Class<S> type) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> assertInstanceOf(type, kit.getState()));
  }

  @Test
  void aCreateHoldsTheGroupsAndItsEgressRulesQuotaEvenAcrossARestart() {
    claims.accept("reserve security_group " + id);
    create();
    awaitState(SecurityGroupEntity.Creating.class);
    kit.restart();
    requested().rules().forEach(r -> claims.accept("reserve security_group_rule " + r.id()));
    SecurityGroup g = create().receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals(2, g.rules().size());
    assertTrue(g.rules().stream().allMatch(r -> r.direction().equals("egress")));
    assertEquals(3, ((SecurityGroupEntity.Existing) kit.getState()).quota().held().size());
  }

  @Test
  void aRefusedQuotaRefusesTheCreateAndGivesBackWhatItHeld() {
    claims.refuse("reserve security_group " + id, Rejection.Kind.CONFLICT, "OverQuota: Quota exceeded");
    assertTrue(create().receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("OverQuota"));
    List<String> ids = new java.util.ArrayList<>(List.of(id));
    requested().rules().forEach(r -> ids.add(r.id()));
    claims.accept("release " + ids.stream().sorted().toList());
    awaitState(SecurityGroupEntity.Gone.class);
  }

  @Test
  void aRuleIsAddedOnceItsQuotaIsHeldAndTheSameRuleAgainIsAConflict() {
    created();
    String ruleId = UUID.randomUUID().toString();
    claims.accept("reserve security_group_rule " + ruleId);
    StatusReply<SecurityGroupRule> added = kit.<StatusReply<SecurityGroupRule>>runCommand(
        r -> new SecurityGroupEntity.AddRule(tcp22(ruleId), r)).reply();
    assertTrue(added.isSuccess(), () -> String.valueOf(added));
    TestProbe<StatusReply<SecurityGroupRule>> again = testKit.createTestProbe();
    kit.runCommand(new SecurityGroupEntity.AddRule(tcp22(UUID.randomUUID().toString()), again.ref()));
    String error = again.receiveMessage(Duration.ofSeconds(5)).getError().getMessage();
    assertTrue(error.contains("SecurityGroupRuleExists") && error.contains(ruleId), error);
    assertEquals(3, kit.<StatusReply<SecurityGroup>>runCommand(SecurityGroupEntity.Get::new).reply().getValue()
        .rules().size());
  }

  @Test
  void aRemovedRuleGivesItsQuotaBack() {
    created();
    String ruleId = UUID.randomUUID().toString();
    claims.accept("reserve security_group_rule " + ruleId);
    kit.<StatusReply<SecurityGroupRule>>runCommand(r -> new SecurityGroupEntity.AddRule(tcp22(ruleId), r));
    awaitRules(3);
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.RemoveRule(ruleId, r)).reply().isSuccess());
    claims.accept("release [" + ruleId + "]");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((SecurityGroupEntity.Existing) kit.getState()).quota().releasing().isEmpty());
      return null;
    });
    assertFalse(((SecurityGroupEntity.Existing) kit.getState()).quota().held().contains(ruleId));
  }

  private void awaitRules(int n) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(n, ((SecurityGroupEntity.Existing) kit.getState()).group().rules().size());
      return null;
    });
  }

  @Test
  void membersJoinAndLeaveIdempotentlyAndAGroupInUseCannotBeDeleted() {
    created();
    var join = new SecurityGroupEntity.Join("port1", List.of("10.0.0.5"), testKit.<StatusReply<Done>>createTestProbe().ref());
    kit.runCommand(join);
    int events = kit.runCommand(join).events().size();
    assertEquals(0, events);
    assertEquals(List.of("10.0.0.5"), group().members().get("port1"));
    String refused = kit.<StatusReply<Done>>runCommand(SecurityGroupEntity.Delete::new).reply().getError().getMessage();
    assertTrue(refused.contains("SecurityGroupInUse"), refused);
    kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.Leave("port1", r));
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.Leave("port1", r)).events().isEmpty());
    assertTrue(kit.<StatusReply<Done>>runCommand(SecurityGroupEntity.Delete::new).reply().isSuccess());
    awaitState(SecurityGroupEntity.Deleting.class);
    kit.restart();
    List<String> ids = new java.util.ArrayList<>(((SecurityGroupEntity.Existing) kit.getState()).quota().releasing());
    claims.accept("release " + ids.stream().sorted().toList());
    awaitState(SecurityGroupEntity.Gone.class);
    assertTrue(kit.<StatusReply<SecurityGroup>>runCommand(SecurityGroupEntity.Get::new).reply().getError().getMessage()
        .contains("SecurityGroupNotFound"));
  }

  private SecurityGroup group() {
    return ((SecurityGroupEntity.Existing) kit.getState()).group();
  }

  @Test
  void hostsHearOfEveryChangeOfRulesAndMembersAndOfTheDelete() {
    TestProbe<SecurityGroupChanged> host = testKit.createTestProbe();
    var topic = testKit.spawn(Topic.create(SecurityGroupChanged.class, SecurityGroupChanged.topic(id)));
    topic.tell(Topic.subscribe(host.ref()));
    created();
    kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.Join("port1", List.of("10.0.0.5"), r));
    SecurityGroupChanged joined = host.fishForMessage(Duration.ofSeconds(10),
        m -> m.group().members().containsKey("port1")
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(2, joined.group().rules().size());
    kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.Leave("port1", r));
    kit.<StatusReply<Done>>runCommand(SecurityGroupEntity.Delete::new);
    host.fishForMessage(Duration.ofSeconds(10), m -> m.group().deleted()
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
  }

  @Test
  void theDefaultGroupHoldsNoQuotaLetsItsOwnMembersInAndKeepsItsName() {
    String defaultId = SecurityGroupEntity.defaultGroupId("p9");
    var k = EventSourcedBehaviorTestKit.<SecurityGroupEntity.Command, SecurityGroupEntity.Event,
        SecurityGroupEntity.State>create(testKit.system(), SecurityGroupEntity.create(defaultId, claims,
        Duration.ofMillis(100), Clock.systemUTC(), Optional.empty()));
    SecurityGroup g = k.<StatusReply<SecurityGroup>>runCommand(r -> new SecurityGroupEntity.EnsureDefault("p9", r))
        .reply().getValue();
    assertEquals("default", g.name());
    assertEquals(4, g.rules().size());
    assertEquals(2, g.rules().stream().filter(r -> r.ingress() && r.remoteGroupId().equals(Optional.of(defaultId)))
        .count());
    assertTrue(k.<StatusReply<SecurityGroup>>runCommand(r -> new SecurityGroupEntity.EnsureDefault("p9", r))
        .events().isEmpty());
    String renamed = k.<StatusReply<SecurityGroup>>runCommand(r -> new SecurityGroupEntity.Update(Optional.of("x"),
        Optional.empty(), Optional.empty(), r)).reply().getError().getMessage();
    assertTrue(renamed.contains("SecurityGroupCannotUpdateDefault"), renamed);
    assertTrue(claims.asked.isEmpty());
    assertTrue(k.<StatusReply<SecurityGroup>>runCommand(r -> new SecurityGroupEntity.EnsureDefault("p8", r))
        .reply().isError());
  }

  @Test
  void theReadSideFunctionAgreesWithTheEntity() {
    created();
    kit.<StatusReply<Done>>runCommand(r -> new SecurityGroupEntity.Join("port1", List.of("10.0.0.5"), r));
    SecurityGroupEntity.State replayed = new SecurityGroupEntity.NoGroup();
    for (Object e : kit.persistenceTestKit().persistedInStorage("SecurityGroup|" + id)) {
      replayed = SecurityGroupEntity.next(replayed, (SecurityGroupEntity.Event) e);
    }
    assertEquals(kit.getState(), replayed);
  }

  @Test
  void anotherGroupCannotBeRenamedDefault() {
    created();
    String error = kit.<StatusReply<SecurityGroup>>runCommand(r -> new SecurityGroupEntity.Update(
        Optional.of("default"), Optional.empty(), Optional.empty(), r)).reply().getError().getMessage();
    assertTrue(error.contains("SecurityGroupDefaultAlreadyExists"), error);
  }
}
