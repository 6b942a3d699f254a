package nimbus.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a read-side projection that has stopped from one that is catching up: behind the
 * journal, and not moving for {@code stallAfter}. A projection that cannot apply an event retries
 * it forever, and its lists go stale without a word; this makes that loud (readiness red, one
 * error in the log) until it moves again.
 */
public final class ProjectionWatch {
  private static final Logger log = LoggerFactory.getLogger(ProjectionWatch.class);

  private record Seen(long processed, long sinceNanos, boolean reported) {}

  private final Duration stallAfter;
  private final Map<String, Seen> behind = new HashMap<>();

  public ProjectionWatch(Duration stallAfter) {
    this.stallAfter = stallAfter;
  }

  /** Whether projection {@code name}, now at {@code progress}, is healthy. */
  public synchronized boolean healthy(String name, ReadSideProjection.Progress progress) {
    if (progress.processed() >= progress.written()) {
      behind.remove(name);
      return true;
    }
    long now = System.nanoTime();
    Seen seen = behind.get(name);
    if (seen == null || seen.processed() != progress.processed()) {
      behind.put(name, new Seen(progress.processed(), now, false));
      return true;
    }
    if (now - seen.sinceNanos() < stallAfter.toNanos()) return true;
    if (!seen.reported()) {
      log.error("read-side projection {} has stopped at event {} of {}: its lists are stale until it moves again",
          name, progress.processed(), progress.written());
      behind.put(name, new Seen(seen.processed(), seen.sinceNanos(), true));
    }
    return false;
  }
}
