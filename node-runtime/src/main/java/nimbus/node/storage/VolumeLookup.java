package nimbus.node.storage;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.storage.Snapshot;
import nimbus.storage.SnapshotEntity;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * How a storage agent reads a volume's entity (empty when there is no such volume) or learns that
 * a snapshot is gone: a failure when it cannot tell.
 */
public final class VolumeLookup {
  private VolumeLookup() {}

  public static Function<String, CompletionStage<Optional<Volume>>> sharded(ActorSystem<?> system, Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return id -> sharding.entityRefFor(VolumeEntity.TYPE_KEY, id)
        .<StatusReply<Volume>>ask(VolumeEntity.Get::new, timeout)
        .thenApply(reply -> {
          if (reply.isSuccess()) return Optional.of(reply.getValue());
          // only a clear "no such volume" makes a file an orphan; anything else keeps it
          if (Rejection.from(reply.getError()).kind() == Rejection.Kind.NOT_FOUND) return Optional.empty();
          throw Rejection.failure(Rejection.from(reply.getError()).kind(), reply.getError().getMessage());
        });
  }

  /** Whether the snapshot is gone (deleted, or never was): only then is its file an orphan. */
  public static Function<String, CompletionStage<Boolean>> snapshotGone(ActorSystem<?> system, Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return id -> sharding.entityRefFor(SnapshotEntity.TYPE_KEY, id)
        .<StatusReply<Snapshot>>ask(SnapshotEntity.Get::new, timeout)
        .thenApply(reply -> {
          if (reply.isSuccess()) return reply.getValue().status().equals(Snapshot.DELETED);
          if (Rejection.from(reply.getError()).kind() == Rejection.Kind.NOT_FOUND) return true;
          throw Rejection.failure(Rejection.from(reply.getError()).kind(), reply.getError().getMessage());
        });
  }
}
