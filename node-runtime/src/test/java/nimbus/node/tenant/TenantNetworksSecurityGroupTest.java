package nimbus.node.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import nimbus.compute.ServerPort;
import nimbus.config.HostSettings;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkChanged;
import nimbus.network.NetworkEntity;
import nimbus.network.PortSecurity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupChanged;
import nimbus.network.SecurityGroupRule;
import nimbus.network.Segment;
import nimbus.node.dataplane.FilteredPort;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.NetworkType;
import nimbus.node.dataplane.TenantHost;
import nimbus.node.dataplane.TenantPort;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A host's tenant networks following the security groups of its filtered ports: a one-node
 * cluster whose network entity is a stand-in answering one network (a port with port security
 * on), a group source the test controls, and a host that records what it is told to filter.
 */
class TenantNetworksSecurityGroupTest {
  private static final String NETWORK = "7e57a1b2-0000-4000-8000-000000000001";
  private static final String PORT = "7e57a1b2-0000-4000-8000-0000000000a1";
  private static final String SLOW_PORT = "7e57a1b2-0000-4000-8000-0000000000a2";
  private static final String SERVER = "server-1";
  private static final String WEB = "7e57a1b2-0000-4000-8000-0000000000c1";
  private static final String ADMINS = "7e57a1b2-0000-4000-8000-0000000000c2";
  private static final String SLOW = "7e57a1b2-0000-4000-8000-0000000000c3";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static ActorTestKit kit;

  private final Map<String, SecurityGroup> groups = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
  /** Groups whose fetch the test answers itself, when it completes the future. */
  private final Map<String, CompletableFuture<Optional<SecurityGroup>>> pending = new ConcurrentHashMap<>();
  private final SecurityGroupSource source = id -> {
    fetches.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    CompletableFuture<Optional<SecurityGroup>> held = pending.get(id);
    return held != null ? held : CompletableFuture.completedFuture(Optional.ofNullable(groups.get(id)));
  };

