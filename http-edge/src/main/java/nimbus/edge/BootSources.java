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

  /** What the image boots, if {@code projectId} may use it (public, or its own). */
  CompletionStage<BootSource> resolve(String imageId, String projectId) {
    return image(imageId, projectId).thenCompose(image -> {
      CompletableFuture<Optional<String>> kernel = location(image.property("kernel_id"), projectId);
      CompletableFuture<Optional<String>> ramdisk = location(image.property("ramdisk_id"), projectId);
      boolean rootDisk = image.diskFormat().equals("qcow2") || image.diskFormat().equals("raw");
      return kernel.thenCombine(ramdisk, (k, r) -> new BootSource(image.id(),
          rootDisk ? image.location() : Optional.empty(),
          rootDisk ? Optional.of(image.diskFormat()) : Optional.empty(), k, r));
    });
  }

  /** A project may use public images and its own. */
  static boolean visible(ImageEntity.Image image, String projectId) {
    return image.visibility().equals("public") || image.ownerProjectId().equals(projectId);
  }

  private CompletableFuture<Optional<String>> location(Optional<String> imageId, String projectId) {
    if (imageId.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
    return image(imageId.get(), projectId).thenApply(ImageEntity.Image::location).toCompletableFuture();
  }

  private CompletionStage<ImageEntity.Image> image(String id, String projectId) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, id)
        .<ImageEntity.Image>askWithStatus(ImageEntity.Get::new, timeout)
        .thenApply(image -> {
          if (!visible(image, projectId)) throw ApiError.badRequest("Can not find requested image");
          return image;
        })
        .exceptionally(e -> {
          if (Failures.rejection(e).kind() == Rejection.Kind.NOT_FOUND) {
            throw ApiError.badRequest("Can not find requested image");
          }
          throw Failures.rethrow(e);
        });
  }
}
