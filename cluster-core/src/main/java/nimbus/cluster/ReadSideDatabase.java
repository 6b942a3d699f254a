package nimbus.cluster;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The connection pool for read-side tables (projections write them, the API queries them). It
 * points at the journal's database, so one backup holds both.
 */
public final class ReadSideDatabase implements Extension {
  private final HikariDataSource dataSource;

  private ReadSideDatabase(ActorSystem<?> system) {
    Config db = system.settings().config().getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.getString("url"));
    config.setUsername(db.getString("user"));
    config.setPassword(db.getString("password"));
    config.setMaximumPoolSize(Math.max(2, db.getInt("maxConnections") / 2));
    config.setPoolName("nimbus-read-side");
    // a database that is down fails a read within the API's ask timeout: the answer is a 503
    config.setConnectionTimeout(3000);
    this.dataSource = new HikariDataSource(config);
    system.getWhenTerminated().thenRun(dataSource::close);
  }

  public Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  public static ReadSideDatabase get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<ReadSideDatabase> {
    static final Id INSTANCE = new Id();

    @Override
    public ReadSideDatabase createExtension(ActorSystem<?> system) {
      return new ReadSideDatabase(system);
    }
  }
}
