package nimbus.storage;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@link VolumeClaims} and {@link SnapshotClaims} as messages: volumes to the sharded
 * {@link VolumeEntity}, the quota to the sharded {@link VolumeQuotaEntity}, images to the sharded
 * {@link ImageEntity}, files to
 * the storage hosts' agents found through the receptionist. No storage host up is no answer (the
 * step asks again later).
 */
public final class ShardedVolumeClaims implements VolumeClaims, SnapshotClaims {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedVolumeClaims(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserve(String projectId, String volumeId, String volumeType, int gigabytes) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.Reserve(volumeId, gigabytes, volumeType, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> countAgainAs(String projectId, String volumeId, String volumeType) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.CountAgainAs(volumeId, volumeType, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String projectId, String volumeId) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.Release(volumeId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorage(String volumeId, Optional<String> backend, int gigabytes) {
    return onBackend(backend, r -> new StorageHostCommand.CreateVolume(volumeId, gigabytes, r));
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorageFromImage(String volumeId, VolumeImage image,
      Optional<String> backend, int gigabytes) {
    return onBackend(backend,
        r -> new StorageHostCommand.CreateVolumeFromImage(volumeId, image.file(), image.diskFormat(), gigabytes, r));
  }

  /**
   * A host of the new backend is found; if it is the volume's own, nothing moves. Into a backend
   * every host opens (RBD) the volume's host writes the bytes; out of one the new host reads them.
   * Between two hosts that keep files the bytes would travel over NBD between storage hosts: refused
   * (not built).
   */
  @Override
  public CompletionStage<StatusReply<String>> migrateStorage(String fromHost, String volumeId, Optional<String> backend,
      int gigabytes) {
    return this.<StorageHostCommand.Receiver>onBackend(backend, r -> new StorageHostCommand.ReceiverOf(volumeId, r))
        .thenCompose(found -> {
          if (found.isError()) return CompletableFuture.completedFuture(StatusReply.<String>error(found.getError()));
          StorageHostCommand.Receiver target = found.getValue();
          if (target.host().equals(fromHost)) return CompletableFuture.completedFuture(StatusReply.success(fromHost));
          if (target.rbd().isPresent()) {
            return this.<Done>ask(StorageHostCommand.of(fromHost),
                    r -> new StorageHostCommand.SendVolume(volumeId, target.rbd().get(), gigabytes, r))
                .thenApply(sent -> sent.isError() ? StatusReply.<String>error(sent.getError()) : StatusReply.success(target.host()));
          }
          return this.<String>ask(StorageHostCommand.of(fromHost), r -> new StorageHostCommand.SourceOf(volumeId, r))
              .thenCompose(source -> source.isError()
                  ? CompletableFuture.completedFuture(nimbus.cluster.Rejection.<String>invalid("Volume " + volumeId
                      + " cannot move from storage host " + fromHost + " to " + target.host() + ": both keep files, and"
                      + " moving bytes between such hosts is not built."))
                  : ask(StorageHostCommand.of(target.host()),
                      r -> new StorageHostCommand.ReceiveVolume(volumeId, source.getValue(), gigabytes, r)));
        });
  }

  /**
   * Asks a storage host of the backend (any host when none is named). While no storage host is up
   * there is no answer (the step asks again); with hosts up of which none serves the backend, the
   * answer is Cinder's scheduler's refusal, and the volume ends in {@code error}.
   */
  private <T> CompletionStage<StatusReply<T>> onBackend(Optional<String> backend,
      Function<ActorRef<StatusReply<T>>, StorageHostCommand> command) {
    if (backend.isEmpty()) return ask(StorageHostCommand.ANY, command);
    ServiceKey<StorageHostCommand> key = StorageHostCommand.backend(backend.get());
    return host(StorageHostCommand.ANY).thenCompose(any -> any.isEmpty() ? ask(StorageHostCommand.ANY, command)
        : host(key).thenCompose(served -> served.isPresent() ? ask(key, command)
            : CompletableFuture.completedFuture(nimbus.cluster.Rejection.<T>invalid(
                "No valid backend was found. No storage host serves volume_backend_name " + backend.get() + "."))));
  }

  @Override
  public CompletionStage<StatusReply<Done>> resizeStorage(String host, String volumeId, int gigabytes) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.ResizeVolume(volumeId, gigabytes, r));
  }

  @Override
  public CompletionStage<StatusReply<Done>> growAttachedDisk(String computeHost, String serverId, String volumeId,
      String device, int gigabytes) {
    ServiceKey<AttachedDiskCommand> key = AttachedDiskCommand.of(computeHost);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenCompose(listing -> {
          var agents = java.util.List.copyOf(listing.getServiceInstances(key));
          // a compute host that is not up gives no answer: the step asks again
          return agents.isEmpty()
              ? CompletableFuture.<StatusReply<Done>>failedFuture(new IllegalStateException("compute host " + computeHost + " is not up"))
              : AskPattern.<AttachedDiskCommand, StatusReply<Done>>ask(agents.get(0),
                  r -> new AttachedDiskCommand.GrowDisk(serverId, volumeId, device, gigabytes * (1L << 30), r), timeout,
                  system.scheduler());
        });
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeStorage(String host, String volumeId) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.RemoveVolume(volumeId, r));
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorageFrom(String host, String volumeId, String snapshotId,
      int gigabytes) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.CreateVolumeFrom(volumeId, snapshotId, gigabytes, r));
  }

