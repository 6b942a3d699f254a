package nimbus.network;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import nimbus.cluster.Entities;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ResourceChanges;
import nimbus.config.NetworkSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Registers the network entities and their read side on a node. */
public final class Networking {
  private Networking() {}

  public static void init(ActorSystem<?> system, NetworkSettings settings, Clock clock) {
    init(system, settings, clock, RouterPlacement.NONE);
  }

  /** {@code placement}: the hosts routers may be placed on (the node knows its compute hosts). */
  public static void init(ActorSystem<?> system, NetworkSettings settings, Clock clock, RouterPlacement placement) {
    NetworkClaims claims = new ShardedNetworkClaims(ClusterSharding.get(system), ASK_TIMEOUT,
        port -> java.util.concurrent.CompletableFuture.supplyAsync(() -> floatingIpsOf(system, port),
            system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking())));
    // networks and ports carry out steps: remembered, so a crash mid-step resumes them
    Entities.initRemembered(system, NetworkEntity.TYPE_KEY,
        ctx -> NetworkEntity.create(ctx.getEntityId(), claims, settings.stepRetryInterval(), clock,
            java.util.Optional.of(ctx.getShard())));
    Entities.initRemembered(system, PortEntity.TYPE_KEY,
        ctx -> PortEntity.create(ctx.getEntityId(), claims, settings.stepRetryInterval(), clock,
            java.util.Optional.of(ctx.getShard())));
    Entities.initRemembered(system, SecurityGroupEntity.TYPE_KEY,
        ctx -> SecurityGroupEntity.create(ctx.getEntityId(), claims, settings.stepRetryInterval(), clock,
            java.util.Optional.of(ctx.getShard())));
    // the read side is opened only when a router is placed: entities run on control nodes, which have it
    RouterClaims routerClaims = new ShardedRouterClaims(ClusterSharding.get(system), claims, ASK_TIMEOUT, placement,
        () -> {
          try {
            return new NetworkListing(ReadSideDatabase.get(system)).routersPerHost();
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException("read side: " + e.getMessage(), e);
          }
        }, system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
    Entities.initRemembered(system, RouterEntity.TYPE_KEY,
        ctx -> RouterEntity.create(ctx.getEntityId(), routerClaims, settings.stepRetryInterval(), clock,
            java.util.Optional.of(ctx.getShard())));
    Entities.initRemembered(system, FloatingIpEntity.TYPE_KEY,
        ctx -> FloatingIpEntity.create(ctx.getEntityId(), routerClaims, settings.stepRetryInterval(), clock,
            java.util.Optional.of(ctx.getShard())));
    ResourceChanges quotaChanges = ResourceChanges.get(system);
    Entities.init(system, NetworkQuotaEntity.TYPE_KEY,
        ctx -> NetworkQuotaEntity.create(ctx.getEntityId(), settings.defaultQuota(), quotaChanges::publish));
    Entities.init(system, SubnetPoolEntity.TYPE_KEY, ctx -> SubnetPoolEntity.create(ctx.getEntityId(), clock));
    Entities.init(system, SegmentPoolEntity.TYPE_KEY, ctx -> pool(ctx.getEntityId(), settings));
  }

  /** The floating IPs associated with a port, from the read side (on control nodes, where entities run). */
  static List<String> floatingIpsOf(ActorSystem<?> system, String portId) {
    try {
      var byPort = new NetworkListing.Query<FloatingIp>(java.util.Optional.empty(),
          java.util.Map.of("port_id", List.<Object>of(portId)), java.util.Optional.empty(), (f, k) -> null, List.of(), 0,
          java.util.Optional.empty(), false);
      return new NetworkListing(ReadSideDatabase.get(system)).floatingIps(byPort).stream().map(FloatingIp::id).toList();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("read side: " + e.getMessage(), e);
    }
  }

  /** A pool's ranges from the settings, by its name ({@link Segment#pool}). */
  static org.apache.pekko.actor.typed.Behavior<SegmentPoolEntity.Command> pool(String name, NetworkSettings s) {
    String type = name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
    String physnet = name.contains(":") ? name.substring(name.indexOf(':') + 1) : "";
    List<int[]> ranges = switch (type) {
      case "vxlan" -> s.vniRanges();
      case "gre" -> s.greRanges();
      case "vlan" -> s.vlanRanges().getOrDefault(physnet, List.of());
      case "flat" -> s.flatNetworks().contains(physnet) || s.flatNetworks().contains("*")
          ? List.of(new int[] {0, 0}) : List.of();
      default -> List.of();
    };
    long max = NetworkType.fromApi(type).map(NetworkType::maxSegmentationId).orElse(0L);
    return SegmentPoolEntity.create(name, ranges.stream().map(r -> new SegmentPoolEntity.Range(r[0], r[1])).toList(), max);
  }

  /** On control nodes: the network, subnet and port tables and the projections that fill them. */
  public static void initReadSide(ActorSystem<?> system) throws Exception {
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      NetworkListProjection.createTables(c);
      SecurityGroupListProjection.createTables(c);
      RouterListProjection.createTables(c);
      FloatingIpListProjection.createTables(c);
    }
    ResourceChanges changes = ResourceChanges.get(system);
    ReadSideProjection.run(system, SecurityGroupListProjection.NAME, SecurityGroupEntity.TAG,
        () -> new SecurityGroupListProjection.Groups(changes::publish));
    ReadSideProjection.run(system, NetworkListProjection.NETWORKS, NetworkEntity.TAG,
        () -> new NetworkListProjection.Networks(changes::publish));
    ReadSideProjection.run(system, NetworkListProjection.SUBNET_POOLS, SubnetPoolEntity.TAG,
        NetworkListProjection.SubnetPools::new);
    ReadSideProjection.run(system, NetworkListProjection.PORTS, PortEntity.TAG,
        () -> new NetworkListProjection.Ports(changes::publish));
    ReadSideProjection.run(system, RouterListProjection.NAME, RouterEntity.TAG,
        () -> new RouterListProjection(changes::publish));
    ReadSideProjection.run(system, FloatingIpListProjection.NAME, FloatingIpEntity.TAG,
        () -> new FloatingIpListProjection(changes::publish));
  }

  /** Where the hosts that carry routers report their floating IPs' status (hand it to the node agent). */
  public static FloatingIpReports floatingIpReports(ActorSystem<?> system) {
    return new ShardedFloatingIpReports(ClusterSharding.get(system), ASK_TIMEOUT);
  }

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
}
