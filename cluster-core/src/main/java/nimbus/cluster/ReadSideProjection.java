package nimbus.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
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

  /**
   * Waits until projection {@code name} has processed every event tagged {@code tag} that is in
   * the journal now, so that a read after it sees every write acknowledged before it (the
   * read-your-writes a client expects when it creates something and then lists). Blocking:
   * call it on a blocking dispatcher. Past {@code timeout} it returns: the read shows what the
   * table has.
   */
  public static void awaitCaughtUp(Connection c, String name, String tag, Duration timeout) throws SQLException {
    long written = progress(c, name, tag).written();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (progress(c, name, tag).processed() < written && System.nanoTime() <= deadline) {
      LockSupport.parkNanos(CATCH_UP_POLL.toNanos());
    }
  }

  /** How far projection {@code name} is: the newest event with its tag, and the last one it applied. */
  public record Progress(long written, long processed) {}

  public static Progress progress(Connection c, String name, String tag) throws SQLException {
    long written = 0;
    try (PreparedStatement st = c.prepareStatement("SELECT MAX(event_id) FROM event_tag WHERE tag = ?")) {
      st.setString(1, tag);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) written = rs.getLong(1);
      }
    }
    long processed = 0;
    try (PreparedStatement st = c.prepareStatement(
        "SELECT current_offset FROM projection_offset_store WHERE projection_name = ? AND projection_key = ?")) {
      st.setString(1, name);
      st.setString(2, tag);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) processed = Long.parseLong(rs.getString(1));
      }
    }
    return new Progress(written, processed);
  }

  /**
   * Rows of {@code table} written by an earlier version (their {@code row_version} below
   * {@code rowVersion}) are dropped with all of {@code tables} and projection {@code name}'s
   * offset, so the projection rebuilds them from the journal. Harmless once done.
   */
  public static void rebuildIfStale(Connection c, String name, String table, int rowVersion, List<String> tables)
      throws SQLException {
    try (var st = c.createStatement()) {
      boolean stale;
      try (var rs = st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE row_version IS NULL OR row_version < "
          + rowVersion)) {
        rs.next();
        stale = rs.getLong(1) > 0;
      }
      if (stale) {
        for (String t : tables) st.execute("DELETE FROM " + t);
        forgetOffset(c, name);
      }
    }
  }

  /** Makes projection {@code name} start again from the journal's first event (its table rebuilt). */
  public static void forgetOffset(Connection c, String name) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("DELETE FROM projection_offset_store WHERE projection_name = ?")) {
      st.setString(1, name);
      st.executeUpdate();
    }
  }

  private static final Duration CATCH_UP_POLL = Duration.ofMillis(10);

  static Supplier<ReadSideSession> sessions(ActorSystem<?> system) {
    ReadSideDatabase db = ReadSideDatabase.get(system);
    return () -> new ReadSideSession(db);
  }
}
