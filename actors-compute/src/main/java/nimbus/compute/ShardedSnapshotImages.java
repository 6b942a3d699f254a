package nimbus.compute;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** A snapshot's image as an {@link ImageEntity} in the cluster. */
final class ShardedSnapshotImages implements SnapshotImages {
  private final ClusterSharding sharding;
  private final Duration timeout;

  ShardedSnapshotImages(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Optional<Rejection>> create(Image image) {
    return Answers.refusalOf(sharding.entityRefFor(ImageEntity.TYPE_KEY, image.id())
        .<Image>askWithStatus(r -> new ImageEntity.Create(image, r), timeout));
  }

  @Override
  public CompletionStage<Done> discard(String imageId) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, imageId).askWithStatus(ImageEntity.Discard::new, timeout);
  }
}
