package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Glance's image members: the owner shares a shared image, the member project answers for itself. */
class ImageMemberRoutesTest extends ApiRouteTest {

  private String sharedImage() {
    return json(api.run(post("/image/v2/images", member, "{\"name\": \"shared\", \"visibility\": \"shared\"}")), 201)
        .path("id").asText();
  }

  @Test
  void theOwnerSharesAndTheMemberAccepts() {
    String id = sharedImage();
    JsonNode added = json(api.run(post("/image/v2/images/" + id + "/members", member,
        "{\"member\": \"" + otherProject + "\"}")), 200);
    assertEquals("pending", added.path("status").asText());
    String membership = "/image/v2/images/" + id + "/members/" + otherProject;
    JsonNode accepted = json(api.run(put(membership, stranger, "{\"status\": \"accepted\"}")), 200);
    assertEquals("accepted", accepted.path("status").asText());
    assertEquals(1, json(api.run(get("/image/v2/images/" + id + "/members", member)), 200).path("members").size());
  }

  @Test
  void onlyTheMemberAnswersAndOthersSeeNothing() {
    String id = sharedImage();
    json(api.run(post("/image/v2/images/" + id + "/members", member, "{\"member\": \"" + otherProject + "\"}")), 200);
    String membership = "/image/v2/images/" + id + "/members/" + otherProject;
    glanceError(api.run(put(membership, member, "{\"status\": \"accepted\"}")), 403);
    // a reader of the owner's project shares nothing
    glanceError(api.run(post("/image/v2/images/" + id + "/members", reader, "{\"member\": \"x\"}")), 403);
    String third = cloud.token("p-" + UUID.randomUUID(), "third", "member");
    glanceError(api.run(get(membership, third)), 404);
  }

  @Test
  void anUnknownStatusIsABadRequest() {
    String id = sharedImage();
    json(api.run(post("/image/v2/images/" + id + "/members", member, "{\"member\": \"" + otherProject + "\"}")), 200);
    assertEquals("Invalid input for field/attribute status. Value: \"maybe\". does not have a value in the enumeration [\"pending\", \"accepted\", \"rejected\"]", glanceError(api.run(put("/image/v2/images/" + id + "/members/" + otherProject,
        stranger, "{\"status\": \"maybe\"}")), 400));
  }
}
