package nimbus.edge;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.compute.BootSource;
import nimbus.storage.ImageEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Resolves a server's imageRef to what a host boots: the image's own file as root disk, and its
 * kernel_id and ramdisk_id images for direct kernel boot.
 */
final class BootSources {
  private final ClusterSharding sharding;
  private final Duration timeout;

  BootSources(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  CompletionStage<BootSource> resolve(String imageId) {
    return image(imageId).thenCompose(image -> {
      CompletableFuture<Optional<String>> kernel = location(image.property("kernel_id"));
      CompletableFuture<Optional<String>> ramdisk = location(image.property("ramdisk_id"));
      boolean rootDisk = image.diskFormat().equals("qcow2") || image.diskFormat().equals("raw");
      return kernel.thenCombine(ramdisk, (k, r) -> new BootSource(image.id(),
          rootDisk ? image.location() : Optional.empty(),
          rootDisk ? Optional.of(image.diskFormat()) : Optional.empty(), k, r));
    });
  }

  private CompletableFuture<Optional<String>> location(Optional<String> imageId) {
    if (imageId.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
    return image(imageId.get()).thenApply(ImageEntity.Image::location).toCompletableFuture();
  }

  private CompletionStage<ImageEntity.Image> image(String id) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, id)
        .<ImageEntity.Image>askWithStatus(ImageEntity.Get::new, timeout)
        .exceptionally(e -> {
          if (Failures.rejection(e).kind() == Rejection.Kind.NOT_FOUND) {
            throw ApiError.badRequest("Can not find requested image");
          }
          throw Failures.rethrow(e);
        });
  }
}
