package nimbus.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Runs one read-side projection: the events with one tag, in batches, each batch written to its
 * table in the same transaction as the projection's offset (exactly once). It runs once in the
 * cluster, on a control node, and moves with the shards when that node leaves.
 */
public final class ReadSideProjection {
  private ReadSideProjection() {}

  /** Creates the offset tables; call before {@link #run}. Safe on an existing database. */
  public static void createOffsetTables(ActorSystem<?> system, Duration timeout) throws Exception {
    JdbcProjection.createTablesIfNotExists(sessions(system), system)
        .toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public static <E> void run(ActorSystem<?> system, String name, String tag,
      Supplier<JdbcHandler<List<EventEnvelope<E>>, ReadSideSession>> handler) {
    SourceProvider<Offset, EventEnvelope<E>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    var projection = JdbcProjection.groupedWithin(ProjectionId.of(name, tag), source,
            sessions(system), handler, system)
        .withGroup(200, Duration.ofMillis(50));
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, name, 1,
        i -> ProjectionBehavior.create(projection),
        ShardedDaemonProcessSettings.create(system).withRole(Entities.CONTROL_ROLE),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  static Supplier<ReadSideSession> sessions(ActorSystem<?> system) {
    ReadSideDatabase db = ReadSideDatabase.get(system);
    return () -> new ReadSideSession(db);
  }
}
