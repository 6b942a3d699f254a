package nimbus.storage;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import nimbus.cluster.Entities;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ResourceChanges;
import org.apache.pekko.actor.typed.ActorSystem;

/** Registers the storage entities and their read side on a node. */
public final class Storage {
  private Storage() {}

  public static void init(ActorSystem<?> system, Clock clock, Duration uploadTimeout, ImageQuotas.Limits limits) {
    Entities.init(system, ImageEntity.TYPE_KEY, ctx -> ImageEntity.create(ctx.getEntityId(), clock, uploadTimeout));
    Entities.init(system, ImageQuotaEntity.TYPE_KEY,
        ctx -> ImageQuotaEntity.create(ctx.getEntityId(), limits, uploadTimeout, clock));
  }

  /**
   * The volume, snapshot and backup entities and their projects' quotas; {@code stepRetry}: how long a volume's step
   * waits for an answer before it is asked again.
   */
  public static void initVolumes(ActorSystem<?> system, Clock clock, Duration stepRetry) {
    ShardedVolumeClaims claims = new ShardedVolumeClaims(system, stepRetry);
    Entities.initRemembered(system, VolumeEntity.TYPE_KEY, ctx -> VolumeEntity.create(ctx.getEntityId(), claims,
        stepRetry, clock, java.util.Optional.of(ctx.getShard())));
    Entities.initRemembered(system, SnapshotEntity.TYPE_KEY, ctx -> SnapshotEntity.create(ctx.getEntityId(), claims,
        stepRetry, clock, java.util.Optional.of(ctx.getShard())));
    ShardedBackupClaims backupClaims = new ShardedBackupClaims(system, stepRetry);
    Entities.initRemembered(system, BackupEntity.TYPE_KEY, ctx -> BackupEntity.create(ctx.getEntityId(), backupClaims,
        stepRetry, clock, java.util.Optional.of(ctx.getShard())));
    nimbus.cluster.ResourceChanges quotaChanges = nimbus.cluster.ResourceChanges.get(system);
    Entities.init(system, VolumeQuotaEntity.TYPE_KEY,
        ctx -> VolumeQuotaEntity.create(ctx.getEntityId(), VolumeQuotaEntity.DEFAULTS, quotaChanges::publish));
    Entities.init(system, VolumeTypeCatalogEntity.TYPE_KEY, ctx -> VolumeTypeCatalogEntity.create());
  }

  /** On control nodes: the image list table and the projection that fills it. */
  public static void initReadSide(ActorSystem<?> system) throws Exception {
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      ImageListProjection.createTable(c);
    }
    ResourceChanges changes = ResourceChanges.get(system);
    ReadSideProjection.run(system, ImageListProjection.NAME, ImageEntity.TAG,
        () -> new ImageListProjection(changes::publish));
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      VolumeListProjection.createTable(c);
    }
    ReadSideProjection.run(system, VolumeListProjection.NAME, VolumeEntity.TAG,
        () -> new VolumeListProjection(changes::publish));
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      SnapshotListProjection.createTable(c);
    }
    ReadSideProjection.run(system, SnapshotListProjection.NAME, SnapshotEntity.TAG,
        () -> new SnapshotListProjection(changes::publish));
    try (Connection c = ReadSideDatabase.get(system).connection()) {
      BackupListProjection.createTable(c);
    }
    ReadSideProjection.run(system, BackupListProjection.NAME, BackupEntity.TAG, BackupListProjection::new);
  }
}
