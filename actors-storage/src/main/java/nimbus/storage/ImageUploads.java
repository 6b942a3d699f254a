package nimbus.storage;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Uploads an image's file: the image goes {@code saving}, the bytes stream into the store, and
 * the image goes {@code active} with the file's size and hashes, or back to {@code queued} if
 * the upload fails. Used by the image API's upload and by server snapshots.
 */
public final class ImageUploads {
  private final ClusterSharding sharding;
  private final ImageStore store;
  private final long maxBytes;
  private final Duration timeout;
  private final Materializer materializer;
  private final ImageQuotas quotas;

  public ImageUploads(ActorSystem<?> system, ImageStore store, long maxBytes, Duration timeout, ImageQuotas quotas) {
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.materializer = Materializer.matFromSystem(system);
    this.quotas = quotas;
  }

  public ImageQuotas quotas() {
    return quotas;
  }

  public ImageStore store() {
    return store;
  }

  /**
   * The image, active, once {@code data} is stored; a refused or failed upload fails. The upload
   * may bring what its project's image quota has room for, held while it runs.
   */
  public CompletionStage<Image> upload(String imageId, Source<ByteString, ?> data) {
    EntityRef<ImageEntity.Command> image = sharding.entityRefFor(ImageEntity.TYPE_KEY, imageId);
    return image.<Image>askWithStatus(ImageEntity.Get::new, timeout)
        .thenCompose(queued -> quotas.hold(queued.ownerProjectId(), imageId, maxBytes)
            .thenCompose(allowed -> image.<Image>askWithStatus(ImageEntity.BeginUpload::new, timeout)
                .thenCompose(saving -> store(image, saving, data, allowed))
                .whenComplete((stored, failure) -> {
                  if (failure != null) quotas.release(queued.ownerProjectId(), imageId);
                })));
  }

  private CompletionStage<Image> store(EntityRef<ImageEntity.Command> image, Image saving, Source<ByteString, ?> data,
      long allowed) {
    return store.write(data, allowed, saving.metadata().diskFormat(), materializer)
        .handle((file, failure) -> failure == null
            ? image.<Image>askWithStatus(r -> new ImageEntity.FinishUpload(file, r), timeout)
                .thenCompose(active -> quotas.settle(saving.ownerProjectId(), saving.id(), file.size())
                    .thenApply(settled -> active))
            : image.<Image>askWithStatus(r -> new ImageEntity.AbortUpload(reason(failure), r), timeout)
                .thenCompose(queued -> CompletableFuture.<Image>failedFuture(overQuota(cause(failure), allowed))))
        .thenCompose(result -> result);
  }

  /** Past a limit lower than the largest image, it is the project's quota that stopped the upload. */
  private Throwable overQuota(Throwable failure, long allowed) {
    if (failure instanceof ImageStore.TooLarge && allowed < maxBytes) {
      return new ImageStore.TooLarge("Project is over a limit for image_size_total: this upload had room for "
          + allowed + " bytes");
    }
    return failure;
  }

  /** Streams {@code data}, a host's qcow2 disk, into the store as a file of its own (no image's). */
  public CompletionStage<StoredFile> storeFile(Source<ByteString, ?> data) {
    return store.write(data, maxBytes, "qcow2", materializer);
  }

  static Throwable cause(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static String reason(Throwable failure) {
    Throwable t = cause(failure);
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
