package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/** Nova's servers: members create and act, readers look, other projects see nothing. */
class ServerRoutesTest extends ApiRouteTest {
  private static final String IMAGE = ImageSeeds.idOf("nimbus-test-guest");

  private static String server(String name) {
    return "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"1\"}}";
  }

  @Test
  void aMemberCreatesAServerItsProjectSees() {
    JsonNode created = json(api.run(post("/compute/v2.1/servers", member, server("s1"))), 202);
    String id = created.path("server").path("id").asText();
    JsonNode shown = json(api.run(get("/compute/v2.1/servers/" + id, reader)), 200);
    assertEquals("s1", shown.path("server").path("name").asText());
    assertEquals(project, shown.path("server").path("tenant_id").asText(), shown.toString());
    assertEquals(202, api.run(post("/compute/v2.1/servers/" + id + "/action", member, "{\"lock\": null}")).statusCode());
    JsonNode locked = json(api.run(get("/compute/v2.1/servers/" + id, member)), 200).path("server");
    assertFalse(locked.has("locked") || locked.has("locked_by"), "Nova 2.1 shows no lock: " + locked);
    assertTrue(json(api.run(get("/compute/v2.1/servers", reader)), 200).path("servers").isArray());
  }

  @Test
  void readersActOnNothingAndOtherProjectsSeeNothing() {
    assertEquals("Policy doesn't allow os_compute_api:servers:create to be performed.",
        novaError(api.run(post("/compute/v2.1/servers", reader, server("no"))), 403, "forbidden"));
    String id = json(api.run(post("/compute/v2.1/servers", member, server("s2"))), 202).path("server").path("id").asText();
    assertEquals("Policy doesn't allow os_compute_api:servers:stop to be performed.",
        novaError(api.run(post("/compute/v2.1/servers/" + id + "/action", reader, "{\"os-stop\": null}")), 403, "forbidden"));
    novaError(api.run(get("/compute/v2.1/servers/" + id, stranger)), 404, "itemNotFound");
    novaError(api.run(delete("/compute/v2.1/servers/" + id, stranger)), 404, "itemNotFound");
    assertEquals(200, api.run(get("/compute/v2.1/servers/" + id, admin)).statusCode());
  }

  /** tempest's test_update_server_name: a non-ASCII name comes back as it was given. */
  @Test
  void aRenamedServerShowsItsNewNameAtOnce() {
    String id = json(api.run(post("/compute/v2.1/servers", member, server("s3"))), 202).path("server").path("id").asText();
    String name = "\u00CD\u00F1st\u00E1\u00F1c\u00E9-42";
    JsonNode updated = json(api.run(put("/compute/v2.1/servers/" + id, member,
        "{\"server\": {\"name\": \"" + name + "\"}}")), 200);
    assertEquals(name, updated.path("server").path("name").asText());
    assertEquals(name, json(api.run(get("/compute/v2.1/servers/" + id, member)), 200).path("server").path("name").asText());
  }

  @Test
  void aServerWithoutANameIsABadRequest() {
    String message = novaError(api.run(post("/compute/v2.1/servers", member,
        "{\"server\": {\"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"1\"}}")), 400, "badRequest");
    assertTrue(message.contains("name"), message);
  }

  /** Nova before 2.38: a status no server can have is not an error, it matches nothing. */
  @Test
  void anUnknownStatusListsNothing() {
    var listed = json(api.run(get("/compute/v2.1/servers?status=SLEEPING", member)), 200);
    assertEquals(0, listed.path("servers").size(), listed.toString());
    novaError(api.run(get("/compute/v2.1/servers?changes-since=yesterday", member)), 400, "badRequest");
  }
}
