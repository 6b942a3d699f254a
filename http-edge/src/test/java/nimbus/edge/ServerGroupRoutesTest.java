package nimbus.edge;

import java.util.List;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Nova's server groups: a project's own; members make and delete them, readers look. */
class ServerGroupRoutesTest extends ApiRouteTest {
  private static final String GROUP = "{\"server_group\": {\"name\": \"g\", \"policies\": [\"anti-affinity\"]}}";

  @Test
  void aMemberMakesAGroupAndAReaderSeesIt() {
    JsonNode made = json(api.run(post("/compute/v2.1/os-server-groups", member, GROUP)), 200);
    String id = made.path("server_group").path("id").asText();
    // Nova shows a group's project and user from 2.13 on only: tempest's 2.1 schema refuses them
    assertFalse(made.path("server_group").has("project_id"), made.toString());
    assertFalse(made.path("server_group").has("user_id"), made.toString());
    JsonNode list = json(api.run(get("/compute/v2.1/os-server-groups", reader)), 200);
    assertTrue(list.path("server_groups").findValuesAsText("id").contains(id), list.toString());
    assertEquals(204, api.run(delete("/compute/v2.1/os-server-groups/" + id, member)).statusCode());
  }

  @Test
  void aReaderMakesNoneAndAnotherProjectSeesNone() {
    assertEquals("Policy doesn't allow os_compute_api:os-server-groups:create to be performed.",
        novaError(api.run(post("/compute/v2.1/os-server-groups", reader, GROUP)), 403, "forbidden"));
    String id = json(api.run(post("/compute/v2.1/os-server-groups", member, GROUP)), 200)
        .path("server_group").path("id").asText();
    novaError(api.run(get("/compute/v2.1/os-server-groups/" + id, stranger)), 404, "itemNotFound");
    novaError(api.run(delete("/compute/v2.1/os-server-groups/" + id, reader)), 403, "forbidden");
  }

  @Test
  void anUnknownPolicyIsABadRequest() {
    String message = novaError(api.run(post("/compute/v2.1/os-server-groups", member,
        "{\"server_group\": {\"name\": \"g\", \"policies\": [\"together\"]}}")), 400, "badRequest");
    assertTrue(message.contains("policies"), message);
  }

  /** 2.15's soft policies: refused before it, kept from it. */
  @Test
  void softPoliciesAreTwoFifteens() {
    for (String policy : List.of("soft-affinity", "soft-anti-affinity")) {
      String body = "{\"server_group\": {\"name\": \"s\", \"policies\": [\"" + policy + "\"]}}";
      novaError(api.run(post("/compute/v2.1/os-server-groups", member, body).addHeader(
          org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version", "compute 2.14"))),
          400, "badRequest");
      JsonNode made = json(api.run(post("/compute/v2.1/os-server-groups", member, body).addHeader(
          org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version", "compute 2.15"))), 200);
      assertEquals(policy, made.path("server_group").path("policies").path(0).asText(), made.toString());
    }
  }
}
