package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Glance's image list filters and orders, from the read side: each test's project has three
 * private images (raw/bare of 1000 bytes tagged "red", raw/ovf of 3000 bytes tagged "red" and
 * "blue", and a queued qcow2/bare one without a file), so a list of its private images holds
 * exactly those.
 */
class ImageListRoutesTest extends ApiRouteTest {
  private static final String IMAGES = "/image/v2/images";
  private static final String MINE = IMAGES + "?visibility=private";
  private String small;
  private String large;
  private String empty;

  @BeforeEach
  void images() {
    small = upload("{\"name\": \"small\", \"disk_format\": \"raw\", \"container_format\": \"bare\","
        + " \"visibility\": \"private\", \"tags\": [\"red\"]}", 1000);
    large = upload("{\"name\": \"large\", \"disk_format\": \"raw\", \"container_format\": \"ovf\","
        + " \"visibility\": \"private\", \"tags\": [\"red\", \"blue\"]}", 3000);
    empty = json(api.run(post(IMAGES, member, "{\"name\": \"empty\", \"disk_format\": \"qcow2\","
        + " \"container_format\": \"bare\", \"visibility\": \"private\"}")), 201).path("id").asText();
  }

  private String upload(String body, int size) {
    String id = json(api.run(post(IMAGES, member, body)), 201).path("id").asText();
    HttpRequest put = HttpRequest.PUT(IMAGES + "/" + id + "/file").addHeader(RawHeader.create("X-Auth-Token", member))
        .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, new byte[size]);
    assertEquals(204, api.run(put).statusCode(), api.run(get(IMAGES + "/" + id, member)).entityString());
    return id;
  }

  private List<String> ids(String query) {
    List<String> ids = new ArrayList<>();
    json(api.run(get(query, member)), 200).path("images").forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  @Test
  void filtersByFormatSizeAndTags() {
    assertEquals(List.of(empty), ids(MINE + "&disk_format=qcow2"));
    assertEquals(List.of(large), ids(MINE + "&container_format=ovf"));
    assertEquals(List.of(empty, small), ids(MINE + "&container_format=in:bare,docker"));
    assertEquals(List.of(small), ids(MINE + "&size=1000"));
    assertEquals(List.of(large), ids(MINE + "&size_min=1001&size_max=3000"));
    assertEquals(List.of(large, small), ids(MINE + "&tag=red"));
    assertEquals(List.of(large), ids(MINE + "&tag=red&tag=blue"), "every tag given");
    assertEquals("Unable to filter on a range with a non-numeric value.",
        glanceError(api.run(get(MINE + "&size_min=big", member)), 400));
  }

  @Test
  void sortsInBothOfGlancesSyntaxes() {
    assertEquals(List.of(large, small, empty), ids(MINE + "&sort=size:desc"), "an image without a file is smallest");
    assertEquals(List.of(large, small, empty), ids(MINE + "&sort_key=size&sort_dir=desc"));
    assertEquals(List.of(empty, small, large), ids(MINE + "&sort_key=size&sort_dir=asc"));
    assertEquals(List.of(empty, small, large), ids(MINE + "&sort=disk_format:asc,name:desc"));
    assertEquals(List.of(empty, small, large), ids(MINE + "&sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc"));
    assertEquals(List.of(small, large, empty), ids(MINE + "&sort=name:desc"));
  }

  @Test
  void pagesFollowTheAskedOrder() {
    List<String> seen = new ArrayList<>();
    String next = MINE + "&sort=size:asc&limit=1";
    while (next != null) {
      JsonNode page = json(api.run(get(next, member)), 200);
      page.path("images").forEach(i -> seen.add(i.path("id").asText()));
      next = page.has("next") ? "/image" + page.path("next").asText() : null; // the same filters and order
    }
    assertEquals(List.of(empty, small, large), seen);
  }

  @Test
  void badOrdersAreRefusedAsGlanceWordsThem() {
    assertEquals("Invalid sort key: owner. It must be one of the following: name, status, container_format,"
        + " disk_format, size, id, created_at, updated_at.", glanceError(api.run(get(IMAGES + "?sort=owner", member)), 400));
    assertEquals("Invalid sort direction: up", glanceError(api.run(get(IMAGES + "?sort_key=name&sort_dir=up", member)), 400));
    assertEquals("Old and new sorting syntax cannot be combined",
        glanceError(api.run(get(IMAGES + "?sort=name&sort_key=name", member)), 400));
    assertEquals("Number of sort dirs does not match the number of sort keys",
        glanceError(api.run(get(IMAGES + "?sort_key=name&sort_dir=asc&sort_dir=desc&sort_key=size&sort_key=id", member)), 400));
    assertEquals("Invalid status: maybe", glanceError(api.run(get(IMAGES + "?member_status=maybe", member)), 400));
    assertEquals("Invalid visibility value: everyone", glanceError(api.run(get(IMAGES + "?visibility=everyone", member)), 400));
  }

  @Test
  void aMemberListsSharedImagesByItsAnswer() {
    String shared = json(api.run(post(IMAGES, member, "{\"name\": \"for-friends\", \"visibility\": \"shared\"}")), 201)
        .path("id").asText();
    json(api.run(post(IMAGES + "/" + shared + "/members", member, "{\"member\": \"" + otherProject + "\"}")), 200);
    String sharedWithMe = IMAGES + "?visibility=shared";

    assertEquals(List.of(), idsOf(stranger, sharedWithMe), "accepted ones by default");
    assertEquals(List.of(shared), idsOf(stranger, sharedWithMe + "&member_status=pending"));
    assertEquals(List.of(shared), idsOf(stranger, sharedWithMe + "&member_status=all"));
    assertEquals(List.of(), idsOf(stranger, sharedWithMe + "&member_status=rejected"));
  }

  private List<String> idsOf(String token, String query) {
    List<String> ids = new ArrayList<>();
    json(api.run(get(query, token)), 200).path("images").forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }
}
