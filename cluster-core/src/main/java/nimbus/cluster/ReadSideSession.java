package nimbus.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/** One transaction on the read-side database, in which a projection writes rows and its offset. */
public final class ReadSideSession implements JdbcSession {
  private final Connection connection;
  private final List<Runnable> afterCommit = new ArrayList<>();

  public ReadSideSession(ReadSideDatabase database) {
    try {
      this.connection = database.connection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("read-side database unavailable: " + e.getMessage(), e);
    }
  }

  /** A session on a connection of the caller's (tests drive a projection's handler directly). */
  public ReadSideSession(Connection connection) throws SQLException {
    this.connection = connection;
    connection.setAutoCommit(false);
  }

  @Override
  public <R> R withConnection(Function<Connection, R> func) throws Exception {
    return func.apply(connection);
  }

  /**
   * Runs {@code action} once the transaction has committed (never if it rolls back): a change is
   * told to live views only when a list read after it already shows it.
   */
  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
    List<Runnable> actions = List.copyOf(afterCommit);
    afterCommit.clear();
    actions.forEach(Runnable::run);
  }

  @Override
  public void rollback() throws SQLException {
    afterCommit.clear();
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
