package nimbus.cluster;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * Creates the journal and snapshot tables if they are missing (safe on an existing database).
 * The plugin's helper is marked as may-change, so it is called from here only.
 */
public final class JournalSchema {
  private JournalSchema() {}

  public static CompletionStage<Done> ensure(ActorSystem<?> system) {
    return SchemaUtils.createIfNotExists(system);
  }

  /** Blocks start-up until the schema exists; start-up runs before any actor needs it. */
  public static void ensureBlocking(ActorSystem<?> system, Duration timeout) {
    try {
      ensure(system).toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot create the journal schema: " + cause.getMessage(), cause);
    }
  }
}
