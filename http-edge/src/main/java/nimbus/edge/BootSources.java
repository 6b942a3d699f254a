package nimbus.edge;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.compute.BootSource;
import nimbus.compute.BootVolume;
import nimbus.compute.Flavor;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.VolumeImage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Resolves a server's imageRef to what a host boots: the image's own file as root disk, and its
 * kernel_id and ramdisk_id images for direct kernel boot, with its os_command_line.
 */
final class BootSources {
  private final ClusterSharding sharding;
  private final Duration timeout;

  BootSources(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  /**
   * What the image boots, if {@code projectId} may use it (public, or its own) and it fits
   * {@code flavor} as Nova checks it.
   */
  CompletionStage<BootSource> resolve(String imageId, String projectId, Flavor flavor) {
    return image(imageId, projectId).thenCompose(image -> {
      checkFits(image, flavor);
      CompletableFuture<Optional<String>> kernel = location(image.property("kernel_id"), projectId);
      CompletableFuture<Optional<String>> ramdisk = location(image.property("ramdisk_id"), projectId);
      boolean rootDisk = image.diskFormat().equals("qcow2") || image.diskFormat().equals("raw");
      return kernel.thenCombine(ramdisk, (k, r) -> new BootSource(image.id(),
          rootDisk ? fileOf(image) : Optional.empty(),
          rootDisk ? Optional.of(image.diskFormat()) : Optional.empty(), k, r,
          image.property("os_command_line").filter(line -> !line.isBlank())));
    });
  }

  /**
   * What a server boots with an existing {@code volume} as its first disk: as Nova reads a volume's
   * image properties from its {@code volume_image_metadata}, the kernel_id and ramdisk_id images
   * there boot it (each one {@code projectId} may use, as on an image boot: the values are whoever
   * made the image's, never a host's path), with its os_command_line. A volume not made from an
   * image boots by itself.
   */
  CompletionStage<BootSource> withVolume(BootVolume volume, Optional<VolumeImage> made, String projectId) {
    Map<String, String> properties = made.map(VolumeImage::properties).orElse(Map.of());
    CompletableFuture<Optional<String>> kernel = location(Optional.ofNullable(properties.get("kernel_id")), projectId);
    CompletableFuture<Optional<String>> ramdisk = location(Optional.ofNullable(properties.get("ramdisk_id")), projectId);
    Optional<String> commandLine = Optional.ofNullable(properties.get("os_command_line")).filter(line -> !line.isBlank());
    return kernel.thenCombine(ramdisk, (k, r) -> new BootSource("", Optional.empty(), Optional.empty(), k, r,
        commandLine, Optional.of(volume)));
  }

  /**
   * Nova's checks of an image against the flavor (compute API's _validate_flavor_image): its
   * min_ram, and on a local root disk (a flavor of 0 GB is not checked) its size and min_disk.
   */
  static void checkFits(Image image, Flavor flavor) {
    if (flavor.ramMb() < image.metadata().minRam()) {
      throw ApiError.badRequest("Flavor's memory is too small for requested image.");
    }
    long disk = flavor.diskGb() * GIB;
    if (disk == 0) return;
    long size = image.file().map(f -> f.size()).orElse(0L);
    if (size > disk) {
      throw ApiError.badRequest("Flavor's disk is too small for requested image. Flavor disk is " + disk
          + " bytes, image is " + size + " bytes.");
    }
    long minDisk = image.metadata().minDisk() * GIB;
    if (minDisk > disk) {
      throw ApiError.badRequest("Flavor's disk is smaller than the minimum size specified in image metadata. "
          + "Flavor disk is " + disk + " bytes, minimum size is " + minDisk + " bytes.");
    }
  }

  private static final long GIB = 1024L * 1024 * 1024;

  private CompletableFuture<Optional<String>> location(Optional<String> imageId, String projectId) {
    if (imageId.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
    // an image id is a UUID: anything else (a path, say) is no image, and no entity is asked for it
    if (!Ids.isUuid(imageId.get())) return CompletableFuture.failedFuture(ApiError.badRequest("Can not find requested image"));
    return image(imageId.get(), projectId).thenApply(BootSources::fileOf).toCompletableFuture();
  }

  /** Where a host finds an image's bytes: a file already on it, or the store's file by hash. */
  static Optional<String> fileOf(Image image) {
    if (image.location().isPresent()) return image.location();
    return image.file().map(f -> BootSource.STORE_PREFIX + f.sha512());
  }

  /** The image, if the image service has it (whoever may see it). */
  CompletionStage<Optional<Image>> find(String id) {
    return sharding.entityRefFor(ImageEntity.TYPE_KEY, id)
        .<Image>askWithStatus(ImageEntity.Get::new, timeout)
        .handle((image, e) -> {
          if (e == null) return Optional.of(image);
          if (Failures.rejection(e).kind() == Rejection.Kind.NOT_FOUND) return Optional.empty();
          throw Failures.rethrow(e);
        });
  }

  private CompletionStage<Image> image(String id, String projectId) {
    return find(id).thenApply(found -> {
      Image image = found.filter(i -> i.visibleTo(projectId))
          .orElseThrow(() -> ApiError.badRequest("Can not find requested image"));
      if (!image.status().equals("active")) throw ApiError.badRequest("Image " + id + " is not active.");
      return image;
    });
  }
}
