package nimbus.compute;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.storage.StorageHostCommand;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@link VolumeAttachments} as messages: to the sharded {@link VolumeEntity}, and to the volume's
 * storage host's agent found through the receptionist (no agent up is no answer: the step asks again).
 */
public final class ShardedVolumeAttachments implements VolumeAttachments {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedVolumeAttachments(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<StatusReply<String>> create(Volume asked) {
    return volume(asked.id()).<StatusReply<Volume>>ask(r -> new VolumeEntity.Create(asked, r), timeout)
        .thenCompose(r -> r.isSuccess() || Rejection.from(r.getError()).kind() != Rejection.Kind.CONFLICT
            ? CompletableFuture.completedFuture(r)
            : volume(asked.id()).<StatusReply<Volume>>ask(VolumeEntity.Get::new, timeout)) // asked before: how is it now
        .thenApply(r -> r.isSuccess() ? StatusReply.success(r.getValue().status()) : StatusReply.<String>error(r.getError()));
  }

  @Override
  public CompletionStage<StatusReply<String>> reserve(String volumeId, String attachmentId, String serverId,
      String projectId) {
    return volume(volumeId).<StatusReply<Volume>>ask(r -> new VolumeEntity.Reserve(attachmentId, serverId, projectId, r),
            timeout)
        .thenApply(r -> r.isSuccess() ? StatusReply.success(r.getValue().host().orElse(""))
            : StatusReply.<String>error(r.getError()));
  }

  @Override
  public CompletionStage<StatusReply<String>> export(String storageHost, String volumeId, String toHost) {
    var key = StorageHostCommand.of(storageHost);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<ActorRef<StorageHostCommand>> agents = List.copyOf(listing.getServiceInstances(key));
          if (agents.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException("storage host " + storageHost + " is not up"));
          }
          return AskPattern.<StorageHostCommand, StatusReply<String>>ask(agents.get(0),
              r -> new StorageHostCommand.ExportVolume(volumeId, toHost, r), timeout, system.scheduler());
        });
  }

  @Override
  public void checkExport(String volumeId) {
    // every storage host: a detach knows the volume, not its storage host, and the others hold no export of it
    var key = StorageHostCommand.ANY;
    AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenAccept(listing -> listing.getServiceInstances(key)
            .forEach(agent -> agent.tell(new StorageHostCommand.CheckExport(volumeId))));
  }

  @Override
  public CompletionStage<StatusReply<Done>> complete(String volumeId, String attachmentId, String device, String host,
      java.util.Optional<String> path) {
    java.util.Optional<String> transport = path.map(nimbus.storage.VolumeAttachment::transportOf);
    return volume(volumeId).ask(r -> new VolumeEntity.CompleteAttach(attachmentId, device, host, transport, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> beginDetach(String volumeId, String attachmentId) {
    return volume(volumeId).ask(r -> new VolumeEntity.BeginDetach(attachmentId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String volumeId, String attachmentId) {
    return volume(volumeId).ask(r -> new VolumeEntity.Release(attachmentId, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> delete(String volumeId) {
    return volume(volumeId).<StatusReply<Done>>ask(VolumeEntity.Delete::new, timeout)
        .thenApply(r -> r.isError() && Rejection.from(r.getError()).kind() == Rejection.Kind.NOT_FOUND ? StatusReply.ack() : r);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<VolumeEntity.Command> volume(String id) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, id);
  }
}
