package nimbus.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A network's steps against scripted claims (each asked until answered, a refusal gives back what
 * was held, a restart resumes), and its addresses: never one twice.
 */
class NetworkEntityTest extends EntityTestSupport {
  private static final Duration RETRY = Duration.ofMillis(100);
  private final String id = UUID.randomUUID().toString();
  private ScriptedClaims claims;
  private EventSourcedBehaviorTestKit<NetworkEntity.Command, NetworkEntity.Event, NetworkEntity.State> kit;

  @BeforeEach
  void fresh() {
    claims = new ScriptedClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), NetworkEntity.create(id, claims, RETRY, Clock.systemUTC()));
  }

  private Network requested(NetworkType type) {
    return Network.requested(id, "p1", new NetworkAttributes("net", "", true, false, false, true, List.of(), List.of()),
        new Segment(type, Optional.empty(), Optional.empty()), type.mtu(1500), Instant.now());
  }

  private <S> S awaitState(Class<S> type) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> assertInstanceOf(type, kit.getState()));
  }

  private Network createVxlan() {
    claims.accept("reserve network " + id);
    claims.answer("segment vxlan", 1001);
    TestProbe<StatusReply<Network>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.Create(requested(NetworkType.VXLAN), client.ref()));
    Network n = client.receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals(Optional.of(1001), n.segment().segmentationId());
    assertEquals("ACTIVE", n.status());
    return n;
  }

  private Subnet subnet(String cidr, String gateway) {
    IpNet net = IpNet.parse(cidr);
    Optional<IpNet.Address> g = IpNet.Address.parse(gateway);
    return new Subnet(UUID.randomUUID().toString(), id, "p1", "s", "", net.version(), cidr, Optional.of(gateway),
        Subnet.defaultPools(net, g), true, List.of(), List.of(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of(), Instant.now(), Instant.now(), 0);
  }

  private Subnet addSubnet(Subnet s) {
    claims.accept("reserve subnet " + s.id());
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddSubnet(s, client.ref()));
    return client.receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  @Test
  void aCreateAnswersOnceQuotaAndSegmentAreHeldAskingEachUntilAnswered() {
    TestProbe<StatusReply<Network>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.Create(requested(NetworkType.VXLAN), client.ref()));
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.asked.stream().filter(("reserve network " + id)::equals).count() >= 2, "asked again");
      return null;
    });
    client.expectNoMessage(Duration.ofMillis(50));
    claims.accept("reserve network " + id);
    claims.answer("segment vxlan", 7);
    assertEquals(Optional.of(7), client.receiveMessage(Duration.ofSeconds(5)).getValue().segment().segmentationId());
  }

  @Test
  void aLocalNetworkNeedsNoSegment() {
    claims.accept("reserve network " + id);
    TestProbe<StatusReply<Network>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.Create(requested(NetworkType.LOCAL), client.ref()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    assertTrue(claims.asked.stream().noneMatch(a -> a.startsWith("segment")));
  }

  @Test
  void aRefusedSegmentGivesTheQuotaBackBeforeTheNetworkIsGone() {
    claims.accept("reserve network " + id);
    claims.refuse("segment vxlan", Rejection.Kind.UNAVAILABLE, "NoNetworkAvailable: none left");
    TestProbe<StatusReply<Network>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.Create(requested(NetworkType.VXLAN), client.ref()));
    StatusReply<Network> answer = client.receiveMessage(Duration.ofSeconds(5));
    assertTrue(answer.isError());
    assertEquals(Rejection.Kind.UNAVAILABLE, Rejection.from(answer.getError()).kind());
    awaitState(NetworkEntity.Releasing.class);
    claims.accept("release [" + id + "]");
    awaitState(NetworkEntity.Gone.class);
  }

  @Test
  void aRestartMidStepResumesTheStep() {
    claims.accept("reserve network " + id);
    kit.runCommand(new NetworkEntity.Create(requested(NetworkType.VXLAN), testKit.<StatusReply<Network>>createTestProbe().ref()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((NetworkEntity.Existing) kit.getState()).network().quotaHeld());
      return null;
    });
    kit.restart();
    claims.answer("segment vxlan", 9);
    assertEquals(Optional.of(9), awaitState(NetworkEntity.Active.class).network().segment().segmentationId());
  }

  @Test
  void portsGetDistinctAddressesFromThePoolsAndAFullSubnetRefusesCleanly() {
    createVxlan();
    Subnet s = addSubnet(subnet("10.0.0.0/29", "10.0.0.1"));
    assertEquals(List.of(new Subnet.Pool("10.0.0.2", "10.0.0.6")), s.allocationPools());
    Attachment dhcp = ((NetworkEntity.Existing) kit.getState()).network().ports().get(NetworkEntity.dhcpPortId(s.id()));
    assertEquals("10.0.0.2", dhcp.fixedIps().get(0).ipAddress(), "DHCP's address comes first, as Neutron's DHCP port's");
    Set<String> seen = new HashSet<>();
    Set<String> macs = new HashSet<>(Set.of(dhcp.macAddress()));
    for (int i = 0; i < 4; i++) {
      Attachment a = attach("port-" + i, Optional.empty()).getValue();
      assertTrue(seen.add(a.fixedIps().get(0).ipAddress()), "duplicate address " + a);
      assertTrue(macs.add(a.macAddress()));
    }
    assertEquals(Set.of("10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"), seen);
    StatusReply<Attachment> full = attach("port-5", Optional.empty());
    assertTrue(full.isError());
    assertTrue(full.getError().getMessage().contains("IpAddressGenerationFailure"), full.getError().getMessage());
    // the same port asking again gets what it has (a retried step)
    assertEquals(attach("port-0", Optional.empty()).getValue(), attach("port-0", Optional.empty()).getValue());
  }

  @Test
  void anAddressAskedForIsGivenOnceAndComesBackWhenThePortGoes() {
    createVxlan();
    Subnet s = addSubnet(subnet("10.1.0.0/24", "10.1.0.1"));
    List<IpRequest> ask = List.of(new IpRequest(Optional.of(s.id()), Optional.of("10.1.0.77")));
    assertEquals("10.1.0.77", attach("a", Optional.of(ask)).getValue().fixedIps().get(0).ipAddress());
    StatusReply<Attachment> again = attach("b", Optional.of(ask));
    assertTrue(again.getError().getMessage().startsWith("CONFLICT: IpAddressAlreadyAllocated"), again.getError().getMessage());
    assertTrue(attach("c", Optional.of(List.of(new IpRequest(Optional.empty(), Optional.of("10.1.0.1"))))).isError(),
        "the gateway is not a port's");
    assertTrue(attach("d", Optional.of(List.of(new IpRequest(Optional.empty(), Optional.of("10.9.0.5"))))).isError());
    kit.<StatusReply<Done>>runCommand(to -> new NetworkEntity.DetachPort("a", to));
    assertEquals("10.1.0.77", attach("b", Optional.of(ask)).getValue().fixedIps().get(0).ipAddress());
  }

  @Test
  void subnetsMayNotOverlapAndOneInUseCannotGo() {
    createVxlan();
    Subnet s = addSubnet(subnet("10.2.0.0/24", "10.2.0.1"));
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddSubnet(subnet("10.2.0.128/25", "10.2.0.129"), client.ref()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("overlaps"));
    attach("p", Optional.empty());
    var inUse = kit.<StatusReply<Done>>runCommand(to -> new NetworkEntity.DeleteSubnet(s.id(), to));
    assertTrue(inUse.reply().getError().getMessage().startsWith("CONFLICT: SubnetInUse"));
    var netInUse = kit.<StatusReply<Done>>runCommand(NetworkEntity.Delete::new);
    assertTrue(netInUse.reply().getError().getMessage().startsWith("CONFLICT: NetworkInUse"));
  }

  @Test
  void aDeletedNetworkGivesBackItsSubnetsQuotaItsOwnAndItsSegment() {
    createVxlan();
    Subnet s = addSubnet(subnet("10.3.0.0/24", "10.3.0.1"));
    assertTrue(kit.<StatusReply<Done>>runCommand(NetworkEntity.Delete::new).reply().isSuccess(),
        "DHCP's address does not keep the network in use");
    claims.accept("release " + List.of(id, s.id()).stream().sorted().toList());
    claims.accept("release segment vxlan");
    awaitState(NetworkEntity.Gone.class);
    assertTrue(kit.<StatusReply<Network>>runCommand(NetworkEntity.Get::new).reply().isError());
  }

  @Test
  void aSubnetOverItsProjectsQuotaIsRefusedAndForgotten() {
    createVxlan();
    Subnet s = subnet("10.4.0.0/24", "10.4.0.1");
    claims.refuse("reserve subnet " + s.id(), Rejection.Kind.CONFLICT, "OverQuota: Quota exceeded for resources: ['subnet'].");
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddSubnet(s, client.ref()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("OverQuota"));
    Network n = ((NetworkEntity.Existing) kit.getState()).network();
    assertTrue(n.subnets().isEmpty() && n.pendingSubnets().isEmpty());
  }

  @Test
  void hostsHearOfEveryChangeAndWhereEachPortIsPlugged() {
    var listener = testKit.<NetworkChanged>createTestProbe();
    var topic = testKit.spawn(org.apache.pekko.actor.typed.pubsub.Topic.create(NetworkChanged.class,
        NetworkChanged.topic(id)));
    topic.tell(org.apache.pekko.actor.typed.pubsub.Topic.subscribe(listener.ref()));
    createVxlan();
    attach("p", Optional.empty());
    var where = Optional.of(new Attachment.Placement("host-1", "192.0.2.11"));
    kit.<StatusReply<Done>>runCommand(to -> new NetworkEntity.PlacePort("p", where, to));
    listener.fishForMessage(Duration.ofSeconds(5), m -> m.network().ports().containsKey("p")
        && m.network().ports().get("p").placement().equals(where)
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
  }

  @Test
  void theReadSideFunctionAgreesWithTheEntity() {
    createVxlan();
    addSubnet(subnet("10.5.0.0/24", "10.5.0.1"));
    NetworkEntity.State replayed = new NetworkEntity.NoNetwork();
    for (Object e : kit.persistenceTestKit().persistedInStorage("Network|" + id)) {
      replayed = NetworkEntity.next(replayed, (NetworkEntity.Event) e);
    }
    assertEquals(kit.getState(), replayed);
    assertNotEquals(0, ((NetworkEntity.Existing) replayed).network().revisionNumber());
  }

  @Test
  void aPortIsReaddressedAllOrNothing() {
    createVxlan();
    Subnet s = addSubnet(subnet("10.6.0.0/24", "10.6.0.1"));
    IpRequest ten = new IpRequest(Optional.of(s.id()), Optional.of("10.6.0.10"));
    IpRequest eleven = new IpRequest(Optional.of(s.id()), Optional.of("10.6.0.11"));
    IpRequest twelve = new IpRequest(Optional.of(s.id()), Optional.of("10.6.0.12"));
    attach("a", Optional.of(List.of(ten)));
    attach("b", Optional.of(List.of(eleven)));
    StatusReply<Attachment> clash = readdress("a", List.of(twelve, eleven));
    assertTrue(clash.getError().getMessage().contains("IpAddressAlreadyAllocated"));
    assertEquals("10.6.0.10", held("a").fixedIps().get(0).ipAddress(), "nothing changed");
    assertTrue(attach("c", Optional.of(List.of(twelve))).isSuccess(), "nor was .12 taken");
    // a subnet asked alone keeps the address held there; the MAC stays
    String mac = held("a").macAddress();
    Attachment both = readdress("a", List.of(new IpRequest(Optional.of(s.id()), Optional.empty()),
        new IpRequest(Optional.of(s.id()), Optional.of("10.6.0.20")))).getValue();
    assertEquals(List.of("10.6.0.10", "10.6.0.20"), both.fixedIps().stream().map(FixedIp::ipAddress).toList());
    assertEquals(mac, both.macAddress());
    readdress("a", List.of(new IpRequest(Optional.of(s.id()), Optional.of("10.6.0.20"))));
    assertTrue(attach("d", Optional.of(List.of(ten))).isSuccess(), ".10 was given back");
  }

  private StatusReply<Attachment> readdress(String port, List<IpRequest> ips) {
    return kit.<StatusReply<Attachment>>runCommand(to -> new NetworkEntity.ReaddressPort(port, "p1", "",
        Optional.empty(), Optional.of(ips), to)).reply();
  }

  private Attachment held(String port) {
    return ((NetworkEntity.Existing) kit.getState()).network().ports().get(port);
  }

  private PoolSubnet fromPool(String pool) {
    Subnet template = subnet("0.0.0.0/0", "0.0.0.0");
    return new PoolSubnet(template, pool, Optional.empty(), Optional.of(26), false, false);
  }

  @Test
  void aPoolSubnetTakesItsCidrAsAStepThenItsQuota() {
    createVxlan();
    PoolSubnet asked = fromPool("pool1");
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddPoolSubnet(asked, client.ref()));
    // no answer from the pool yet: asked again until it answers
    eventually(() -> assertTrue(
        claims.asked.stream().filter(a -> a.equals("cidr pool1 " + asked.id())).count() >= 2));
    claims.answer("cidr pool1 " + asked.id(), "10.9.0.64/26");
    claims.accept("reserve subnet " + asked.id());
    Subnet s = client.receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals("10.9.0.64/26", s.cidr());
    assertEquals(Optional.of("10.9.0.65"), s.gatewayIp());
    assertEquals(List.of(new Subnet.Pool("10.9.0.66", "10.9.0.126")), s.allocationPools());
    assertEquals(Optional.of("pool1"), s.subnetpoolId());
    // deleting it gives the CIDR back to the pool, acknowledged
    claims.accept("release [" + s.id() + "]");
    claims.accept("release cidr pool1 " + s.id());
    var deleted = kit.<StatusReply<Done>>runCommand(r -> new NetworkEntity.DeleteSubnet(s.id(), r)).reply();
    assertTrue(deleted.isSuccess());
    // answered only once the CIDR is back
    assertTrue(((NetworkEntity.Existing) kit.getState()).network().cidrsToRelease().isEmpty());
    assertTrue(claims.asked.contains("release cidr pool1 " + s.id()));
  }

  @Test
  void aSubnetRefusedByItsQuotaGivesItsCidrBack() {
    createVxlan();
    PoolSubnet asked = fromPool("pool1");
    claims.answer("cidr pool1 " + asked.id(), "10.9.0.0/26");
    claims.refuse("reserve subnet " + asked.id(), Rejection.Kind.CONFLICT, "OverQuota: Quota exceeded for resources: ['subnet'].");
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddPoolSubnet(asked, client.ref()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("OverQuota"));
    claims.accept("release cidr pool1 " + asked.id());
    eventually(() -> assertTrue(
        ((NetworkEntity.Existing) kit.getState()).network().cidrsToRelease().isEmpty()));
    assertTrue(((NetworkEntity.Existing) kit.getState()).network().subnets().isEmpty());
  }

  @Test
  void aPoolsRefusalRefusesTheSubnetAndARestartMidStepResumes() {
    createVxlan();
    PoolSubnet asked = fromPool("pool1");
    TestProbe<StatusReply<Subnet>> client = testKit.createTestProbe();
    kit.runCommand(new NetworkEntity.AddPoolSubnet(asked, client.ref()));
    kit.restart();
    claims.refuse("cidr pool1 " + asked.id(), Rejection.Kind.CONFLICT,
        "SubnetAllocationError: Failed to allocate subnet: Insufficient prefix space to allocate subnet size /26.");
    claims.accept("release cidr pool1 " + asked.id());
    eventually(() -> {
      Network n = ((NetworkEntity.Existing) kit.getState()).network();
      assertTrue(n.subnetsAwaitingCidr().isEmpty() && n.cidrsToRelease().isEmpty() && n.subnets().isEmpty());
    });
  }

  private void eventually(Runnable check) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      check.run();
      return null;
    });
  }

  private StatusReply<Attachment> attach(String port, Optional<List<IpRequest>> ips) {
    return kit.<StatusReply<Attachment>>runCommand(to -> new NetworkEntity.AttachPort(port, "p1", "", Optional.empty(), ips, to))
        .reply();
  }
}
