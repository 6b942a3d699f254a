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
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A port's create and delete as persisted steps against scripted claims. */
class PortEntityTest extends EntityTestSupport {
  private final String id = UUID.randomUUID().toString();
  private ScriptedClaims claims;
  private EventSourcedBehaviorTestKit<PortEntity.Command, PortEntity.Event, PortEntity.State> kit;
  private final Attachment attachment = new Attachment("p1", "fa:16:3e:00:00:01",
      List.of(new FixedIp("s1", "10.0.0.5")), "", Optional.empty());

  @BeforeEach
  void fresh() {
    claims = new ScriptedClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        PortEntity.create(id, claims, Duration.ofMillis(100), Clock.systemUTC()));
  }

  private TestProbe<StatusReply<Port>> create() {
    TestProbe<StatusReply<Port>> client = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Create(Port.requested(id, "n1", "p1",
        new PortAttributes("port", "", true, "", "", List.of(), true, List.of()), Optional.empty(), Optional.empty(),
        Instant.now()), client.ref()));
    return client;
  }

  private <S> S awaitState(Class<S> type) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> assertInstanceOf(type, kit.getState()));
  }

  @Test
  void aCreateHoldsQuotaThenTakesItsAddressesAndAnswersWithThem() {
    claims.accept("reserve port " + id);
    claims.answer("attach " + id, attachment);
    Port p = create().receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals("fa:16:3e:00:00:01", p.macAddress());
    assertEquals(attachment.fixedIps(), p.fixedIps());
    assertEquals("DOWN", p.status());
  }

  @Test
  void refusedAddressesGiveTheQuotaBack() {
    claims.accept("reserve port " + id);
    claims.refuse("attach " + id, Rejection.Kind.CONFLICT, "IpAddressGenerationFailure: No more IP addresses");
    assertTrue(create().receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("IpAddressGenerationFailure"));
    claims.accept("detach " + id);
    claims.accept("release [" + id + "]");
    awaitState(PortEntity.Gone.class);
  }

  @Test
  void aDeleteGivesBackAddressesThenQuotaResumingAfterARestart() {
    claims.accept("reserve port " + id);
    claims.answer("attach " + id, attachment);
    create().receiveMessage(Duration.ofSeconds(5));
    TestProbe<StatusReply<Done>> deleter = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Delete(deleter.ref()));
    awaitState(PortEntity.Releasing.class);
    kit.restart();
    TestProbe<StatusReply<Done>> again = testKit.createTestProbe(); // after a crash the client asks again
    kit.runCommand(new PortEntity.Delete(again.ref()));
    claims.accept("detach " + id);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(!((PortEntity.Existing) kit.getState()).port().addressesHeld());
      return null;
    });
    again.expectNoMessage(Duration.ofMillis(300)); // answered once the quota is back too, as Neutron's delete is
    claims.accept("release [" + id + "]");
    assertTrue(again.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    awaitState(PortEntity.Gone.class);
    assertTrue(kit.<StatusReply<Port>>runCommand(PortEntity.Get::new).reply().isError());
  }

  @Test
  void aPortDeletedWhileItIsMadeIsGoneAndNeverJoinsItsGroups() {
    TestProbe<StatusReply<Port>> creator = create(); // its quota goes unanswered: still being made
    awaitState(PortEntity.Creating.class);
    TestProbe<StatusReply<Done>> deleter = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Delete(deleter.ref()));
    assertTrue(creator.receiveMessage(Duration.ofSeconds(5)).isError(), "its create is told it is gone");
    claims.accept("reserve port " + id); // the quota's answer arrives late: nothing follows from it
    claims.answer("attach " + id, attachment);
    claims.accept("detach " + id);
    claims.accept("release [" + id + "]");
    assertTrue(deleter.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    awaitState(PortEntity.Gone.class);
    assertTrue(claims.asked.stream().noneMatch(step -> step.startsWith("join")), claims.asked.toString());
  }

  @Test
  void anAddressChangeIsAStepAndARefusalKeepsTheOldAddresses() {
    claims.accept("reserve port " + id);
    claims.answer("attach " + id, attachment);
    create().receiveMessage(Duration.ofSeconds(5));
    Optional<List<IpRequest>> asked = Optional.of(List.of(new IpRequest(Optional.of("s1"), Optional.of("10.0.0.9"))));
    TestProbe<StatusReply<Port>> client = testKit.createTestProbe();
    kit.runCommand(new PortEntity.ChangeAddresses(Optional.empty(), asked, client.ref()));
    var busy = kit.<StatusReply<Port>>runCommand(r -> new PortEntity.ChangeAddresses(Optional.empty(), asked, r));
    assertTrue(busy.reply().getError().getMessage().contains("PortInUse"), "one change at a time");
    kit.restart(); // the step resumes after a crash
    Attachment moved = new Attachment("p1", "fa:16:3e:00:00:01", List.of(new FixedIp("s1", "10.0.0.9")), "",
        Optional.empty());
    claims.answer("readdress " + id, moved);
    awaitState(PortEntity.Ready.class);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(moved.fixedIps(), ((PortEntity.Existing) kit.getState()).port().fixedIps());
      return null;
    });
    assertEquals(Port.Phase.READY, ((PortEntity.Existing) kit.getState()).port().phase());

    claims.refuse("readdress " + id, nimbus.cluster.Rejection.Kind.CONFLICT, "IpAddressAlreadyAllocated: taken");
    kit.runCommand(new PortEntity.ChangeAddresses(Optional.empty(), asked, client.ref()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("IpAddressAlreadyAllocated"));
    Port kept = ((PortEntity.Existing) kit.getState()).port();
    assertEquals(moved.fixedIps(), kept.fixedIps());
    assertEquals(Port.Phase.READY, kept.phase());
  }

  @Test
  void onlyABoundPortTakesTheHostsReport() {
    claims.accept("reserve port " + id);
    claims.answer("attach " + id, attachment);
    create().receiveMessage(Duration.ofSeconds(5));
    kit.runCommand(new PortEntity.ReportStatus("host-1", "ACTIVE"));
    assertEquals("DOWN", ((PortEntity.Existing) kit.getState()).port().status());
    kit.<StatusReply<Port>>runCommand(to -> new PortEntity.Bind(Optional.of("host-1"), to));
    assertEquals("DOWN", status(), "bound is not yet plugged");
    kit.runCommand(new PortEntity.ReportStatus("host-2", "ACTIVE"));
    assertEquals("DOWN", status(), "another host's report is not heard");
    kit.runCommand(new PortEntity.ReportStatus("host-1", "ACTIVE"));
    assertEquals("ACTIVE", status());
    kit.runCommand(new PortEntity.ReportStatus("host-1", "DOWN"));
    assertEquals("DOWN", status(), "unplugged");
    kit.runCommand(new PortEntity.ReportStatus("host-1", "ACTIVE"));
    // moved: the old host's late report changes nothing, and the port waits for its new host
    kit.<StatusReply<Port>>runCommand(to -> new PortEntity.Bind(Optional.of("host-2"), to));
    assertEquals("DOWN", status(), "not plugged on its new host yet");
    kit.runCommand(new PortEntity.ReportStatus("host-1", "DOWN"));
    kit.runCommand(new PortEntity.ReportStatus("host-1", "ACTIVE"));
    assertEquals("DOWN", status(), "a late report of the old host");
    kit.runCommand(new PortEntity.ReportStatus("host-2", "ACTIVE"));
    assertEquals("ACTIVE", status());
    kit.<StatusReply<Port>>runCommand(to -> new PortEntity.Bind(Optional.empty(), to));
    assertEquals("DOWN", status(), "unbound");
    kit.restart();
    assertEquals("DOWN", status());
  }

  @Test
  void aPortJoinsItsGroupsThenItsNetworkFiltersItAndItLeavesThemWhenDeleted() {
    claims.accept("reserve port " + id);
    claims.answer("attach " + id, attachment);
    TestProbe<StatusReply<Port>> client = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Create(Port.requested(id, "n1", "p1", new PortAttributes("port", "", true, "", "",
        List.of(new PortAttributes.AddressPair("10.0.0.99", "")), true, List.of(), List.of("g1")), Optional.empty(),
        Optional.empty(), Instant.now()), client.ref()));
    awaitState(PortEntity.Ready.class);
    client.expectNoMessage(Duration.ofMillis(300)); // answered once it is in its group
    kit.restart(); // the join is asked again after a crash
    claims.accept("join g1 " + id + " [10.0.0.5, 10.0.0.99]");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((PortEntity.Existing) kit.getState()).port().membershipSettled());
      return null;
    });
    claims.accept("secure " + id + " true [g1]");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((PortEntity.Existing) kit.getState()).port().securitySettled());
      return null;
    });

    // out of its group: it leaves it, and the network stops filtering it by the group
    Port p = ((PortEntity.Existing) kit.getState()).port();
    TestProbe<StatusReply<Port>> updater = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Update(p.attributes().withSecurityGroups(List.of()), updater.ref()));
    updater.expectNoMessage(Duration.ofMillis(300));
    claims.accept("leave g1 " + id);
    assertTrue(updater.receiveMessage(Duration.ofSeconds(5)).getValue().security().joined().isEmpty());
    claims.accept("secure " + id + " true []");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((PortEntity.Existing) kit.getState()).port().securitySettled());
      return null;
    });

    // back in its group, then deleted: the delete is answered once it left the group (so the group
    // can be deleted the moment the port's delete is answered, as in Neutron)
    kit.runCommand(new PortEntity.Update(p.attributes(), updater.ref()));
    claims.accept("join g1 " + id + " [10.0.0.5, 10.0.0.99]");
    updater.receiveMessage(Duration.ofSeconds(5));
    claims.unscript("leave g1 " + id);
    TestProbe<StatusReply<Done>> deleter = testKit.createTestProbe();
    kit.runCommand(new PortEntity.Delete(deleter.ref()));
    claims.accept("detach " + id);
    claims.accept("release [" + id + "]");
    deleter.expectNoMessage(Duration.ofMillis(500));
    claims.accept("leave g1 " + id);
    assertTrue(deleter.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    awaitState(PortEntity.Gone.class);
  }

  @Test
  void neutronsOwnPortsAreNeverFiltered() {
    Port dhcp = Port.requested(id, "n1", "p1", new PortAttributes("", "", true, "", "network:dhcp", List.of(), true,
        List.of(), List.of("g1")), Optional.empty(), Optional.empty(), Instant.now());
    assertEquals(PortSecurity.OFF, dhcp.wantedSecurity());
  }

  private String status() {
    return ((PortEntity.Existing) kit.getState()).port().status();
  }
}
