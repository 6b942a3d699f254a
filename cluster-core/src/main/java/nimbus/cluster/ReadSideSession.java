package nimbus.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/** One transaction on the read-side database, in which a projection writes rows and its offset. */
public final class ReadSideSession implements JdbcSession {
  private final Connection connection;

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

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
