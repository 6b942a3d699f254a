package nimbus.compute;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.storage.Image;
import org.apache.pekko.Done;

/** How a server makes and unmakes the image a snapshot goes into. Both calls are idempotent. */
public interface SnapshotImages {

  /** Creates the queued image (again: answers as done). Empty: it exists; else why not. */
  CompletionStage<Optional<Rejection>> create(Image image);

  /** Deletes the image unless it has its data (a snapshot that failed or was abandoned). */
  CompletionStage<Done> discard(String imageId);
}
