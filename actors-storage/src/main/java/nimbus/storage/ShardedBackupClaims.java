package nimbus.storage;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@link BackupClaims} as messages: the quota to the sharded {@link VolumeQuotaEntity}, volumes to
 * the sharded {@link VolumeEntity}, parents to the sharded {@link BackupEntity}, chunks to the
 * storage hosts' backup agents found through the receptionist. No agent up is no answer (the step
 * asks again later).
 */
public final class ShardedBackupClaims implements BackupClaims {
  /**
   * How long a store or restore of a volume's bytes is waited for: as long as the bytes take, since
   * a step is asked once at a time and an answer after its ask ended would be lost (the agent answers
   * every asker of the work under way, so an entity restarted meanwhile hears the outcome too).
   */
  static final Duration MOVING_BYTES = Duration.ofHours(6);
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedBackupClaims(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserveBackup(String projectId, String backupId, int gigabytes) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.ReserveBackup(backupId, gigabytes, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseBackup(String projectId, String backupId) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.ReleaseBackup(backupId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> linkParent(String parentId, String backupId, String projectId) {
    return sharding.entityRefFor(BackupEntity.TYPE_KEY, parentId)
        .ask(r -> new BackupEntity.AddDependent(backupId, projectId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> unlinkParent(String parentId, String backupId) {
    return sharding.entityRefFor(BackupEntity.TYPE_KEY, parentId)
        .ask(r -> new BackupEntity.RemoveDependent(backupId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Volume>> holdVolume(String volumeId, String backupId, String projectId,
      boolean restoring, int minSize) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volumeId)
        .ask(r -> new VolumeEntity.HoldForBackup(backupId, projectId, restoring, minSize, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> freeVolume(String volumeId, String backupId, String status) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volumeId)
        .ask(r -> new VolumeEntity.FreeFromBackup(backupId, status, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> createVolume(Volume volume) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volume.id())
        .<StatusReply<Volume>>ask(r -> new VolumeEntity.Create(volume, r), timeout)
        // asked again after it was made: the volume exists, which is all the step needs
        .thenApply(made -> made.isSuccess() || made.getError().getMessage().endsWith("already exists.")
            ? StatusReply.ack() : StatusReply.error(made.getError()));
  }

  @Override
  public CompletionStage<StatusReply<BackupHostCommand.Manifest>> storeChunks(String host, String backupId,
      String volumeId, Optional<String> snapshotId) {
    return ask(host, r -> new BackupHostCommand.StoreChunks(backupId, volumeId, snapshotId, r), MOVING_BYTES);
  }

  @Override
  public CompletionStage<StatusReply<Done>> adoptChunks(String host, String backupId, List<String> chunks) {
    // a record may name a host that is not (or no longer) this cloud's: refused, not asked forever
    CompletionStage<StatusReply<Done>> asked =
        this.<Done>ask(host, r -> new BackupHostCommand.AdoptChunks(backupId, chunks, r), timeout);
    return asked.handle((answer, e) -> {
      // the host's refusal (a chunk it does not hold) is the importer's mistake, a 400 as Cinder's
      if (e == null) {
        return CompletableFuture.completedFuture(answer.isSuccess() ? answer
            : Rejection.<Done>invalid("Invalid backup: " + answer.getError().getMessage()));
      }
      if (e instanceof IllegalStateException || e.getCause() instanceof IllegalStateException) {
        return CompletableFuture.completedFuture(
            Rejection.<Done>invalid("Invalid backup: no storage host " + host + " holds backups"));
      }
      return CompletableFuture.<StatusReply<Done>>failedFuture(e);
    }).thenCompose(f -> f);
  }

  @Override
  public CompletionStage<StatusReply<Done>> restoreChunks(String host, String backupId, String volumeId,
      List<String> chunks) {
    // a volume of another storage host is written by the backup's host only where every host opens it (RBD)
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volumeId).<StatusReply<Volume>>ask(VolumeEntity.Get::new, timeout)
        .thenCompose(found -> {
          Optional<String> volumeHost = found.isSuccess() ? found.getValue().host() : Optional.empty();
          if (volumeHost.isEmpty() || volumeHost.get().equals(host)) {
            return ask(host, r -> new BackupHostCommand.RestoreChunks(backupId, volumeId, chunks, Optional.empty(), r),
                MOVING_BYTES);
          }
          return this.<String>askStorage(volumeHost.get(), r -> new StorageHostCommand.SourceOf(volumeId, r))
              .thenCompose(image -> image.isError()
                  ? CompletableFuture.completedFuture(StatusReply.<Done>error("Volume " + volumeId + " is a file of storage"
                      + " host " + volumeHost.get() + ", and backup " + backupId + "'s chunks are on " + host
                      + ": a restore into a file of another host is not built."))
                  : ask(host, r -> new BackupHostCommand.RestoreChunks(backupId, volumeId, chunks,
                      Optional.of(image.getValue()), r), MOVING_BYTES));
        });
  }

  private <T> CompletionStage<StatusReply<T>> askStorage(String host,
      Function<ActorRef<StatusReply<T>>, StorageHostCommand> command) {
    ServiceKey<StorageHostCommand> key = StorageHostCommand.of(host);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenApply(listing -> listing.getServiceInstances(key).stream().findAny())
        .thenCompose((Optional<ActorRef<StorageHostCommand>> agent) -> agent.isEmpty()
            ? CompletableFuture.failedFuture(new IllegalStateException("no storage agent on host " + host + " is up"))
            : AskPattern.ask(agent.get(), command::apply, timeout, system.scheduler()));
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeChunks(String host, String backupId) {
    return ask(host, r -> new BackupHostCommand.RemoveChunks(backupId, r), timeout);
  }

  private <T> CompletionStage<StatusReply<T>> ask(String host, Function<ActorRef<StatusReply<T>>, BackupHostCommand> command,
      Duration answerWithin) {
    ServiceKey<BackupHostCommand> key = BackupHostCommand.of(host);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenApply(listing -> listing.getServiceInstances(key).stream().findAny())
        .thenCompose((Optional<ActorRef<BackupHostCommand>> agent) -> agent.isEmpty()
            ? CompletableFuture.failedFuture(new IllegalStateException("no backup agent on host " + host + " is up"))
            : AskPattern.ask(agent.get(), command::apply, answerWithin, system.scheduler()));
  }
}
