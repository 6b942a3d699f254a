package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.ReadSideJson;
import org.junit.jupiter.api.Test;

/** The server list table of the first version is brought up to date at start, rows and all. */
class ServerListProjectionTest {

  @Test
  void aTableWithoutImageAndFlavorColumnsGetsThemFilled() throws Exception {
    String url = "jdbc:h2:mem:list-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
    try (Connection c = DriverManager.getConnection(url)) {
      try (var st = c.createStatement()) {
        st.execute("""
            CREATE TABLE server_list (id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(64) NOT NULL,
              name VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, host VARCHAR(255),
              created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, row_json TEXT NOT NULL)""");
      }
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      ServerSpec spec = new ServerSpec("old", "p", "u", Flavor.byId("2").orElseThrow(), BootSource.none("img-1"),
          Map.of(), Optional.empty(), Optional.empty(), Optional.empty());
      ServerRow row = ServerRow.requested(new ServerEntity.ServerRequested("s-1", spec, t));
      try (PreparedStatement st = c.prepareStatement("INSERT INTO server_list VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, "s-1");
        st.setString(2, "p");
        st.setString(3, "old");
        st.setString(4, "BUILD");
        st.setString(5, null);
        st.setTimestamp(6, Timestamp.from(t));
        st.setTimestamp(7, Timestamp.from(t));
        st.setString(8, ReadSideJson.MAPPER.writeValueAsString(row));
        st.executeUpdate();
      }

      ServerListProjection.createTable(c);
      ServerListProjection.createTable(c); // at every start: harmless once done

      try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT image_id, flavor_id FROM server_list")) {
        rs.next();
        assertEquals("img-1", rs.getString(1));
        assertEquals("2", rs.getString(2));
      }
    }
  }
}
