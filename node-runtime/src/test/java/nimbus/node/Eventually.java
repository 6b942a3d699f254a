package nimbus.node;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a condition another component makes true (polling, with a deadline). */
final class Eventually {
  private Eventually() {}

  /** Polls {@code probe} until it answers non-null (that value is returned) or time runs out. */
  static <T> T await(Duration timeout, Callable<T> probe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (true) {
      try {
        T value = probe.call();
        if (value != null) return value;
      } catch (IllegalStateException e) {
        throw e; // the probe saw a state it can never leave
      } catch (Exception | AssertionError e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + timeout
            + (last == null ? "" : ": " + last.getMessage()), last);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
  }

  static void until(Duration timeout, Callable<Boolean> condition) {
    await(timeout, () -> Boolean.TRUE.equals(condition.call()) ? Boolean.TRUE : null);
  }
}