  @BeforeAll
  static void cluster() {
    kit = ActorTestKit.create("sg-agent", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """).withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    Network network = network();
    ClusterSharding.get(kit.system()).init(Entity.of(NetworkEntity.TYPE_KEY, ctx ->
        Behaviors.receive(NetworkEntity.Command.class).onMessage(NetworkEntity.Get.class, get -> {
          get.replyTo().tell(StatusReply.success(network));
          return Behaviors.same();
        }).build()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Network network() {
    Attachment port = new Attachment("p", "fa:16:3e:00:00:a1", List.of(new FixedIp("s", "10.5.0.11")), "compute:nova",
        Optional.empty(), new PortSecurity(true, List.of(WEB), List.of()));
    Attachment slow = new Attachment("p", "fa:16:3e:00:00:a2", List.of(new FixedIp("s", "10.5.0.12")), "compute:nova",
        Optional.empty(), new PortSecurity(true, List.of(SLOW), List.of()));
    return new Network(NETWORK, "p", new NetworkAttributes("n", "", true, false, false, true, List.of(), List.of()),
        new Segment(nimbus.network.NetworkType.VXLAN, Optional.empty(), Optional.of(77)), 1450, Network.Phase.ACTIVE,
        true, true, List.of(), List.of(), Map.of(PORT, port, SLOW_PORT, slow), List.of(), Instant.EPOCH, Instant.EPOCH, 0);
  }

  private static SecurityGroup group(String id, int revision, SecurityGroupRule... rules) {
    return new SecurityGroup(id, "p", id, "", true, List.of(rules), Map.of(PORT, List.of("10.5.0.11")), List.of(),
        Instant.EPOCH, Instant.EPOCH, revision, false);
  }

  private static SecurityGroupRule rule(String group, String protocol, String remoteGroup) {
    return new SecurityGroupRule("r-" + protocol, group, "p", "ingress", "IPv4", Optional.of(protocol), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.ofNullable(remoteGroup), "", Instant.EPOCH, Instant.EPOCH, 0);
  }

  /** A host that makes nothing and records the ports it is told to filter, with their groups. */
  private static final class FilterHost implements TenantHost {
    final List<Map.Entry<List<FilteredPort>, Map<String, SecurityGroup>>> filters = new CopyOnWriteArrayList<>();
    final Map<String, List<TenantPort>> recorded = new ConcurrentHashMap<>();

    FilterHost(Map<String, List<TenantPort>> recorded) {
      this.recorded.putAll(recorded);
    }

    @Override public Set<NetworkType> carries() { return EnumSet.allOf(NetworkType.class); }
    @Override public Optional<String> physicalNetworkRefusal(String physicalNetwork) { return Optional.empty(); }
    @Override public Map<String, List<TenantPort>> plugged() { return Map.copyOf(recorded); }
    /** How often a network was built: a port's filtering alone changing builds none. */
    final AtomicInteger applies = new AtomicInteger();

    @Override public void apply(HostNetwork network) {
      applies.incrementAndGet();
    }
    @Override public void remove(String networkId, Optional<HostNetwork> last) {}
    @Override public void protect(List<HostNetwork> networks) {}
    @Override public void sweep(List<HostNetwork> networks) {}

    @Override
    public void record(String networkId, List<TenantPort> ports) {
      if (ports.isEmpty()) recorded.remove(networkId); else recorded.put(networkId, ports);
    }

    @Override
    public void filter(List<FilteredPort> ports, Map<String, SecurityGroup> groups) {
      filters.add(Map.entry(ports, groups));
    }

    /** Waits until the last filter applied satisfies {@code what}. */
    Map.Entry<List<FilteredPort>, Map<String, SecurityGroup>> await(String why,
        Predicate<Map.Entry<List<FilteredPort>, Map<String, SecurityGroup>>> what) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        if (!filters.isEmpty() && what.test(filters.get(filters.size() - 1))) return filters.get(filters.size() - 1);
        if (System.nanoTime() > deadline) throw new AssertionError(why + ": last filters " + filters);
        pause();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(20); // between polls of what the host was told
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static HostSettings settings(Path dir) {
    return new HostSettings("sg-host", "test:///default", "test", dir, Duration.ofSeconds(1), Duration.ofSeconds(30),
        Duration.ofSeconds(1), 1.0, 1.0, 1.0, 10, "recording", "nsga0", "10.98.0.0/24", dir, "nova", Duration.ofDays(1),
        "192.0.2.20", Map.of());
  }

  private ActorRef<TenantNetworks.Command> spawn(FilterHost host, String name) {
    return kit.spawn(TenantNetworks.create(settings(Path.of("/tmp/nimbus-sg-agent-test")), host,
        Executors.newSingleThreadExecutor(), source), name);
  }

  private final Map<String, ActorRef<Topic.Command<SecurityGroupChanged>>> topics = new ConcurrentHashMap<>();

  /**
   * Publishes the group's change on its topic until the host applies {@code what}: a topic learns
   * of a new subscriber a moment after it subscribes, and drops what is published before.
   */
  private void publishUntil(SecurityGroup g, FilterHost host, String why,
      Predicate<Map.Entry<List<FilteredPort>, Map<String, SecurityGroup>>> what) {
    ActorRef<Topic.Command<SecurityGroupChanged>> topic = topics.computeIfAbsent(g.id(), id ->
        kit.spawn(Topic.create(SecurityGroupChanged.class, SecurityGroupChanged.topic(id))));
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (host.filters.isEmpty() || !what.test(host.filters.get(host.filters.size() - 1))) {
      if (System.nanoTime() > deadline) throw new AssertionError(why + ": last filters " + host.filters);
      topic.tell(Topic.publish(new SecurityGroupChanged(g)));
      for (int i = 0; i < 10 && !what.test(host.filters.get(host.filters.size() - 1)); i++) pause();
    }
  }

  @Test
  void groupsAreFetchedFollowedOnTheirTopicsDroppedWhenUnusedAndRebuiltAfterARestart() throws Exception {
    groups.put(WEB, group(WEB, 1, rule(WEB, "icmp", ADMINS)));
    groups.put(ADMINS, group(ADMINS, 1));
    FilterHost host = new FilterHost(Map.of());
    ActorRef<TenantNetworks.Command> tenants = spawn(host, "tenants-1");
    ServerPort port = new ServerPort(PORT, NETWORK, "n", "fa:16:3e:00:00:a1", List.of(new FixedIp("s", "10.5.0.11")),
        true, Optional.empty());
    AskPattern.<TenantNetworks.Command, List<nimbus.node.hypervisor.DomainSpec.Nic>>askWithStatus(tenants,
        reply -> new TenantNetworks.Plug(SERVER, "vm", List.of(port), reply), WAIT, kit.system().scheduler())
        .toCompletableFuture().get();

    var first = host.await("the port filtered with its group and the remote group its rule names",
        f -> f.getKey().size() == 1 && f.getValue().keySet().equals(Set.of(WEB, ADMINS)));
    FilteredPort filtered = first.getKey().get(0);
    assertEquals(List.of("10.5.0.11"), filtered.fixedIps());
    assertEquals(List.of(WEB), filtered.securityGroups());
    assertTrue(filtered.tap().startsWith("ntp-") && filtered.bridge().startsWith("nbr-"), filtered.toString());
    assertTrue(fetches.get(WEB).get() >= 1 && fetches.get(ADMINS).get() >= 1, "each group asked once to start");

    // a change heard on the group's topic reaches the filter (the topic may take a moment to be subscribed)
    SecurityGroup withTcp = group(WEB, 2, rule(WEB, "icmp", ADMINS), rule(WEB, "tcp", null));
    groups.put(WEB, withTcp);
    publishUntil(withTcp, host, "the new rule is applied",
        f -> f.getValue().get(WEB) != null && f.getValue().get(WEB).rules().size() == 2);

    SecurityGroup withoutRemote = group(WEB, 3, rule(WEB, "tcp", null));
    groups.put(WEB, withoutRemote);
    publishUntil(withoutRemote, host, "a group no rule names any more is no longer followed",
        f -> f.getValue().keySet().equals(Set.of(WEB)) && f.getValue().get(WEB).revisionNumber() == 3);

    publishUntil(new SecurityGroup(WEB, "p", WEB, "", true, List.of(), Map.of(), List.of(), Instant.EPOCH,
        Instant.EPOCH, 4, true), host, "a deleted group allows nothing: the port stays filtered without it",
        f -> f.getKey().size() == 1 && f.getValue().isEmpty());

    kit.stop(tenants);
    FilterHost restarted = new FilterHost(host.recorded);
    int before = fetches.get(WEB).get();
    ActorRef<TenantNetworks.Command> again = spawn(restarted, "tenants-2");
    restarted.await("after a restart the filter is rebuilt from the records and the groups asked again",
        f -> f.getKey().size() == 1 && f.getValue().get(WEB) != null && f.getValue().get(WEB).revisionNumber() == 3);
    assertTrue(fetches.get(WEB).get() > before);

    AskPattern.<TenantNetworks.Command, org.apache.pekko.Done>askWithStatus(again,
        reply -> new TenantNetworks.Unplug(SERVER, reply), WAIT, kit.system().scheduler()).toCompletableFuture().get();
    restarted.await("no port left: nothing filtered", f -> f.getKey().isEmpty());
  }

  @Test
  void aPortPluggedWhileItsGroupIsFetchedIsFilteredFromTheStartAllowingNothing() throws Exception {
    groups.put(WEB, group(WEB, 1));
    CompletableFuture<Optional<SecurityGroup>> slowAnswer = new CompletableFuture<>();
    pending.put(SLOW, slowAnswer);
    FilterHost host = new FilterHost(Map.of());
    ActorRef<TenantNetworks.Command> tenants = spawn(host, "tenants-slow");
    plug(tenants, "server-web", PORT, "fa:16:3e:00:00:a1", "10.5.0.11");
    host.await("the first port filtered with its group", f -> f.getKey().size() == 1 && f.getValue().containsKey(WEB));

    // the attack: a guest whose port is plugged (and could send) before its group has answered
    plug(tenants, "server-slow", SLOW_PORT, "fa:16:3e:00:00:a2", "10.5.0.12");
    var meanwhile = host.await("the new port is filtered at once, its group not there yet: it allows nothing",
        f -> f.getKey().size() == 2 && !f.getValue().containsKey(SLOW));
    assertTrue(meanwhile.getKey().stream().anyMatch(p -> p.securityGroups().equals(List.of(SLOW))), meanwhile.toString());

    slowAnswer.complete(Optional.of(new SecurityGroup(SLOW, "p", SLOW, "", true, List.of(rule(SLOW, "icmp", null)),
        Map.of(SLOW_PORT, List.of("10.5.0.12")), List.of(), Instant.EPOCH, Instant.EPOCH, 1, false)));
    host.await("once it answers, its rules apply", f -> f.getKey().size() == 2 && f.getValue().containsKey(SLOW));
    kit.stop(tenants);
  }

  @Test
  void aChangeMadeBeforeTheHostsSubscriptionTookHoldIsLearnedAllTheSame() throws Exception {
    groups.put(WEB, group(WEB, 1));
    FilterHost host = new FilterHost(Map.of());
    ActorRef<TenantNetworks.Command> tenants = spawn(host, "tenants-settle");
    plug(tenants, "server-settle", PORT, "fa:16:3e:00:00:a1", "10.5.0.11");
    host.await("filtered with the group as first fetched", f -> f.getValue().containsKey(WEB));
    // changed without a word on its topic, as a change published before the subscription reached
    // the group's node is lost to the host: asked again once the subscription has settled
    groups.put(WEB, group(WEB, 2, rule(WEB, "tcp", null)));
    host.await("the change is learned well before the next reconciliation",
        f -> f.getValue().get(WEB) != null && f.getValue().get(WEB).revisionNumber() == 2);
    kit.stop(tenants);
  }

  @Test
  void aPortsNewGroupsAreFilteredWithoutRebuildingItsNetworkAndOtherChangesStillRebuildIt() throws Exception {
    groups.put(WEB, group(WEB, 1));
    groups.put(ADMINS, group(ADMINS, 1));
    FilterHost host = new FilterHost(Map.of());
    ActorRef<TenantNetworks.Command> tenants = spawn(host, "tenants-refilter");
    plug(tenants, "server-refilter", PORT, "fa:16:3e:00:00:a1", "10.5.0.11");
    host.await("filtered with its group", f -> f.getKey().size() == 1 && f.getValue().containsKey(WEB));
    int built = host.applies.get();
    assertTrue(built >= 1, "the network was built for the plug");

    ActorRef<Topic.Command<NetworkChanged>> topic = kit.spawn(Topic.create(NetworkChanged.class,
        NetworkChanged.topic(NETWORK)));
    Network before = network();
    Map<String, Attachment> ports = new java.util.HashMap<>(before.ports());
    Attachment a = ports.get(PORT);
    ports.put(PORT, new Attachment(a.projectId(), a.macAddress(), a.fixedIps(), a.deviceOwner(), a.placement(),
        new PortSecurity(true, List.of(ADMINS), List.of())));
    Network regrouped = withPorts(before, ports);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!host.filters.get(host.filters.size() - 1).getKey().get(0).securityGroups().equals(List.of(ADMINS))) {
      if (System.nanoTime() > deadline) throw new AssertionError("the port's new group is never applied: " + host.filters);
      topic.tell(Topic.publish(new NetworkChanged(regrouped)));
      for (int i = 0; i < 10; i++) pause();
    }
    assertEquals(built, host.applies.get(), "only the filter: the network is not built again");

    // anything else about the network is built again (a new port, here)
    ports.put("7e57a1b2-0000-4000-8000-0000000000a9", new Attachment("p", "fa:16:3e:00:00:a9",
        List.of(new FixedIp("s", "10.5.0.19")), "compute:nova", Optional.empty()));
    Network grown = withPorts(before, ports);
    deadline = System.nanoTime() + WAIT.toNanos();
    while (host.applies.get() == built) {
      if (System.nanoTime() > deadline) throw new AssertionError("a new port does not rebuild the network");
      topic.tell(Topic.publish(new NetworkChanged(grown)));
      for (int i = 0; i < 10; i++) pause();
    }
    kit.stop(tenants);
  }

  private static Network withPorts(Network n, Map<String, Attachment> ports) {
    return new Network(n.id(), n.projectId(), n.attributes(), n.segment(), n.mtu(), n.phase(), n.quotaHeld(),
        n.segmentHeld(), n.subnets(), n.pendingSubnets(), Map.copyOf(ports), n.quotaToRelease(), n.createdAt(),
        n.updatedAt(), n.revisionNumber());
  }

  private static void plug(ActorRef<TenantNetworks.Command> tenants, String server, String portId, String mac, String ip)
      throws Exception {
    ServerPort port = new ServerPort(portId, NETWORK, "n", mac, List.of(new FixedIp("s", ip)), true, Optional.empty());
    AskPattern.<TenantNetworks.Command, List<nimbus.node.hypervisor.DomainSpec.Nic>>askWithStatus(tenants,
        reply -> new TenantNetworks.Plug(server, "vm-" + server, List.of(port), reply), WAIT, kit.system().scheduler())
        .toCompletableFuture().get();
  }
}
