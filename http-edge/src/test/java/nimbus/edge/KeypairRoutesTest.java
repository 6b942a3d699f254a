package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
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

  private static HttpRequest at(String version, HttpRequest request) {
    return request.addHeader(RawHeader.create("OpenStack-API-Version", "compute " + version));
  }

  private static Set<String> fields(JsonNode node) {
    Set<String> names = new HashSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** 2.1 has no types: none in a request, none in the views; a create answers 200, a delete 202. */
  @Test
  void atTwoOneAKeypairHasNoType() {
    String message = novaError(api.run(post("/compute/v2.1/os-keypairs", member,
        "{\"keypair\": {\"name\": \"typed\", \"type\": \"ssh\"}}")), 400, "badRequest");
    assertTrue(message.contains("type"), message);
    JsonNode made = json(api.run(at("2.1", post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"old\"}}"))), 200);
    assertFalse(made.path("keypair").has("type"), made.toString());
    assertFalse(json(api.run(get("/compute/v2.1/os-keypairs/old", member)), 200).path("keypair").has("type"));
    JsonNode listed = json(api.run(get("/compute/v2.1/os-keypairs", member)), 200).path("keypairs").get(0).path("keypair");
    assertEquals(Set.of("name", "public_key", "fingerprint"), fields(listed), listed.toString());
    assertEquals(202, api.run(delete("/compute/v2.1/os-keypairs/old", member)).response().status().intValue());
  }

  /** 2.2: ssh by default, x509 on request; the type in every view; 201 and 204. */
  @Test
  void fromTwoTwoAKeypairHasATypeAndX509KeysAreMade() {
    JsonNode ssh = json(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"s\"}}"))), 201);
    assertEquals("ssh", ssh.path("keypair").path("type").asText(), ssh.toString());
    JsonNode cert = json(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member,
        "{\"keypair\": {\"name\": \"c\", \"type\": \"x509\"}}"))), 201).path("keypair");
    assertEquals("x509", cert.path("type").asText(), cert.toString());
    assertTrue(cert.path("public_key").asText().startsWith("-----BEGIN CERTIFICATE-----"), cert.toString());
    assertEquals(59, cert.path("fingerprint").asText().length(), "a SHA-1 fingerprint: " + cert);
    assertFalse(cert.path("private_key").asText().isEmpty());
    JsonNode shown = json(api.run(at("2.2", get("/compute/v2.1/os-keypairs/c", member))), 200).path("keypair");
    assertEquals("x509", shown.path("type").asText(), shown.toString());
    JsonNode listed = json(api.run(at("2.2", get("/compute/v2.1/os-keypairs", member))), 200).path("keypairs");
    assertEquals(Set.of("name", "public_key", "fingerprint", "type"), fields(listed.get(0).path("keypair")));
    // an imported certificate keeps its fingerprint; an ssh key is no certificate
    JsonNode imported = json(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"i\", "
        + "\"type\": \"x509\", \"public_key\": " + cert.path("public_key") + "}}"))), 201).path("keypair");
    assertEquals(cert.path("fingerprint"), imported.path("fingerprint"));
    novaError(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"bad\", "
        + "\"type\": \"x509\", \"public_key\": " + ssh.path("keypair").path("public_key") + "}}"))), 400, "badRequest");
    novaError(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member,
        "{\"keypair\": {\"name\": \"bad\", \"type\": \"rsa\"}}"))), 400, "badRequest");
    assertEquals(204, api.run(at("2.2", delete("/compute/v2.1/os-keypairs/c", member))).response().status().intValue());
    novaError(api.run(at("2.2", get("/compute/v2.1/os-keypairs/c", member))), 404, "itemNotFound");
  }

  /**
   * 2.10: an admin names another user's key pairs ({@code ?user_id=}, and {@code user_id} in a
   * create); anyone else naming another user is refused (the attack), and before 2.10 the
   * parameter is ignored and the field refused.
   */
  @Test
  void fromTwoTenAnAdminManagesAnotherUsersKeypairs() {
    String owner = json(api.run(at("2.2", post("/compute/v2.1/os-keypairs", member, "{\"keypair\": {\"name\": \"k\"}}"))),
        201).path("keypair").path("user_id").asText();
    String asOwner = "/compute/v2.1/os-keypairs/k?user_id=" + owner;
    assertEquals(owner, json(api.run(at("2.10", get(asOwner, admin))), 200).path("keypair").path("user_id").asText());
    novaError(api.run(at("2.10", get(asOwner, stranger))), 403, "forbidden");
    novaError(api.run(at("2.10", get("/compute/v2.1/os-keypairs?user_id=" + owner, stranger))), 403, "forbidden");
    novaError(api.run(at("2.10", delete(asOwner, stranger))), 403, "forbidden");
    novaError(api.run(at("2.9", get(asOwner, admin))), 404, "itemNotFound");

    String forOwner = "{\"keypair\": {\"name\": \"given\", \"user_id\": \"" + owner + "\"}}";
    novaError(api.run(at("2.9", post("/compute/v2.1/os-keypairs", admin, forOwner))), 400, "badRequest");
    novaError(api.run(at("2.10", post("/compute/v2.1/os-keypairs", stranger, forOwner))), 403, "forbidden");
    assertEquals(owner, json(api.run(at("2.10", post("/compute/v2.1/os-keypairs", admin, forOwner))), 201)
        .path("keypair").path("user_id").asText());
    assertTrue(json(api.run(at("2.10", get("/compute/v2.1/os-keypairs", member))), 200).findValuesAsText("name")
        .contains("given"), "the owner sees the key pair made for it");
    assertEquals(204, api.run(at("2.10", delete("/compute/v2.1/os-keypairs/given?user_id=" + owner, admin)))
        .response().status().intValue());
  }
}
