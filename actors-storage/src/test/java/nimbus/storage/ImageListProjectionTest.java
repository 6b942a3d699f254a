package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.ReadSideRows;
import nimbus.cluster.ReadSideSession;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The image list projection's handler on its own, on a real H2 database: image events in, rows
 * of {@code image_list} (the columns lists filter on, the image as JSON) and of
 * {@code image_members} (who a shared image is shared with, and their answers) out.
 */
class ImageListProjectionTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final StoredFile FILE = new StoredFile("ab".repeat(64), "cd".repeat(16), 4096);
  private final ImageListProjection projection = new ImageListProjection(c -> { });
  private Connection c;
  private long offset;

  @BeforeEach
  void database() throws Exception {
    c = DriverManager.getConnection("jdbc:h2:mem:images-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false");
    ImageListProjection.createTable(c);
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private static Instant at(int second) {
    return T0.plusSeconds(second);
  }

  private static ImageMetadata metadata(String name, String visibility) {
    return new ImageMetadata(name, "qcow2", "bare", visibility, false, 0, 0, Map.of("os_distro", "nimbus"), List.of());
  }

  private static ImageEntity.ImageCreated created(String id, String visibility) {
    return new ImageEntity.ImageCreated(new Image(id, "owner", "queued", metadata("disk-" + id, visibility),
        Optional.empty(), Optional.empty(), at(0), at(0)), at(0));
  }

  private EventEnvelope<ImageEntity.Event> envelope(String id, ImageEntity.Event event) {
    offset++;
    return EventEnvelope.create(Offset.sequence(offset), "Image|" + id, offset, event, 0L);
  }

  /** Hands the events to the handler as one batch, in one transaction, as the projection does. */
  @SafeVarargs
  private void project(EventEnvelope<ImageEntity.Event>... batch) throws Exception {
    ReadSideSession session = new ReadSideSession(c);
    projection.process(session, List.of(batch));
    session.commit();
  }

  /** The image as the entity holds it after {@code events}. */
  private static Image entityAfter(ImageEntity.Event... events) {
    ImageEntity.State state = new ImageEntity.NoImage();
    for (ImageEntity.Event e : events) {
      state = ImageEntity.next(state instanceof ImageEntity.Existing x ? Optional.of(x.image()) : Optional.empty(), e);
    }
    return ((ImageEntity.Existing) state).image();
  }

  private Optional<Image> row(String id) throws Exception {
    return ReadSideRows.byId(c, "image_list", id, Image.class);
  }

  /** The row's columns, apart from its JSON: owner, visibility, name, status, created_at. */
  private List<Object> columns(String id) throws Exception {
    try (var st = c.prepareStatement("SELECT owner, visibility, name, status, created_at FROM image_list WHERE id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) return List.of();
        return List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getTimestamp(5));
      }
    }
  }

  /** The image's member rows, as "project=status". */
  private List<String> members(String id) throws Exception {
    try (var st = c.prepareStatement("SELECT project_id, status FROM image_members WHERE image_id = ? ORDER BY project_id")) {
      st.setString(1, id);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1) + "=" + rs.getString(2));
      }
      return out;
    }
  }

  @Test
  void aCreatedImageIsARowWithItsColumnsAndTheWholeImage() throws Exception {
    ImageEntity.ImageCreated created = created("i-1", "private");

    project(envelope("i-1", created));

    assertEquals(List.of("owner", "private", "disk-i-1", "queued", Timestamp.from(at(0))), columns("i-1"));
    assertEquals(Optional.of(created.image()), row("i-1"));
    assertEquals(List.of(), members("i-1"));
  }

  @Test
  void anUploadMovesTheRowThroughItsStatusesAsTheEntityDoes() throws Exception {
    ImageEntity.Event[] events = {created("i-1", "public"), new ImageEntity.UploadStarted(at(1)),
        new ImageEntity.UploadFinished(FILE, at(2)),
        new ImageEntity.MetadataUpdated(metadata("renamed", "community"), at(3))};

    project(envelope("i-1", events[0]));
    project(envelope("i-1", events[1]));
    assertEquals("saving", columns("i-1").get(3));
    project(envelope("i-1", events[2]), envelope("i-1", events[3])); // two events of one image in one batch

    assertEquals(List.of("owner", "community", "renamed", "active", Timestamp.from(at(0))), columns("i-1"));
    Image image = row("i-1").orElseThrow();
    assertEquals(entityAfter(events), image);
    assertEquals(Optional.of(FILE), image.file());
    assertEquals(at(3), image.updatedAt());
  }

  @Test
  void anAbortedUploadQueuesTheImageAgainWithoutAFile() throws Exception {
    project(envelope("i-1", created("i-1", "private")), envelope("i-1", new ImageEntity.UploadStarted(at(1))),
        envelope("i-1", new ImageEntity.UploadAborted("the client went away", at(2))));

    assertEquals("queued", columns("i-1").get(3));
    assertEquals(Optional.empty(), row("i-1").orElseThrow().file());
  }

  @Test
  void membersAreRowsOfTheirOwnWithTheirAnswers() throws Exception {
    project(envelope("i-1", created("i-1", "shared")), envelope("i-1", new ImageEntity.MemberAdded("p-2", at(1))),
        envelope("i-1", new ImageEntity.MemberAdded("p-3", at(1))));
    assertEquals(List.of("p-2=pending", "p-3=pending"), members("i-1"));

    project(envelope("i-1", new ImageEntity.MemberAnswered("p-2", "accepted", at(2))));
    project(envelope("i-1", new ImageEntity.MemberAnswered("p-3", "rejected", at(3))),
        envelope("i-1", new ImageEntity.MemberAdded("p-4", at(3))));
    assertEquals(List.of("p-2=accepted", "p-3=rejected", "p-4=pending"), members("i-1"));

    project(envelope("i-1", new ImageEntity.MemberRemoved("p-3", at(4))));
    assertEquals(List.of("p-2=accepted", "p-4=pending"), members("i-1"));
    assertEquals(new ImageMember("accepted", at(1), at(2)), row("i-1").orElseThrow().members().get("p-2"));
  }

  @Test
  void aDeletedImageLeavesNoRowAndNoMembers() throws Exception {
    project(envelope("i-1", created("i-1", "shared")), envelope("i-1", new ImageEntity.MemberAdded("p-2", at(1))));

    project(envelope("i-1", new ImageEntity.ImageDeleted(at(2))));

    assertEquals(Optional.empty(), row("i-1"));
    assertEquals(List.of(), members("i-1"));
  }

  @Test
  void theEventsOfSeveralImagesInOneBatchEachLandOnTheirOwnRow() throws Exception {
    project(envelope("i-1", created("i-1", "private")), envelope("i-2", created("i-2", "public")),
        envelope("i-1", new ImageEntity.UploadStarted(at(1))), envelope("i-2", new ImageEntity.LocationMoved("/srv/i-2", at(1))),
        envelope("i-2", new ImageEntity.MemberAdded("p-9", at(2))));

    assertEquals("saving", columns("i-1").get(3));
    assertEquals(List.of(), members("i-1"));
    assertEquals("queued", columns("i-2").get(3));
    assertEquals(Optional.of("/srv/i-2"), row("i-2").orElseThrow().location());
    assertEquals(List.of("p-9=pending"), members("i-2"));
  }

  /** The image list starts from its creation: events of an image it never saw created change nothing. */
  @Test
  void eventsOfAnImageNeverCreatedAreSkipped() throws Exception {
    project(envelope("ghost", new ImageEntity.UploadStarted(at(1))), envelope("ghost", new ImageEntity.MemberAdded("p-2", at(1))));

    assertEquals(Optional.empty(), row("ghost"));
    assertEquals(List.of(), members("ghost"));
  }

  @Test
  void creatingTheTablesAgainKeepsTheRows() throws Exception {
    project(envelope("i-1", created("i-1", "shared")), envelope("i-1", new ImageEntity.MemberAdded("p-2", at(1))));

    ImageListProjection.createTable(c); // at every start

    assertEquals("queued", columns("i-1").get(3));
    assertEquals(List.of("p-2=pending"), members("i-1"));
  }

  /** The columns lists filter and sort on beyond the first ones, and the image's tags. */
  private List<Object> filterColumns(String id) throws Exception {
    try (var st = c.prepareStatement("SELECT disk_format, container_format, size, updated_at FROM image_list WHERE id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return java.util.Arrays.asList(rs.getString(1), rs.getString(2), rs.getObject(3), rs.getTimestamp(4));
      }
    }
  }

  private List<String> tags(String id) throws Exception {
    try (var st = c.prepareStatement("SELECT tag FROM image_tags WHERE image_id = ? ORDER BY tag")) {
      st.setString(1, id);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
      return out;
    }
  }

  @Test
  void formatsSizeTagsAndOwnerFollowTheImage() throws Exception {
    ImageMetadata tagged = new ImageMetadata("t", "raw", "ovf", "private", false, 0, 0, Map.of(), List.of("b", "a"));
    project(envelope("i-1", created("i-1", "private")));
    assertEquals(java.util.Arrays.asList("qcow2", "bare", null, Timestamp.from(at(0))), filterColumns("i-1"));

    project(envelope("i-1", new ImageEntity.MetadataUpdated(tagged, at(1))), envelope("i-1", new ImageEntity.UploadStarted(at(2))),
        envelope("i-1", new ImageEntity.UploadFinished(FILE, at(3))), envelope("i-1", new ImageEntity.OwnerChanged("p-9", at(4))),
        envelope("i-1", new ImageEntity.ImageDeactivated(at(5))));

    assertEquals(List.of("raw", "ovf", 4096L, Timestamp.from(at(5))), filterColumns("i-1"));
    assertEquals(List.of("a", "b"), tags("i-1"));
    assertEquals(List.of("p-9", "private", "t", "deactivated", Timestamp.from(at(0))), columns("i-1"));
    project(envelope("i-1", new ImageEntity.ImageDeleted(at(6))));
    assertEquals(List.of(), tags("i-1"));
  }

  @Test
  void rowsOfAnEarlierLayoutAreDroppedWithTheOffsetToBeRebuilt() throws Exception {
    project(envelope("i-1", created("i-1", "private")));
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE projection_offset_store (projection_name VARCHAR(255), projection_key VARCHAR(255))");
      st.execute("INSERT INTO projection_offset_store VALUES ('" + ImageListProjection.NAME + "', '0')");
      st.execute("UPDATE image_list SET row_version = NULL"); // as rows written before the column was
    }

    ImageListProjection.createTable(c);

    assertEquals(List.of(), columns("i-1"));
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM projection_offset_store")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the projection starts again from the journal's first event");
    }
  }
}
