package nimbus.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Removes, every {@code interval}, the store's files that no image holds any more (deleted
 * images, disks that moved with a resize) once they are older than {@code keep}. A file is
 * shared by every image with the same bytes, so only the image list can say it is free.
 */
public final class ImageStoreSweeper {
  private ImageStoreSweeper() {}

  private enum Sweep { NOW }

  public static Behavior<Object> create(ImageStore store, ImageListing images, Duration interval, Duration keep,
      Executor blocking) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.NOW, interval);
      return Behaviors.setup(ctx -> Behaviors.receiveMessage(m -> {
        CompletableFuture.runAsync(() -> {
          try {
            int removed = store.sweep(images.storedFiles(), Instant.now().minus(keep));
            if (removed > 0) ctx.getLog().info("image store: removed {} files no image holds", removed);
          } catch (Exception e) {
            ctx.getLog().warn("image store sweep failed: {}", e.getMessage());
          }
        }, blocking);
        return Behaviors.same();
      }));
    });
  }
}
