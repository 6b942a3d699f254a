package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A router's gateway, interfaces, routes, placement and delete as persisted steps against scripted claims. */
class RouterEntityTest extends EntityTestSupport {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final String id = UUID.randomUUID().toString();
  private ScriptedRouterClaims claims;
  private EventSourcedBehaviorTestKit<RouterEntity.Command, RouterEntity.Event, RouterEntity.State> kit;

  @BeforeEach
  void fresh() {
    claims = new ScriptedRouterClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        RouterEntity.create(id, claims, Duration.ofMillis(100), Clock.systemUTC(), Optional.empty()));
  }

  private TestProbe<StatusReply<Router>> create(boolean withGateway) {
    return create(withGateway, List.of());
  }

  private TestProbe<StatusReply<Router>> create(boolean withGateway, List<String> zoneHints) {
    TestProbe<StatusReply<Router>> client = testKit.createTestProbe();
    Instant now = Instant.now();
    Router r = new Router(id, "p1", "r1", "", true, "BUILD", Optional.empty(), Optional.empty(), List.of(), List.of(),
        List.of(), zoneHints, List.of(), now, now, 0, false);
    kit.runCommand(new RouterEntity.Create(r, withGateway
        ? Optional.of(new RouterEntity.GatewayRequest("ext", true, Optional.empty())) : Optional.empty(), client.ref()));
    return client;
  }

  private RouterState state() {
    return ((RouterEntity.Existing) kit.getState()).router();
  }

  private <S> S awaitState(Class<S> type) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> assertInstanceOf(type, kit.getState()));
  }

  private TestProbe<RouterChanged> listen(String topicName) {
    TestProbe<RouterChanged> probe = testKit.createTestProbe();
    ActorRef<Topic.Command<RouterChanged>> topic = testKit.spawn(Topic.create(RouterChanged.class, topicName));
    topic.tell(Topic.subscribe(probe.ref()));
    return probe;
  }

  @Test
  void aCreateHoldsQuotaMakesItsGatewayPortAndIsPlacedOnAHostThatHearsOfIt() {
    TestProbe<RouterChanged> host = listen(RouterChanged.hostTopic("h1"));
    claims.accept("reserve router " + id);
    claims.ports = p -> ScriptedRouterClaims.made(p, "ext-subnet", "172.24.0.10");
    claims.answer("place", "h1");
    Router made = create(true).receiveMessage(WAIT).getValue();
    assertEquals("172.24.0.10", made.gateway().orElseThrow().fixedIps().get(0).ipAddress());
    assertTrue(made.gateway().get().enableSnat());
    Port gatewayPort = claims.portsAsked.get(0);
    assertEquals(RouterEntity.GATEWAY_OWNER, gatewayPort.attributes().deviceOwner());
    assertEquals(id, gatewayPort.attributes().deviceId());
    // a change published before the subscription reached the topic is not heard: each try changes the router again
    TestProbe<StatusReply<Router>> renamed = testKit.createTestProbe();
    Router placed = host.awaitAssert(WAIT, () -> {
      kit.runCommand(new RouterEntity.Update("r1", "placed", true, renamed.ref()));
      Router r = host.receiveMessage(Duration.ofMillis(500)).router();
      assertEquals(Optional.of("h1"), r.host());
      return r;
    });
    assertEquals("ACTIVE", placed.status());
    // the host survives a restart
    kit.restart();
    assertEquals(Optional.of("h1"), state().router().host());
  }

  @Test
  void aRefusedGatewayPortRefusesTheCreateAndGivesTheQuotaBack() {
    claims.accept("reserve router " + id);
    claims.ports = p -> ScriptedRouterClaims.refusal("IpAddressGenerationFailure: No more IP addresses");
    assertTrue(create(true).receiveMessage(WAIT).getError().getMessage().contains("IpAddressGenerationFailure"));
    claims.accept("release [" + id + "]");
    awaitState(RouterEntity.Gone.class);
  }

  @Test
  void interfacesRoutesAndDeleteAreStepsAndAnInterruptedOneResumesAfterARestart() {
    claims.accept("reserve router " + id);
    claims.answer("place", "h1");
    create(false).receiveMessage(WAIT).getValue();
    // the interface's port is asked and not answered: a restart asks again
    TestProbe<StatusReply<Router.Interface>> adding = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.AddInterface("n1", "s1", "10.0.0.0/24", Optional.of("10.0.0.1"), Optional.empty(),
        adding.ref()));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(claims.asked.contains("create port " + RouterEntity.INTERFACE_OWNER));
      return null;
    });
    kit.restart();
    claims.ports = p -> ScriptedRouterClaims.made(p, "s1", "10.0.0.1");
    Router.Interface i = testKit.createTestProbe().awaitAssert(WAIT, () -> state().interfaceOn("s1").orElseThrow());
    assertEquals("10.0.0.1", i.ipAddress());
    assertEquals(claims.portsAsked.get(0).id(), i.portId());
    assertEquals(List.of(new IpRequest(Optional.of("s1"), Optional.of("10.0.0.1"))),
        claims.portsAsked.get(0).requestedIps().orElseThrow());

    TestProbe<StatusReply<Router.Interface>> again = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.AddInterface("n2", "s2", "10.0.0.128/25", Optional.of("10.0.0.129"),
        Optional.empty(), again.ref()));
    assertTrue(again.receiveMessage(WAIT).getError().getMessage().contains("overlaps"));
    kit.runCommand(new RouterEntity.AddInterface("n1", "s1", "10.0.0.0/24", Optional.of("10.0.0.1"), Optional.empty(),
        again.ref()));
    assertTrue(again.receiveMessage(WAIT).getError().getMessage().contains("already has a port on subnet"));

    TestProbe<StatusReply<Router>> routes = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.ChangeRoutes(List.of(new Router.Route("192.168.0.0/24", "10.9.0.5")),
        RouterEntity.RouteChange.REPLACE, routes.ref()));
    assertTrue(routes.receiveMessage(WAIT).getError().getMessage().contains("InvalidRoutes: "));
    kit.runCommand(new RouterEntity.ChangeRoutes(List.of(new Router.Route("192.168.0.0/24", "10.0.0.5")),
        RouterEntity.RouteChange.ADD, routes.ref()));
    assertEquals(1, routes.receiveMessage(WAIT).getValue().routes().size());

    TestProbe<StatusReply<Done>> deleting = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.Delete(deleting.ref()));
    assertTrue(deleting.receiveMessage(WAIT).getError().getMessage().contains("RouterInUse: "));
    TestProbe<StatusReply<Router.Interface>> removing = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.RemoveInterface(Optional.of("s1"), Optional.empty(), removing.ref()));
    assertTrue(removing.receiveMessage(WAIT).getError().getMessage().contains("RouterInterfaceInUseByRoute: "));
    kit.runCommand(new RouterEntity.ChangeRoutes(List.of(new Router.Route("192.168.0.0/24", "10.0.0.5")),
        RouterEntity.RouteChange.REMOVE, routes.ref()));
    assertTrue(routes.receiveMessage(WAIT).getValue().routes().isEmpty());

    // the interface's port is deleted as a step, and the answer waits for it
    kit.runCommand(new RouterEntity.RemoveInterface(Optional.of("s1"), Optional.empty(), removing.ref()));
    removing.expectNoMessage(Duration.ofMillis(300));
    claims.accept("delete " + i.portId());
    assertEquals(i, removing.receiveMessage(WAIT).getValue());

    TestProbe<RouterChanged> routerTopic = listen(RouterChanged.hostTopic("h1"));
    kit.runCommand(new RouterEntity.Delete(deleting.ref()));
    deleting.expectNoMessage(Duration.ofMillis(300));
    claims.accept("release [" + id + "]");
    deleting.receiveMessage(WAIT).getValue();
    awaitState(RouterEntity.Gone.class);
    routerTopic.awaitAssert(WAIT, () -> {
      assertTrue(routerTopic.receiveMessage(WAIT).router().deleted());
      return null;
    });
  }

  @Test
  void aUsersPortInUseIsRefusedAndTheRouterStaysAsItWas() {
    claims.accept("reserve router " + id);
    claims.answer("place", "h1");
    create(false).receiveMessage(WAIT).getValue();
    claims.refuse("claim user-port", nimbus.cluster.Rejection.Kind.CONFLICT, "PortInUse: Port user-port is still in use.");
    TestProbe<StatusReply<Router.Interface>> adding = testKit.createTestProbe();
    kit.runCommand(new RouterEntity.AddInterface("n1", "s1", "10.0.0.0/24", Optional.empty(), Optional.of("user-port"),
        adding.ref()));
    assertTrue(adding.receiveMessage(WAIT).getError().getMessage().contains("PortInUse: "));
    assertTrue(state().router().interfaces().isEmpty());
    assertTrue(state().making().isEmpty());
  }

  @Test
  void theSchedulerPicksTheHostWithFewestRoutersAndTiesByName() {
    assertEquals(Optional.of("b"), RouterPlacement.fewestRouters(List.of("a", "b", "c"),
        java.util.Map.of("a", 2, "c", 1)));
    assertEquals(Optional.of("a"), RouterPlacement.fewestRouters(List.of("c", "a"), java.util.Map.of()));
    assertEquals(Optional.empty(), RouterPlacement.fewestRouters(List.of(), java.util.Map.of("a", 1)));
  }

  @Test
  void theSchedulerPlacesInTheHintedZonesOnlyAndAnywhereWithoutHints() {
    Map<String, String> zones = Map.of("a", "az1", "b", "az2", "c", "az2", "d", "az3");
    Map<String, Integer> load = Map.of("b", 3, "c", 1, "a", 0);
    assertEquals(Optional.of("c"), RouterPlacement.choose(zones, List.of("az2"), load));
    assertEquals(Optional.of("a"), RouterPlacement.choose(zones, List.of("az2", "az1"), load));
    assertEquals(Optional.of("a"), RouterPlacement.choose(zones, List.of(), load));
    assertEquals(Optional.of("d"), RouterPlacement.choose(zones, List.of("az3"), Map.of("d", 9)));
    assertEquals(Optional.empty(), RouterPlacement.choose(zones, List.of("az4"), load));
  }

  @Test
  void aRouterWhoseZonesHaveNoHostStaysBuildingUntilOneCanCarryIt() {
    claims.accept("reserve router " + id);
    claims.refuse("place", nimbus.cluster.Rejection.Kind.CONFLICT, "no host of availability zones [az2] can carry routers yet");
    Router made = create(false, List.of("az2")).receiveMessage(WAIT).getValue();
    assertEquals("BUILD", made.status());
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(claims.placeHints.size() >= 2, "asked again");
      return null;
    });
    assertEquals(List.of("az2"), claims.placeHints.get(0));
    assertEquals(Optional.empty(), state().router().host());
    assertEquals("BUILD", state().router().status());
    claims.answer("place", "h2");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(Optional.of("h2"), state().router().host());
      return null;
    });
    assertEquals("ACTIVE", state().router().status());
  }
}
