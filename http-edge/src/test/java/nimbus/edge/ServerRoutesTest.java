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

  private static String requestIdOf(org.apache.pekko.http.javadsl.testkit.TestRouteResult result) {
    return result.response().getHeader("x-compute-request-id").orElseThrow().value();
  }

  /** tempest's test_get_instance_action: an action is found by the request id its answer carried. */
  @Test
  void eachActionIsFoundByTheIdOfTheRequestThatBeganIt() {
    var create = api.run(post("/compute/v2.1/servers", member, server("s4")));
    String id = json(create, 202).path("server").path("id").asText();
    String createRequest = requestIdOf(create);
    var lock = api.run(post("/compute/v2.1/servers/" + id + "/action", member, "{\"lock\": null}"));
    assertEquals(202, lock.statusCode());
    String lockRequest = requestIdOf(lock);
    assertFalse(createRequest.equals(lockRequest), "every request has its own id");

    JsonNode action = json(api.run(get("/compute/v2.1/servers/" + id + "/os-instance-actions/" + createRequest,
        reader)), 200).path("instanceAction");
    assertEquals("create", action.path("action").asText());
    assertEquals(createRequest, action.path("request_id").asText());
    assertEquals(id, action.path("instance_uuid").asText());
    JsonNode all = json(api.run(get("/compute/v2.1/servers/" + id + "/os-instance-actions", reader)), 200)
        .path("instanceActions");
    assertEquals(lockRequest, all.path(0).path("request_id").asText(), all.toString());
    assertEquals("lock", all.path(0).path("action").asText());
    assertEquals(createRequest, all.path(1).path("request_id").asText());
    assertEquals("Action req-unknown not found", novaError(api.run(get("/compute/v2.1/servers/" + id
        + "/os-instance-actions/req-unknown", member)), 404, "itemNotFound"));
    novaError(api.run(get("/compute/v2.1/servers/" + id + "/os-instance-actions/" + createRequest, stranger)),
        404, "itemNotFound");
  }

  /** tempest's test_verify_server_details and test_update_access_server_address. */
  @Test
  void accessAddressesAreKeptAsGivenChangedOneByOneAndCheckedAsNovaChecksThem() {
    String id = json(api.run(post("/compute/v2.1/servers", member, "{\"server\": {\"name\": \"s5\", \"imageRef\": \""
        + IMAGE + "\", \"flavorRef\": \"1\", \"accessIPv4\": \"1.1.1.1\", \"accessIPv6\": \"0000:0000:0000:0000:0000:BABE:220.12.22.2\"}}")),
        202).path("server").path("id").asText();
    JsonNode shown = json(api.run(get("/compute/v2.1/servers/" + id, member)), 200).path("server");
    assertEquals("1.1.1.1", shown.path("accessIPv4").asText());
    // as Nova writes an address back (tempest's test_verify_server_details sends this one)
    assertEquals("::babe:dc0c:1602", shown.path("accessIPv6").asText());

    JsonNode updated = json(api.run(put("/compute/v2.1/servers/" + id, member,
        "{\"server\": {\"accessIPv4\": \"4.3.2.1\"}}")), 200).path("server");
    assertEquals("4.3.2.1", updated.path("accessIPv4").asText());
    assertEquals("::babe:dc0c:1602", updated.path("accessIPv6").asText(), "what an update leaves out stays");
    assertEquals("s5", updated.path("name").asText());

    String bad = novaError(api.run(put("/compute/v2.1/servers/" + id, member,
        "{\"server\": {\"accessIPv4\": \"1.1.1\"}}")), 400, "badRequest");
    assertTrue(bad.contains("accessIPv4"), bad);
    bad = novaError(api.run(post("/compute/v2.1/servers", member, "{\"server\": {\"name\": \"s6\", \"imageRef\": \""
        + IMAGE + "\", \"flavorRef\": \"1\", \"accessIPv6\": \"1.1.1.1\"}}")), 400, "badRequest");
    assertTrue(bad.contains("accessIPv6"), bad);
    assertEquals("4.3.2.1", json(api.run(get("/compute/v2.1/servers/" + id, member)), 200)
        .path("server").path("accessIPv4").asText());
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

  private static String serverWith(String name, String extra) {
    return "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"1\", "
        + extra + "}}";
  }

  @Test
  void userDataThatIsNotBase64IsNovasBadRequest() {
    assertEquals("Invalid input for field/attribute user_data. Value: abc. 'abc' is not a 'base64'",
        novaError(api.run(post("/compute/v2.1/servers", member, serverWith("u1", "\"user_data\": \"abc\""))),
            400, "badRequest"));
    assertEquals("Invalid input for field/attribute user_data. Value: aGk=é. 'aGk=é' is not a 'base64'",
        novaError(api.run(post("/compute/v2.1/servers", member, serverWith("u2", "\"user_data\": \"aGk=é\""))),
            400, "badRequest"));
    String tooLong = "QUFB".repeat(16384);
    String message = novaError(api.run(post("/compute/v2.1/servers", member,
        serverWith("u3", "\"user_data\": \"" + tooLong + "\""))), 400, "badRequest");
    assertTrue(message.startsWith("Invalid input for field/attribute user_data."), message);
    assertTrue(message.length() < 300, "the error does not repeat 64 KiB of user data: " + message.length());
    novaError(api.run(post("/compute/v2.1/servers", member, serverWith("u4", "\"user_data\": 5"))), 400, "badRequest");
    novaError(api.run(post("/compute/v2.1/servers", member, serverWith("u5", "\"config_drive\": \"maybe\""))),
        400, "badRequest");
  }

  @Test
  void aServerWithAConfigDriveShowsIt() {
    // base64 broken over lines, as "base64" writes it, is base64 to Nova
    String id = json(api.run(post("/compute/v2.1/servers", member, serverWith("cd1",
        "\"user_data\": \"I2Nsb3VkLWNvbmZpZwpob3N0\\nbmFtZTogeAo=\", \"config_drive\": \"true\""))), 202)
        .path("server").path("id").asText();
    assertEquals("True", json(api.run(get("/compute/v2.1/servers/" + id, member)), 200)
        .path("server").path("config_drive").asText());
    String plain = json(api.run(post("/compute/v2.1/servers", member, serverWith("cd2", "\"config_drive\": false"))), 202)
        .path("server").path("id").asText();
    JsonNode shown = json(api.run(get("/compute/v2.1/servers/" + plain, member)), 200).path("server");
    assertTrue(shown.has("config_drive"), shown.toString());
    assertEquals("", shown.path("config_drive").asText());
    // Nova 2.1 shows no user data (OS-EXT-SRV-ATTR:user_data is 2.3's)
    assertFalse(shown.has("OS-EXT-SRV-ATTR:user_data"), shown.toString());
  }
}
