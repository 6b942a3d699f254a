package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/** Nova's server metadata routes: reads, Nova's checks of a change, and other projects kept out. */
class ServerMetadataRoutesTest extends ApiRouteTest {
  private String server() {
    return json(api.run(post("/compute/v2.1/servers", member, "{\"server\": {\"name\": \"m\", \"imageRef\": \""
        + ImageSeeds.idOf("nimbus-test-guest") + "\", \"flavorRef\": \"1\", \"metadata\": {\"role\": \"web\"}}}")), 202)
        .path("server").path("id").asText();
  }

  @Test
  void readersSeeTheMetadataAndOtherProjectsDoNot() {
    String id = server();
    assertEquals("web", json(api.run(get("/compute/v2.1/servers/" + id + "/metadata", reader)), 200)
        .path("metadata").path("role").asText());
    assertEquals("web", json(api.run(get("/compute/v2.1/servers/" + id + "/metadata/role", reader)), 200)
        .path("meta").path("role").asText());
    assertEquals("Metadata item was not found",
        novaError(api.run(get("/compute/v2.1/servers/" + id + "/metadata/nope", reader)), 404, "itemNotFound"));
    novaError(api.run(get("/compute/v2.1/servers/" + id + "/metadata", stranger)), 404, "itemNotFound");
    novaError(api.run(post("/compute/v2.1/servers/" + id + "/metadata", stranger, "{\"metadata\": {\"a\": \"b\"}}")),
        404, "itemNotFound");
    novaError(api.run(post("/compute/v2.1/servers/" + id + "/metadata", reader, "{\"metadata\": {\"a\": \"b\"}}")),
        403, "forbidden");
  }

  @Test
  void aChangeIsCheckedAsNovaChecksIt() {
    String id = server();
    assertEquals("Request body and URI mismatch", novaError(api.run(put("/compute/v2.1/servers/" + id + "/metadata/a",
        member, "{\"meta\": {\"b\": \"1\"}}")), 400, "badRequest"));
    novaError(api.run(put("/compute/v2.1/servers/" + id + "/metadata/a", member, "{\"meta\": {\"a\": \"1\", \"b\": \"2\"}}")),
        400, "badRequest");
    novaError(api.run(post("/compute/v2.1/servers/" + id + "/metadata", member, "{\"metadata\": {\"\": \"1\"}}")),
        400, "badRequest");
    // this cloud has no hosts: the server never settles, and Nova changes metadata only once it has
    String message = novaError(api.run(post("/compute/v2.1/servers/" + id + "/metadata", member,
        "{\"metadata\": {\"a\": \"1\"}}")), 409, "conflictingRequest");
    assertTrue(message.startsWith("Cannot 'update metadata' instance " + id), message);
  }
}
