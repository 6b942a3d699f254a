package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.compute.BootSource;
import nimbus.compute.BootVolume;
import nimbus.compute.Flavor;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A server create's {@code block_device_mapping_v2}, checked as Nova checks it (nova/block_device.py
 * and the compute API's boot sequence), as far as Nimbus boots from volumes: one mapping at boot
 * index 0 to a volume, an existing one of the project's ({@code source_type} volume) or a new one
 * made from an image ({@code source_type} image). Nova's image-to-local mapping of the create's own
 * imageRef is the image boot. Anything else is a 400 that says so.
 */
final class BlockDeviceMappings {
  static final String BOOT_SEQUENCE = "Block Device Mapping is Invalid: Boot sequence for the instance and"
      + " image/block device mapping combination is not valid.";

  private final ClusterSharding sharding;
  private final BootSources images;
  private final Duration timeout;

  BlockDeviceMappings(ClusterSharding sharding, BootSources images, Duration timeout) {
    this.sharding = sharding;
    this.images = images;
    this.timeout = timeout;
  }

  /**
   * What a server boots from a boot mapping: an existing volume of the project's, or a new one made
   * from an image; from an image with a kernel and ramdisk ({@code kernel_id}, {@code ramdisk_id})
   * those boot the guest, with the volume as its first disk, as Nova boots such an image's volume.
   * An existing volume's image properties are those of its {@code volume_image_metadata}, as Nova
   * reads them there.
   */
  CompletionStage<BootSource> boot(JsonNode boot, RequestContext ctx, Flavor flavor) {
    if (!boot.path("source_type").asText().equals("image")) {
      return existing(boot, ctx.projectId()).thenCompose(volume -> images.withVolume(
          BootVolume.existing(volume.id(), Fields.isTrue(boot, "delete_on_termination")), volume.image(), ctx.projectId()));
    }
    return fromImage(boot, ctx).thenCompose(volume -> images.resolve(boot.path("uuid").asText(), ctx.projectId(), flavor)
        .thenApply(image -> new BootSource("", Optional.empty(), Optional.empty(), image.kernel(), image.ramdisk(),
            image.commandLine(), Optional.of(volume))));
  }

  /**
   * A new volume of {@code volume_size} GB made from the mapping's image, which the project may use
   * and which fits it (Cinder's checks); the server's build creates it in the project, against
   * its volume quota.
   */
  CompletionStage<BootVolume> fromImage(JsonNode boot, RequestContext ctx) {
    String imageId = boot.path("uuid").asText();
    int size = volumeSize(boot);
    if (size <= 0) {
      throw ApiError.badRequest("Images with destination_type 'volume' need to have a non-zero size specified");
    }
    String invalid = "Block Device Mapping is Invalid: failed to get image " + imageId + ".";
    if (!Ids.isUuid(imageId)) throw ApiError.badRequest(invalid);
    return images.find(imageId).thenApply(found -> {
      nimbus.storage.Image image = found.filter(i -> i.visibleTo(ctx.projectId()) && i.status().equals("active"))
          .orElseThrow(() -> ApiError.badRequest(invalid));
      Volume volume = Volume.requested(UUID.randomUUID().toString(), ctx.projectId(), ctx.userId(), "", "", size,
          java.util.Map.of(), VolumeRoutes.ZONE, VolumeRoutes.DEFAULT_TYPE, Instant.now())
          .fromImage(VolumeRoutes.fitting(image, size));
      return BootVolume.created(volume, Fields.isTrue(boot, "delete_on_termination"));
    });
  }

