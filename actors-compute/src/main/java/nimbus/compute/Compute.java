package nimbus.compute;

import java.sql.Connection;
import java.time.Clock;
import nimbus.cluster.Entities;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.config.ComputeSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import java.util.Optional;

/** Registers the compute entities and their read side on a node. */
public final class Compute {
  private Compute() {}

  /** On every node: servers and hosts reachable through sharding (hosted on control nodes). */
  public static void init(ActorSystem<?> system, ComputeSettings settings, Clock clock) {
    HostDirectory directory = HostDirectory.get(system);
    HostGateway hosts = new ShardedHostGateway(system, settings);
    SnapshotImages images = new ShardedSnapshotImages(system, settings.stepRetryInterval().multipliedBy(3));
    ServerPorts ports = new ShardedServerPorts(system, settings.stepRetryInterval().multipliedBy(3));
    VolumeAttachments volumes = new ShardedVolumeAttachments(system, settings.stepRetryInterval().multipliedBy(3));
    Entities.initRemembered(system, ServerEntity.TYPE_KEY, ctx -> ServerEntity.create(ctx.getEntityId(), hosts, images,
        ports, volumes, settings, clock, Optional.of(ctx.getShard())));
    ServerCreation.Steps creationSteps = new ShardedCreationSteps(system, settings.stepRetryInterval().multipliedBy(3));
    Entities.initRemembered(system, ServerCreation.TYPE_KEY, ctx -> ServerCreation.create(ctx.getEntityId(),
        creationSteps, clock, settings.stepRetryInterval(), Optional.of(ctx.getShard())));
    ProjectQuotaEntity.Limits quota = new ProjectQuotaEntity.Limits(settings.quotaInstances(),
        settings.quotaCores(), settings.quotaRamMb());
    nimbus.cluster.ResourceChanges changes = nimbus.cluster.ResourceChanges.get(system);
    Entities.init(system, ProjectQuotaEntity.TYPE_KEY, ctx -> ProjectQuotaEntity.create(ctx.getEntityId(), quota,
        changes::publish));
    Entities.init(system, FlavorCatalogEntity.TYPE_KEY, ctx -> FlavorCatalogEntity.create(changes::publish));
    Entities.init(system, KeypairsEntity.TYPE_KEY, ctx -> KeypairsEntity.create(ctx.getEntityId(), changes::publish));
    Entities.init(system, ServerGroupsEntity.TYPE_KEY, ctx -> ServerGroupsEntity.create(ctx.getEntityId(),
        settings.quotaServerGroups(), settings.quotaServerGroupMembers()));
    Entities.init(system, AggregatesEntity.TYPE_KEY, ctx -> AggregatesEntity.create());
    Entities.init(system, HostEntity.TYPE_KEY, ctx ->
        HostEntity.create(ctx.getEntityId(), directory::publish, changes::publish));
  }

  /** On control nodes: the read-side tables and the projections that fill them. */
  public static void initReadSide(ActorSystem<?> system) throws Exception {
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      ServerListProjection.createTable(c);
    }
    ServerChanges changes = ServerChanges.get(system);
    ReadSideProjection.run(system, ServerListProjection.NAME, ServerEntity.TAG,
        () -> new ServerListProjection(changes::publish));
  }
}