  @Override
  public CompletionStage<StatusReply<String>> cloneStorage(String host, String volumeId, String sourceId, int gigabytes) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.CloneVolume(volumeId, sourceId, gigabytes, r));
  }

  @Override
  public CompletionStage<StatusReply<Done>> createImage(Image image) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, image.id())
        .<StatusReply<Image>>ask(r -> new ImageEntity.Create(image, r), timeout)
        .thenApply(created -> created.isSuccess() ? StatusReply.ack() : StatusReply.error(created.getError()));
  }

  @Override
  public CompletionStage<StatusReply<Done>> uploadToImage(String host, String volumeId, String imageId, String diskFormat) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.UploadToImage(volumeId, imageId, diskFormat, r));
  }

  @Override
  public CompletionStage<StatusReply<Done>> discardImage(String imageId) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, imageId).ask(ImageEntity.Discard::new, timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserveSnapshot(String projectId, String snapshotId, String volumeType,
      int gigabytes) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.ReserveSnapshot(snapshotId, gigabytes, volumeType, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseSnapshot(String projectId, String snapshotId) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId)
        .ask(r -> new VolumeQuotaEntity.ReleaseSnapshot(snapshotId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Volume>> link(String volumeId, String snapshotId, String projectId, boolean force) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volumeId)
        .ask(r -> new VolumeEntity.AddSnapshot(snapshotId, projectId, force, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> unlink(String volumeId, String snapshotId) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, volumeId)
        .ask(r -> new VolumeEntity.RemoveSnapshot(snapshotId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> createSnapshotStorage(String host, String volumeId, String snapshotId) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.SnapshotVolume(volumeId, snapshotId, r));
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeSnapshotStorage(String host, String snapshotId) {
    return ask(StorageHostCommand.of(host), r -> new StorageHostCommand.RemoveSnapshot(snapshotId, r));
  }

  private <T> CompletionStage<StatusReply<T>> ask(ServiceKey<StorageHostCommand> key,
      Function<ActorRef<StatusReply<T>>, StorageHostCommand> command) {
    return host(key).thenCompose(agent -> agent.isEmpty()
        ? CompletableFuture.failedFuture(new IllegalStateException("no storage host " + key.id() + " is up"))
        : AskPattern.ask(agent.get(), command::apply, timeout, system.scheduler()));
  }

  /** One agent registered under the key, any of them when there are several. */
  private CompletionStage<Optional<ActorRef<StorageHostCommand>>> host(ServiceKey<StorageHostCommand> key) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenApply(listing -> {
          var agents = java.util.List.copyOf(listing.getServiceInstances(key));
          return agents.isEmpty() ? Optional.empty() : Optional.of(agents.get(ThreadLocalRandom.current().nextInt(agents.size())));
        });
  }
}