  /** The mapping the server boots from (empty: it boots its imageRef); {@code imageGiven}: the create named one. */
  static Optional<JsonNode> bootMapping(JsonNode server, boolean imageGiven) {
    JsonNode mappings = server.path("block_device_mapping_v2");
    if (!mappings.isArray() || mappings.isEmpty()) return Optional.empty();
    List<Integer> bootIndexes = new ArrayList<>();
    for (JsonNode m : mappings) {
      check(m);
      bootIndex(m).filter(i -> i >= 0).ifPresent(bootIndexes::add);
    }
    bootIndexes.sort(null);
    for (int i = 0; i < bootIndexes.size(); i++) {
      if (bootIndexes.get(i) != i) throw ApiError.badRequest(BOOT_SEQUENCE);
    }
    if (bootIndexes.isEmpty() && !imageGiven) throw ApiError.badRequest(BOOT_SEQUENCE);
    if (mappings.size() > 1 || bootIndexes.isEmpty()) {
      throw ApiError.badRequest("Block Device Mapping is Invalid: Nimbus boots from one volume at boot index 0;"
          + " attach further volumes once the server exists.");
    }
    JsonNode boot = mappings.get(0);
    String source = boot.path("source_type").asText();
    String destination = boot.path("destination_type").asText("volume");
    if (source.equals("image") && destination.equals("local")) {
      if (!imageGiven) throw ApiError.badRequest("Block Device Mapping is Invalid: Mapping image to local is not supported.");
      return Optional.empty(); // the imageRef's own mapping: an image boot
    }
    if (!destination.equals("volume") || !(source.equals("volume") || source.equals("image"))) {
      throw ApiError.badRequest("Block Device Mapping is Invalid: Nimbus boots from an existing volume or from a new"
          + " volume made from an image, not from a " + source + " mapped to " + destination + ".");
    }
    return Optional.of(boot);
  }

  /** Nova's checks of one mapping's fields (BlockDeviceDict.from_api). */
  private static void check(JsonNode m) {
    if (m.path("no_device").asBoolean(false)) return;
    String source = m.path("source_type").asText("");
    if (source.isEmpty()) throw ApiError.badRequest("Block Device Mapping is Invalid: Some required fields are missing");
    boolean uuid = m.hasNonNull("uuid") && !m.get("uuid").asText().isEmpty();
    if (source.equals("blank") && uuid) throw ApiError.badRequest("Block Device Mapping is Invalid: Invalid device UUID.");
    if (!source.equals("blank") && !uuid) throw ApiError.badRequest("Block Device Mapping is Invalid: Missing device UUID.");
  }

  /** Its volume_size in GB (0: none given); one past an int is invalid, as Nova's database column bounds it. */
  private static int volumeSize(JsonNode m) {
    try {
      return Fields.integer(m, "volume_size").orElse(0);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Block Device Mapping is Invalid: Invalid volume_size.");
    }
  }

  /** Its boot index: absent or null is none (Nova's -1). */
  private static Optional<Integer> bootIndex(JsonNode m) {
    JsonNode index = m.get("boot_index");
    if (index == null || index.isNull()) return Optional.empty();
    try {
      return Optional.of(index.isTextual() ? Integer.parseInt(index.asText()) : index.intValue());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Block Device Mapping is Invalid: Boot index is invalid.");
    }
  }

  /**
   * The existing volume a boot mapping names, if it is {@code projectId}'s (Nova reads it with the
   * user's token: another project's is not found), as the server's boot volume. Whether it is
   * available is the build's step: one in use fails the build, as a volume gone does.
   */
  CompletionStage<Volume> existing(JsonNode boot, String projectId) {
    String id = boot.path("uuid").asText();
    String invalid = "Block Device Mapping is Invalid: failed to get volume " + id + ".";
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(ApiError.badRequest(invalid));
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, id).<Volume>askWithStatus(VolumeEntity.Get::new, timeout)
        .handle((volume, error) -> {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (cause != null && Rejection.from(cause).kind() != Rejection.Kind.NOT_FOUND) throw new CompletionException(cause);
          if (cause != null || !volume.projectId().equals(projectId)) throw ApiError.badRequest(invalid);
          return volume;
        });
  }
}
