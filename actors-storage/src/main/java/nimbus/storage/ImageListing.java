package nimbus.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;

/** Image lists from the read side: what a project may see, filtered, newest first, by page. */
public final class ImageListing {

  /**
   * What a list asks for; empty fields do not filter. {@code viewer} empty means an admin (who
   * sees every image). Community images are listed only when asked for by visibility.
   */
  public record Query(Optional<String> viewer, Optional<String> name, Optional<String> status,
      Optional<String> visibility, Optional<String> owner, int limit, Optional<String> marker) {}

  private static final java.time.Duration CATCH_UP_LIMIT = java.time.Duration.ofSeconds(2);
  private final ReadSideDatabase database;

  public ImageListing(ReadSideDatabase database) {
    this.database = database;
  }

  /** The SHA-512 of every image's file (images not deleted). Blocking JDBC. */
  public Set<String> storedFiles() throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      return ReadSideRows.select(c, "SELECT row_json FROM image_list", List.of(), Image.class).stream()
          .flatMap(i -> i.file().stream()).map(StoredFile::sha512).collect(java.util.stream.Collectors.toSet());
    }
  }

  /**
   * The images {@code owner} has, in any status; with {@code caughtUp}, after the read side has
   * every change acknowledged before (else as it is now). Blocking JDBC.
   */
  public List<Image> owned(String owner, boolean caughtUp) throws SQLException {
    try (Connection c = database.connection()) {
      if (caughtUp) ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      return ReadSideRows.select(c, "SELECT row_json FROM image_list WHERE owner = ?", List.of(owner), Image.class);
    }
  }

  /** Blocking JDBC: call it on a blocking dispatcher. Sees every image change acknowledged before it. */
  public List<Image> list(Query q) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, ImageListProjection.NAME, ImageEntity.TAG, CATCH_UP_LIMIT);
      // what the viewer may see; a marker outside it is as unknown as one that does not exist
      String visible = "1 = 1";
      List<Object> visibleArgs = new ArrayList<>();
      if (q.viewer().isPresent()) {
        if (q.visibility().filter("community"::equals).isPresent()) {
          visible = "visibility = 'community'";
        } else {
          // Glance's default list: public images, its own, and shared ones it accepted
          visible = "visibility = 'public' OR owner = ? OR (visibility = 'shared' AND id IN"
              + " (SELECT image_id FROM image_members WHERE project_id = ? AND status = 'accepted'))";
          visibleArgs.add(q.viewer().get());
          visibleArgs.add(q.viewer().get());
        }
      }
      StringBuilder sql = new StringBuilder("SELECT row_json FROM image_list WHERE (" + visible + ")");
      List<Object> args = new ArrayList<>(visibleArgs);
      q.visibility().ifPresent(v -> { sql.append(" AND visibility = ?"); args.add(v); });
      q.name().ifPresent(n -> { sql.append(" AND name = ?"); args.add(n); });
      q.status().ifPresent(s -> { sql.append(" AND status = ?"); args.add(s); });
      q.owner().ifPresent(o -> { sql.append(" AND owner = ?"); args.add(o); });
      if (q.marker().isPresent()) {
        Timestamp created = ReadSideRows.markerCreatedAt(c, "image_list", q.marker().get(), visible, visibleArgs,
            "marker " + q.marker().get() + " could not be found.");
        sql.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
        args.add(created);
        args.add(created);
        args.add(q.marker().get());
      }
      sql.append(" ORDER BY created_at DESC, id DESC LIMIT ").append(q.limit());
      return ReadSideRows.select(c, sql, args, Image.class);
    }
  }
}
