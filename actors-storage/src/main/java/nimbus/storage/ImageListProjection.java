package nimbus.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import nimbus.cluster.ReadSideJson;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import nimbus.cluster.ResourceChange;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps the {@code image_list} table (what image lists and their filters read) in step with
 * image events, applying each event exactly as the entity does ({@link Image#after}).
 */
public final class ImageListProjection
    extends JdbcHandler<List<EventEnvelope<ImageEntity.Event>>, ReadSideSession> {

  public static final String NAME = "image-list";
  private final Consumer<ResourceChange> changed;

  /** {@code changed} hears of each resource this projection changed, once its batch has committed. */
  public ImageListProjection(Consumer<ResourceChange> changed) {
    this.changed = changed;
  }

  /**
   * The rows' layout: 2 added the columns lists filter and sort on (formats, size, update time)
   * and the tags table. Rows of an earlier version are dropped with the projection's offset, so
   * the projection rebuilds them from the journal.
   */
  static final int ROW_VERSION = 3;

  private static final String DDL = """
      CREATE TABLE IF NOT EXISTS image_list (
        id VARCHAR(36) PRIMARY KEY,
        owner VARCHAR(64) NOT NULL,
        visibility VARCHAR(16) NOT NULL,
        name VARCHAR(255) NOT NULL,
        status VARCHAR(16) NOT NULL,
        created_at TIMESTAMP NOT NULL,
        row_json TEXT NOT NULL)""";

  /** Columns of row version 2 (absent from tables made before). */
  private static final List<String> COLUMNS_V2 = List.of("disk_format VARCHAR(32)", "container_format VARCHAR(32)",
      "size BIGINT", "updated_at TIMESTAMP", "row_version INT");

  /** An image's tags, one a row: the tag filter looks them up by tag. */
  private static final String TAGS_DDL = """
      CREATE TABLE IF NOT EXISTS image_tags (
        image_id VARCHAR(36) NOT NULL,
        tag VARCHAR(255) NOT NULL,
        PRIMARY KEY (image_id, tag))""";

  /** An image's custom properties, one a row: lists filter on them by value (Nova's server and type filters too). */
  private static final String PROPERTIES_DDL = """
      CREATE TABLE IF NOT EXISTS image_properties (
        image_id VARCHAR(36) NOT NULL,
        name VARCHAR(255) NOT NULL,
        prop_value VARCHAR(65535) NOT NULL,
        PRIMARY KEY (image_id, name))""";

  /** Who a shared image is shared with, and their answers (lists show accepted ones). */
  private static final String MEMBERS_DDL = """
      CREATE TABLE IF NOT EXISTS image_members (
        image_id VARCHAR(36) NOT NULL,
        project_id VARCHAR(64) NOT NULL,
        status VARCHAR(16) NOT NULL,
        PRIMARY KEY (image_id, project_id))""";

  public static void createTable(Connection connection) throws SQLException {
    try (var st = connection.createStatement()) {
      st.execute(DDL);
      st.execute("CREATE INDEX IF NOT EXISTS image_list_created ON image_list (created_at)");
      for (String column : COLUMNS_V2) st.execute("ALTER TABLE image_list ADD COLUMN IF NOT EXISTS " + column);
      // a project's own images, and the shared images it is a member of, are each list's scope
      st.execute("CREATE INDEX IF NOT EXISTS image_list_owner ON image_list (owner, created_at)");
      st.execute(MEMBERS_DDL);
      st.execute("CREATE INDEX IF NOT EXISTS image_members_project ON image_members (project_id, status)");
      st.execute(TAGS_DDL);
      st.execute("CREATE INDEX IF NOT EXISTS image_tags_tag ON image_tags (tag)");
      st.execute(PROPERTIES_DDL);
      // by name only: a value may be longer than an index entry can be
      st.execute("CREATE INDEX IF NOT EXISTS image_properties_name ON image_properties (name)");
    }
    ReadSideProjection.rebuildIfStale(connection, NAME, "image_list", ROW_VERSION,
        List.of("image_list", "image_members", "image_tags", "image_properties"));
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<ImageEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, Optional<Image>> images = new LinkedHashMap<>();
      for (EventEnvelope<ImageEntity.Event> envelope : envelopes) {
        String id = ReadSideRows.entityIdOf(envelope.persistenceId());
        Optional<Image> before = images.containsKey(id) ? images.get(id)
            : ReadSideRows.byId(connection, "image_list", id, Image.class);
        if (before.isEmpty() && !(envelope.event() instanceof ImageEntity.ImageCreated)) continue;
        ImageEntity.State next = ImageEntity.next(before, envelope.event());
        images.put(id, Optional.of(((ImageEntity.Existing) next).image()));
      }
      for (var entry : images.entrySet()) {
        Image image = entry.getValue().orElseThrow();
        save(connection, entry.getKey(), image);
        ResourceChange change = change(image);
        session.afterCommit(() -> changed.accept(change));
      }
      return null;
    });
  }

  /** Public and community images are every project's to see, shared ones their members' too. */
  static ResourceChange change(Image image) {
    boolean everyone = image.visibility().equals("public") || image.visibility().equals("community");
    return new ResourceChange("image", image.id(), image.ownerProjectId(), everyone,
        List.copyOf(image.members().keySet()), image.status().equals("deleted"));
  }

  private static void save(Connection c, String id, Image image) throws Exception {
    for (String delete : List.of("DELETE FROM image_list WHERE id = ?", "DELETE FROM image_members WHERE image_id = ?",
        "DELETE FROM image_tags WHERE image_id = ?", "DELETE FROM image_properties WHERE image_id = ?")) {
      try (PreparedStatement del = c.prepareStatement(delete)) {
        del.setString(1, id);
        del.executeUpdate();
      }
    }
    if (image.status().equals("deleted")) return;
    try (PreparedStatement st = c.prepareStatement(
        "INSERT INTO image_members (image_id, project_id, status) VALUES (?, ?, ?)")) {
      for (var member : image.members().entrySet()) {
        st.setString(1, id);
        st.setString(2, member.getKey());
        st.setString(3, member.getValue().status());
        st.executeUpdate();
      }
    }
    try (PreparedStatement st = c.prepareStatement("INSERT INTO image_tags (image_id, tag) VALUES (?, ?)")) {
      for (String tag : new java.util.LinkedHashSet<>(image.metadata().tags())) {
        st.setString(1, id);
        st.setString(2, tag);
        st.executeUpdate();
      }
    }
    try (PreparedStatement st = c.prepareStatement(
        "INSERT INTO image_properties (image_id, name, prop_value) VALUES (?, ?, ?)")) {
      for (var property : image.metadata().properties().entrySet()) {
        st.setString(1, id);
        st.setString(2, property.getKey());
        st.setString(3, property.getValue());
        st.executeUpdate();
      }
    }
    try (PreparedStatement st = c.prepareStatement("INSERT INTO image_list (id, owner, visibility, name, status,"
        + " created_at, row_json, disk_format, container_format, size, updated_at, row_version)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, image.ownerProjectId());
      st.setString(3, image.visibility());
      st.setString(4, image.name());
      st.setString(5, image.status());
      st.setTimestamp(6, Timestamp.from(image.createdAt()));
      st.setString(7, ReadSideJson.MAPPER.writeValueAsString(image));
      st.setString(8, image.diskFormat());
      st.setString(9, image.metadata().containerFormat());
      st.setObject(10, image.file().map(StoredFile::size).orElse(null), java.sql.Types.BIGINT);
      st.setTimestamp(11, Timestamp.from(image.updatedAt()));
      st.setInt(12, ROW_VERSION);
      st.executeUpdate();
    }
  }
}
