package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Glance's images: members add them, owners change them, the admin publishes them. */
class ImageRoutesTest extends ApiRouteTest {
  private static final String IMAGES = "/image/v2/images";

  private String create(String token, String body) {
    return json(api.run(post(IMAGES, token, body)), 201).path("id").asText();
  }

  @Test
  void aMemberAddsAnImageItsProjectSees() {
    String id = create(member, "{\"name\": \"mine\", \"visibility\": \"private\"}");
    JsonNode shown = json(api.run(get(IMAGES + "/" + id, reader)), 200);
    assertEquals("mine", shown.path("name").asText());
    assertEquals(project, shown.path("owner").asText());
    assertEquals("queued", shown.path("status").asText());
  }

  @Test
  void readersOtherProjectsAndNonAdminsAreRefused() {
    assertEquals("Policy doesn't allow add_image to be performed.",
        glanceError(api.run(post(IMAGES, reader, "{\"name\": \"x\"}")), 403));
    assertEquals("Policy doesn't allow publicize_image to be performed.",
        glanceError(api.run(post(IMAGES, member, "{\"name\": \"for-all\", \"visibility\": \"public\"}")), 403));
    String id = create(member, "{\"name\": \"private\", \"visibility\": \"private\"}");
    glanceError(api.run(get(IMAGES + "/" + id, stranger)), 404);
    glanceError(api.run(delete(IMAGES + "/" + id, stranger)), 404);
    String patch = "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"renamed\"}]";
    String contentType = "application/openstack-images-v2.1-json-patch";
    assertEquals("You are not permitted to modify image " + id + ".",
        glanceError(api.run(patch(IMAGES + "/" + id, reader, patch, contentType)), 403));
    assertEquals(200, api.run(patch(IMAGES + "/" + id, member, patch, contentType)).statusCode());
    String published = create(admin, "{\"name\": \"published\", \"visibility\": \"public\"}");
    assertEquals(200, api.run(get(IMAGES + "/" + published, stranger)).statusCode());
    glanceError(api.run(delete(IMAGES + "/" + published, member)), 403);
  }

  @Test
  void aBadIdIsABadRequestInGlancesFormat() {
    assertEquals("Invalid input for field/attribute id. Value: \"not-a-uuid\". must be a UUID",
        glanceError(api.run(post(IMAGES, member, "{\"id\": \"not-a-uuid\"}")), 400));
    JsonNode list = json(api.run(get(IMAGES, member)), 200);
    assertTrue(list.path("images").isArray(), list.toString());
  }
}
