package nimbus.node.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import nimbus.config.HostSettings;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.FloatingIpReports;
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkType;
import nimbus.network.Router;
import nimbus.network.RouterChanged;
import nimbus.network.Segment;
import nimbus.network.Subnet;
import nimbus.node.agent.CommandRunner;
import nimbus.node.dataplane.RecordingTenantHost;
import nimbus.node.tenant.TenantNetworks;
import nimbus.testing.TestConfig;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router agent with real sharding and pubsub: networks answer from sharded entities (stand-ins
 * holding the router's ports), routers arrive on the host's topic, ports are plugged through a real
 * {@link TenantNetworks} (recording host), floating IP reports are recorded, and the host's
 * commands are scripted (the namespace tests run them for real): what it builds, reports, records,
 * removes and sweeps, and what a restarted agent does from its records.
 */
class RouterAgentTest {
  private static final String HOST = "router-host";
  private static final String NET_A = "a1000000-0000-4000-8000-0000000000a1";
  private static final String EXT = "e4000000-0000-4000-8000-0000000000e4";
  private static final String PORT_A = "1a000000-0000-4000-8000-00000000001a";
  private static final String PORT_GW = "1e000000-0000-4000-8000-00000000001e";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static ActorTestKit kit;
  private static final ExecutorService blocking = Executors.newFixedThreadPool(2);

  @TempDir
  Path dir;

  /** The host's commands: namespaces kept as the kernel would (each with a leg here), every command recorded. */
  static final class ScriptedHost implements CommandRunner {
    final Set<String> namespaces = ConcurrentHashMap.newKeySet();
    final List<List<String>> commands = Collections.synchronizedList(new ArrayList<>());

    @Override
    public String run(List<String> command, Duration timeout) {
      commands.add(command);
      if (command.equals(List.of("ip", "netns", "list"))) return String.join("\n", namespaces);
      // each router namespace has a leg on this host
      if (command.equals(RouterCommands.listVeths())) {
        return namespaces.stream().map(n -> "7: ntp-x@if2: <UP> mtu 1450\\    link/ether aa:17:fe:f7:d4:55 link-netns " + n)
            .collect(java.util.stream.Collectors.joining("\n"));
      }
      if (command.size() == 4 && command.subList(0, 3).equals(List.of("ip", "netns", "add"))) namespaces.add(command.get(3));
      if (command.size() == 4 && command.subList(0, 3).equals(List.of("ip", "netns", "delete"))) namespaces.remove(command.get(3));
      return "";
    }
  }

  /** The floating IP reports, in order. */
  static final class Reports implements FloatingIpReports {
    final List<String> heard = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletableFuture<Done> report(String floatingIpId, String routerId, String status) {
      heard.add(floatingIpId + " " + status);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  @BeforeAll
  static void cluster() {
    kit = ActorTestKit.create("router-agent", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """).withFallback(TestConfig.serialization()).withFallback(ConfigFactory.load()));
    topic = kit.spawn(Topic.create(RouterChanged.class, RouterChanged.hostTopic(HOST)));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Map<String, Network> networks = Map.of(NET_A, network(NET_A, "10.1.0.0/24", "10.1.0.1", PORT_A),
        EXT, network(EXT, "203.0.113.0/24", "203.0.113.1", PORT_GW));
    ClusterSharding.get(kit.system()).init(Entity.of(NetworkEntity.TYPE_KEY, ctx ->
        Behaviors.receive(NetworkEntity.Command.class).onMessage(NetworkEntity.Get.class, get -> {
          get.replyTo().tell(StatusReply.success(networks.get(ctx.getEntityId())));
          return Behaviors.same();
        }).build()));
  }

  @AfterAll
  static void shutDown() {
    kit.shutdownTestKit();
    blocking.shutdown();
  }

  private static Network network(String id, String cidr, String gateway, String routerPort) {
    Subnet subnet = new Subnet("s-" + id, id, "p", "", "", 4, cidr, Optional.of(gateway),
        Subnet.defaultPools(IpNet.parse(cidr), IpNet.Address.parse(gateway)), false, List.of(), List.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
    return new Network(id, "p", new NetworkAttributes("n", "", true, false, false, true, List.of(), List.of()),
        new Segment(NetworkType.VXLAN, Optional.empty(), Optional.of(5)), 1450, Network.Phase.ACTIVE, true, true,
        List.of(subnet), List.of(), Map.of(routerPort, new Attachment("p", "fa:16:3e:00:00:" + id.substring(0, 2),
            List.of(), "network:router_interface", Optional.empty())), List.of(), Instant.EPOCH, Instant.EPOCH, 1);
  }

  private static Router router(String id, String host, int revision, boolean deleted, List<String> floating) {
    return new Router(id, "p", "r", "", true, "ACTIVE", Optional.of(host),
        Optional.of(new Router.Gateway(EXT, PORT_GW, true, List.of(new FixedIp("s-" + EXT, "203.0.113.10")))),
        List.of(new Router.Interface(PORT_A, NET_A, "s-" + NET_A, "10.1.0.1")), List.of(),
        floating.stream().map(f -> new Router.FloatingIpMapping(f, "203.0.113." + (50 + floating.indexOf(f)),
            "10.1.0." + (10 + floating.indexOf(f)), "guest-port")).toList(),
        List.of(), List.of(), Instant.EPOCH, Instant.EPOCH, revision, deleted);
  }

  private HostSettings settings() {
    return settings(Duration.ofMillis(500));
  }

  private HostSettings settings(Duration reconcileInterval) {
    return new HostSettings(HOST, "test:///default", "test", dir.resolve("instances"), Duration.ofSeconds(1),
        reconcileInterval, Duration.ofSeconds(1), 1.0, 1.0, 1.0, 10, "recording", "nimbus-rt0", "10.99.0.0/24",
        dir.resolve("dhcp"), "nova", Duration.ofDays(1), "192.0.2.10", Map.of());
  }

  private ActorRef<RouterAgent.Command> agent(ActorRef<TenantNetworks.Command> tenants, ScriptedHost host,
      Reports reports, Map<String, Optional<Router>> entities) {
    RouterPortBinding binding = (legs, here) -> {
      legs.forEach(l -> bound.add(l.portId() + "@" + here.host() + "/" + here.underlayAddress()));
      return CompletableFuture.completedFuture(null);
    };
    return agent(settings(), tenants, host, reports, entities, binding);
  }

  private ActorRef<RouterAgent.Command> agent(HostSettings settings, ActorRef<TenantNetworks.Command> tenants,
      ScriptedHost host, Reports reports, Map<String, Optional<Router>> entities, RouterPortBinding binding) {
    RouterAgent.Lookup lookup = id -> entities.containsKey(id) ? CompletableFuture.completedFuture(entities.get(id))
        : CompletableFuture.failedFuture(new IllegalStateException("no answer"));
    return kit.spawn(RouterAgent.create(settings, tenants, new LinuxRouters(host), new RouterRecords(dir.resolve("routers")),
        reports, lookup, binding, blocking));
  }

  private static ActorRef<Topic.Command<RouterChanged>> topic;
  /** The router ports the agents bound, as "port@host/underlay". */
  private final List<String> bound = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Publishes {@code r} on the host's topic until {@code condition} holds: a topic delivers only to
   * the subscribers it has learnt of, so a first publication may reach nobody.
   */
  private static void publishUntil(Router r, String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long next = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + WAIT + ": " + what);
      if (System.nanoTime() > next) {
        topic.tell(Topic.publish(new RouterChanged(r)));
        next = System.nanoTime() + Duration.ofMillis(500).toNanos();
      }
      Thread.sleep(50); // polling, with a deadline
    }
  }

  private static Set<String> owners(ActorRef<TenantNetworks.Command> tenants) {
    return AskPattern.<TenantNetworks.Command, Set<String>>ask(tenants, TenantNetworks.GetServers::new, WAIT,
        kit.system().scheduler()).toCompletableFuture().join();
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + WAIT + ": " + what);
      Thread.sleep(50); // polling, with a deadline
    }
  }

  @Test
  void aRouterPlacedHereIsBuiltReportedRecordedAndRemovedAndARestartedAgentCatchesUp() throws Exception {
    String id = "7e57a000-0000-4000-8000-0000000000a1";
    String namespace = RouterCommands.namespaceOf(id);
    ActorRef<TenantNetworks.Command> tenants = kit.spawn(TenantNetworks.create(settings(), new RecordingTenantHost(), blocking,
        group -> CompletableFuture.completedFuture(Optional.empty())));
    ScriptedHost host = new ScriptedHost();
    host.namespaces.add(RouterCommands.namespaceOf("7e57b000-0000-4000-8000-0000000000b2")); // a stray router
    // and its plug, left by an agent that stopped before it removed it
    AskPattern.<TenantNetworks.Command, List<nimbus.node.hypervisor.DomainSpec.Nic>>askWithStatus(tenants,
        replyTo -> new TenantNetworks.Plug("router-stray", "router-stray", List.of(new nimbus.compute.ServerPort(
            "5a000000-0000-4000-8000-00000000005a", NET_A, NET_A, "fa:16:3e:00:00:5a", List.of(), false,
            Optional.of(HOST))), replyTo), WAIT, kit.system().scheduler()).toCompletableFuture().join();
    assertEquals(Set.of("router-stray"), owners(tenants));
    Reports reports = new Reports();
    Map<String, Optional<Router>> entities = new ConcurrentHashMap<>();
    ActorRef<RouterAgent.Command> agent = agent(tenants, host, reports, entities);

    await("the stray router namespace is swept", () -> host.namespaces.isEmpty());
    await("and its plug", () -> owners(tenants).isEmpty());
    Router r1 = router(id, HOST, 1, false, List.of("fip-1", "fip-2"));
    publishUntil(r1, "the router is built", () -> reports.heard.containsAll(List.of("fip-1 ACTIVE", "fip-2 ACTIVE")));
    assertTrue(host.namespaces.contains(namespace));
    assertTrue(host.commands.stream().anyMatch(c -> c.contains("nft") && c.contains(namespace)), "its rules are loaded");
    assertTrue(host.commands.contains(List.of("ip", "link", "set", "dev", "ntp-1a000000-00", "mtu", "1450", "master",
        "nbr-a1000000000", "up")), "its leg is on its network's bridge");
    assertEquals(Set.of("router-" + id), owners(tenants), "its ports are plugged on their networks");
    assertFalse(bound.isEmpty(), "and bound here");
    assertTrue(bound.stream().allMatch(b -> b.endsWith("@" + HOST + "/192.0.2.10")), "at this host's underlay: " + bound);
    assertTrue(Files.exists(dir.resolve("routers").resolve(id + ".json")), "and it is recorded");

    publishUntil(router(id, HOST, 2, false, List.of("fip-2")), "a floating IP removed is reported DOWN",
        () -> reports.heard.contains("fip-1 DOWN"));
    assertEquals(1, Collections.frequency(reports.heard, "fip-2 ACTIVE"), "one still there is not reported again");

    publishUntil(router(id, "elsewhere", 3, false, List.of("fip-2")), "a router that moved away is removed",
        () -> !host.namespaces.contains(namespace));
    await("its floating IPs reported DOWN", () -> reports.heard.contains("fip-2 DOWN"));
    await("its ports unplugged", () -> owners(tenants).isEmpty());
    assertFalse(Files.exists(dir.resolve("routers").resolve(id + ".json")), "and its record deleted");

    publishUntil(router(id, HOST, 4, false, List.of("fip-3")), "it is built again once placed here again",
        () -> reports.heard.contains("fip-3 ACTIVE"));
    kit.stop(agent);

    // the host reboots (its namespaces are gone) and its agent restarts: built again from its record
    host.namespaces.clear();
    Reports after = new Reports();
    entities.put(id, Optional.of(router(id, HOST, 4, false, List.of("fip-3"))));
    agent = agent(tenants, host, after, entities);
    await("a restarted agent rebuilds its router", () -> host.namespaces.contains(namespace));
    await("and reports its floating IPs", () -> after.heard.contains("fip-3 ACTIVE"));

    // deleted while nobody listened: the entity, asked at reconciliation, no longer has it
    entities.put(id, Optional.empty());
    await("a router its entity no longer has is removed", () -> !host.namespaces.contains(namespace));
    await("with its floating IPs DOWN", () -> after.heard.contains("fip-3 DOWN"));
    await("and its ports unplugged", () -> owners(tenants).isEmpty());
    kit.stop(agent);
  }

  /**
   * A host that boots: its agent starts before the cluster lets it reach the router's entities, so
   * binding the router's ports fails at first. The router is built again within seconds, not at
   * the next reconciliation (an hour here).
   */
  @Test
  void aRebootedHostsRouterWhoseFirstBuildFailsIsBuiltWithinSeconds() throws Exception {
    String id = "7e57c000-0000-4000-8000-0000000000c3";
    String namespace = RouterCommands.namespaceOf(id);
    new RouterRecords(dir.resolve("routers")).write(RouterPlan.of(router(id, HOST, 1, false, List.of("fip-9")),
        Map.of(NET_A, network(NET_A, "10.1.0.0/24", "10.1.0.1", PORT_A),
            EXT, network(EXT, "203.0.113.0/24", "203.0.113.1", PORT_GW))));
    HostSettings settings = settings(Duration.ofHours(1));
    ActorRef<TenantNetworks.Command> tenants = kit.spawn(TenantNetworks.create(settings, new RecordingTenantHost(), blocking,
        group -> CompletableFuture.completedFuture(Optional.empty())));
    ScriptedHost host = new ScriptedHost(); // booted: no namespace
    java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
    RouterPortBinding unreachableAtFirst = (legs, here) -> tries.incrementAndGet() <= 2
        ? CompletableFuture.failedFuture(new IllegalStateException("Ask timed out"))
        : CompletableFuture.completedFuture(null);
    Reports reports = new Reports();
    ActorRef<RouterAgent.Command> agent = agent(settings, tenants, host, reports, new ConcurrentHashMap<>(), unreachableAtFirst);
    await("the router is built once its entities answer", () -> host.namespaces.contains(namespace));
    await("and its floating IP reported", () -> reports.heard.contains("fip-9 ACTIVE"));
    assertEquals(3, tries.get(), "two failures, then built");
    kit.stop(agent);
  }

  /**
   * A router whose build fails while it is being made (each interface added is a new version of it,
   * heard at once, and fails again): once the cause is gone it is built within seconds, its earlier
   * failures do not keep it waiting for the longest retry.
   */
  @Test
  void aRouterChangedWhileItsBuildFailsIsTriedAgainSoonOnceItCan() throws Exception {
    String id = "7e57d000-0000-4000-8000-0000000000d4";
    HostSettings settings = settings(Duration.ofHours(1));
    ActorRef<TenantNetworks.Command> tenants = kit.spawn(TenantNetworks.create(settings, new RecordingTenantHost(), blocking,
        group -> CompletableFuture.completedFuture(Optional.empty())));
    ScriptedHost host = new ScriptedHost();
    java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
    RouterPortBinding binding = (legs, here) -> {
      tries.incrementAndGet();
      return failing.get() ? CompletableFuture.failedFuture(new IllegalStateException("port not made yet"))
          : CompletableFuture.completedFuture(null);
    };
    ActorRef<RouterAgent.Command> agent = agent(settings, tenants, host, new Reports(), new ConcurrentHashMap<>(), binding);
    for (int revision = 1; revision <= 6; revision++) {
      int triedBefore = tries.get();
      publishUntil(router(id, HOST, revision, false, List.of()), "version " + revision + " is tried",
          () -> tries.get() > triedBefore);
    }
    failing.set(false);
    long since = System.nanoTime();
    await("the router is built", () -> host.namespaces.contains(RouterCommands.namespaceOf(id)));
    Duration took = Duration.ofNanos(System.nanoTime() - since);
    assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "built " + took + " after it could be (6 failures in a row"
        + " would wait 10 s and more)");
    kit.stop(agent);
  }

  @Test
  void aFailedRoutersRetryWaitsLongerEachTimeUpToTheReconcileInterval() {
    Duration ceiling = Duration.ofSeconds(60);
    assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L), java.util.stream.IntStream.rangeClosed(1, 8)
        .mapToObj(n -> RouterAgent.retryDelay(n, ceiling).toSeconds()).toList());
    assertEquals(Duration.ofMillis(500), RouterAgent.retryDelay(1, Duration.ofMillis(500)));
    assertEquals(ceiling, RouterAgent.retryDelay(1000, ceiling));
  }
}
