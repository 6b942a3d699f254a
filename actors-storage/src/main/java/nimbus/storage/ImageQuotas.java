package nimbus.storage;

import java.time.Duration;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Each project's image quota, as Glance's unified limits name it: {@code image_count_total}
 * (images, snapshots included), {@code image_size_total} (their bytes) and
 * {@code image_count_uploading} (uploads at once). Images and their sizes come from the read
 * side; the uploads under way are held by the project's {@link ImageQuotaEntity}.
 */
public final class ImageQuotas {

  /** The limits every project has. */
  public record Limits(long sizeTotalBytes, int countTotal, int countUploading) {}

  /** What a project uses: its images' bytes (those being uploaded included), images, uploads. */
  public record Usage(long sizeBytes, int count, int uploading) {}

  private final ClusterSharding sharding;
  private final ImageListing listing;
  private final Executor blocking;
  private final Limits limits;
  private final Duration timeout;
  private final Clock clock;

  public ImageQuotas(ActorSystem<?> system, ImageListing listing, Executor blocking, Limits limits, Duration timeout,
      Clock clock) {
    this.sharding = ClusterSharding.get(system);
    this.listing = listing;
    this.blocking = blocking;
    this.limits = limits;
    this.timeout = timeout;
    this.clock = clock;
  }

  public Limits limits() {
    return limits;
  }

  /** Completes if {@code projectId} may have one more image; fails with a TOO_MANY rejection if not. */
  public CompletionStage<Done> checkRoomForImage(String projectId) {
    return owned(projectId, true).thenApply(images -> {
      if (images.size() >= limits.countTotal()) {
        throw Rejection.failure(Rejection.Kind.TOO_MANY, "Project " + projectId
            + " is over a limit for image_count_total: limit " + limits.countTotal() + ", usage " + images.size());
      }
      return Done.getInstance();
    });
  }

  /** The bytes an upload of {@code imageId} may bring, held until it is settled or released. */
  CompletionStage<Long> hold(String projectId, String imageId, long maxImageBytes) {
    // the read side as it is: an upload it has not counted yet is still held (settled) here
    return owned(projectId, false).thenCompose(images -> entity(projectId)
        .askWithStatus(r -> new ImageQuotaEntity.Hold(imageId, stored(images), maxImageBytes, r), timeout));
  }

  CompletionStage<Done> settle(String projectId, String imageId, long bytes) {
    return entity(projectId).askWithStatus(r -> new ImageQuotaEntity.Settle(imageId, bytes, r), timeout);
  }

  /** Frees what is held for {@code imageId}: its upload failed. */
  CompletionStage<Done> release(String projectId, String imageId) {
    return entity(projectId).askWithStatus(r -> new ImageQuotaEntity.Release(imageId, r), timeout);
  }

  /** Frees the bytes of {@code imageId}, deleted, before the read side drops it. */
  public CompletionStage<Done> forget(String projectId, String imageId) {
    return entity(projectId).askWithStatus(r -> new ImageQuotaEntity.Forget(imageId, r), timeout);
  }

  /** What {@code projectId} uses now. */
  public CompletionStage<Usage> usage(String projectId) {
    return owned(projectId, true).thenCompose(images -> entity(projectId)
        .<ImageQuotaEntity.Holds>ask(ImageQuotaEntity.Get::new, timeout)
        .thenApply(holds -> {
          ImageQuotaEntity.Usage used = holds.usage(clock.instant(), stored(images), "");
          return new Usage(used.bytes(), images.size(), used.uploading());
        }));
  }

  /** The images that have their file, by id, with its size. */
  private static Map<String, Long> stored(List<Image> images) {
    Map<String, Long> stored = new HashMap<>();
    images.forEach(i -> i.file().ifPresent(f -> stored.put(i.id(), f.size())));
    return stored;
  }

  private CompletionStage<List<Image>> owned(String projectId, boolean caughtUp) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return listing.owned(projectId, caughtUp);
      } catch (java.sql.SQLException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking);
  }

  private EntityRef<ImageQuotaEntity.Command> entity(String projectId) {
    return sharding.entityRefFor(ImageQuotaEntity.TYPE_KEY, projectId);
  }
}
