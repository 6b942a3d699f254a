package nimbus.storage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.config.ImageSeed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Registers the images named in configuration. Ids are derived from the names, so registering
 * again at the next start is a no-op.
 */
public final class ImageSeeds {
  public static final String ADMIN_PROJECT = "admin";

  private ImageSeeds() {}

  public static String idOf(String name) {
    return UUID.nameUUIDFromBytes(("nimbus-image:" + name).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** The images one seed becomes: kernel, ramdisk (if given) and the image that boots with them. */
  public static List<Image> imagesOf(ImageSeed seed, Instant now) {
    List<Image> images = new ArrayList<>();
    Map<String, String> properties = new HashMap<>();
    if (!seed.kernel().isBlank()) {
      Image kernel = image(seed.name() + "-kernel", "aki", "aki", Optional.of(seed.kernel()), Map.of(), now);
      images.add(kernel);
      properties.put("kernel_id", kernel.id());
    }
    if (!seed.ramdisk().isBlank()) {
      Image ramdisk = image(seed.name() + "-ramdisk", "ari", "ari", Optional.of(seed.ramdisk()), Map.of(), now);
      images.add(ramdisk);
      properties.put("ramdisk_id", ramdisk.id());
    }
    boolean hasDisk = !seed.disk().isBlank();
    images.add(image(seed.name(), hasDisk ? seed.diskFormat() : "ami", hasDisk ? "bare" : "ami",
        hasDisk ? Optional.of(seed.disk()) : Optional.empty(), properties, now));
    return images;
  }

  public static CompletionStage<Void> register(ActorSystem<?> system, List<ImageSeed> seeds,
      Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Instant now = Instant.now();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (ImageSeed seed : seeds) {
      for (Image image : imagesOf(seed, now)) {
        all.add(sharding.entityRefFor(ImageEntity.TYPE_KEY, image.id())
            .<Image>askWithStatus(replyTo -> new ImageEntity.Register(image, replyTo), timeout)
            .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  private static Image image(String name, String diskFormat, String containerFormat,
      Optional<String> location, Map<String, String> properties, Instant now) {
    ImageMetadata metadata = new ImageMetadata(name, diskFormat, containerFormat, "public", false, 0, 0,
        properties, List.of());
    // active at once: a seed's files are already on the hosts (an "ami" one boots by kernel alone)
    return new Image(idOf(name), ADMIN_PROJECT, "active", metadata,
        location, Optional.empty(), now, now);
  }
}
