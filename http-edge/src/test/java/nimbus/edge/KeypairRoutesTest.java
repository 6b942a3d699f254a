package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nova's keypairs: each user's own. */
class KeypairRoutesTest extends ApiRouteTest {

  @Test
  void aUserMakesAKeypairAndFindsItInItsList() {
    JsonNode made = json(api.run(post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"k1\"}}")), 200);
    assertTrue(made.path("keypair").path("private_key").asText().contains("PRIVATE KEY"), "the generated key, once");
    JsonNode list = json(api.run(get("/compute/v2.1/os-keypairs", member)), 200);
    assertEquals("k1", list.path("keypairs").get(0).path("keypair").path("name").asText(), list.toString());
    assertEquals(made.path("keypair").path("fingerprint"),
        json(api.run(get("/compute/v2.1/os-keypairs/k1", member)), 200).path("keypair").path("fingerprint"));
  }

  @Test
  void anotherUsersKeypairIsNotFoundAndAnOperatorCanForbidKeypairs() {
    json(api.run(post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"mine\"}}")), 200);
    novaError(api.run(get("/compute/v2.1/os-keypairs/mine", stranger)), 404, "itemNotFound");
    var noKeypairs = testRoute(cloud.api(Policy.of(Map.of("os_compute_api:os-keypairs:create", "rule:admin_api"))));
    assertEquals("Policy doesn't allow os_compute_api:os-keypairs:create to be performed.",
        novaError(noKeypairs.run(post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"k2\"}}")),
            403, "forbidden"));
  }

  @Test
  void aBadNameIsABadRequest() {
    String message = novaError(api.run(post("/compute/v2.1/os-keypairs", member,
        "{\"keypair\": {\"name\": \"no/slashes\"}}")), 400, "badRequest");
    assertTrue(message.contains("name"), message);
  }
}
