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

  private static final String PATCH_V20 = "application/openstack-images-v2.0-json-patch";
  private static final String PATCH_V21 = "application/openstack-images-v2.1-json-patch";

  @Test
  void glancesSchemasDescribeImagesAndMembers() {
    JsonNode image = json(api.run(get("/image/v2/schemas/image", reader)), 200);
    assertEquals("image", image.path("name").asText());
    assertEquals("string", image.path("additionalProperties").path("type").asText(), "other properties are strings");
    assertTrue(image.path("properties").path("status").path("enum").toString().contains("deactivated"));
    assertEquals("{schema}", image.path("links").get(2).path("href").asText());
    JsonNode images = json(api.run(get("/image/v2/schemas/images", reader)), 200);
    assertEquals("images", images.path("name").asText());
    assertEquals(image, images.path("properties").path("images").path("items"));
    assertEquals("member", json(api.run(get("/image/v2/schemas/member", reader)), 200).path("name").asText());
    JsonNode members = json(api.run(get("/image/v2/schemas/members", reader)), 200);
    assertEquals("member", members.path("properties").path("members").path("items").path("name").asText());
  }

  @Test
  void aPatchComesInEitherOfGlancesForms() {
    String id = create(member, "{\"name\": \"before\"}");
    String uri = IMAGES + "/" + id;
    assertEquals("draft-4", json(api.run(patch(uri, member, "[{\"replace\": \"/name\", \"value\": \"draft-4\"}]",
        PATCH_V20)), 200).path("name").asText());
    assertEquals("blue", json(api.run(patch(uri, member, "[{\"add\": \"/color\", \"value\": \"blue\"}]",
        PATCH_V20)), 200).path("color").asText());
    assertEquals(false, json(api.run(patch(uri, member, "[{\"remove\": \"/color\"}]", PATCH_V20)), 200).has("color"));
    assertEquals("Operation objects must contain only one member named \"add\", \"remove\", or \"replace\".",
        glanceError(api.run(patch(uri, member, "[{\"add\": \"/a\", \"remove\": \"/b\", \"value\": \"x\"}]", PATCH_V20)), 400));
    assertEquals("Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.",
        glanceError(api.run(patch(uri, member, "[{\"replace\": \"/name\", \"value\": \"x\"}]", PATCH_V21)), 400));
    assertEquals(415, api.run(patch(uri, member, "[]", "application/json")).statusCode());
    assertEquals("draft-4", json(api.run(get(uri, member)), 200).path("name").asText(), "refused patches change nothing");
  }

  @Test
  void aPatchedImageMustMatchGlancesImageSchema() {
    String uri = IMAGES + "/" + create(member, "{\"name\": \"checked\"}");
    assertEquals("Invalid input for field/attribute min_ram. Value: \"lots\". string found, integer expected",
        glanceError(api.run(patch(uri, member, "[{\"op\": \"replace\", \"path\": \"/min_ram\", \"value\": \"lots\"}]",
            PATCH_V21)), 400));
    assertTrue(glanceError(api.run(patch(uri, member, "[{\"op\": \"add\", \"path\": \"/color\", \"value\": 5}]",
        PATCH_V21)), 400).startsWith("Invalid input for field/attribute color."));
    assertEquals("Attribute 'deleted' is reserved.", glanceError(api.run(patch(uri, member,
        "[{\"op\": \"add\", \"path\": \"/deleted\", \"value\": \"x\"}]", PATCH_V21)), 403));
  }

  @Test
  void anEmptyImageIdNamesNoImage() {
    glanceError(api.run(get(IMAGES + "/", member)), 404);
    glanceError(api.run(delete(IMAGES + "/", member)), 404);
  }

  @Test
  void aDeactivatedImagesFileIsForAdminsOnlyUntilReactivated() {
    String id = create(member, "{\"name\": \"withheld\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}");
    String actions = IMAGES + "/" + id + "/actions/";
    assertEquals("Not allowed to deactivate image in status 'queued'",
        glanceError(api.run(post(actions + "deactivate", member, "")), 403));
    org.apache.pekko.http.javadsl.model.HttpRequest put = org.apache.pekko.http.javadsl.model.HttpRequest
        .PUT(IMAGES + "/" + id + "/file").addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader
            .create("X-Auth-Token", member))
        .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_OCTET_STREAM, new byte[512]);
    assertEquals(204, api.run(put).statusCode());

    glanceError(api.run(post(actions + "deactivate", stranger, "")), 404);
    glanceError(api.run(post(actions + "deactivate", reader, "")), 403);
    assertEquals(204, api.run(post(actions + "deactivate", member, "")).statusCode());
    assertEquals("deactivated", json(api.run(get(IMAGES + "/" + id, reader)), 200).path("status").asText());
    assertEquals("The requested image has been deactivated. Image data download is forbidden.",
        glanceError(api.run(get(IMAGES + "/" + id + "/file", member)), 403));
    assertEquals(200, api.run(get(IMAGES + "/" + id + "/file", admin)).statusCode());
    glanceError(api.run(post(actions + "explode", member, "")), 404);

    assertEquals(204, api.run(post(actions + "reactivate", member, "")).statusCode());
    assertEquals("active", json(api.run(get(IMAGES + "/" + id, reader)), 200).path("status").asText());
    assertEquals(512, api.run(get(IMAGES + "/" + id + "/file", member)).entityBytes().length());
  }

  @Test
  void onlyTheCloudAdminGivesAnImageToAnotherProject() {
    assertEquals("You are not permitted to create images owned by '" + otherProject + "'.",
        glanceError(api.run(post(IMAGES, member, "{\"owner\": \"" + otherProject + "\"}")), 403));
    assertEquals(project, json(api.run(post(IMAGES, member, "{\"owner\": \"" + project + "\"}")), 201)
        .path("owner").asText(), "its own project is no other");
    String id = json(api.run(post(IMAGES, admin, "{\"owner\": \"" + project + "\", \"visibility\": \"private\"}")), 201)
        .path("id").asText();
    assertEquals(project, json(api.run(get(IMAGES + "/" + id, member)), 200).path("owner").asText());
    String giveAway = "[{\"op\": \"replace\", \"path\": \"/owner\", \"value\": \"" + otherProject + "\"}]";
    assertEquals("You are not permitted to change the owner of image " + id + ".",
        glanceError(api.run(patch(IMAGES + "/" + id, member, giveAway, PATCH_V21)), 403));
    assertEquals(otherProject, json(api.run(patch(IMAGES + "/" + id, admin, giveAway, PATCH_V21)), 200).path("owner").asText());
    assertEquals(200, api.run(get(IMAGES + "/" + id, stranger)).statusCode(), "the new owner's project sees it");
    glanceError(api.run(get(IMAGES + "/" + id, member)), 404);
  }
}
