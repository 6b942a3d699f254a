package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Nova's flavors: everyone lists the public ones; the admin manages them and sees private ones. */
class FlavorRoutesTest extends ApiRouteTest {

  @Test
  void aMemberListsThePublicFlavors() {
    JsonNode list = json(api.run(get("/compute/v2.1/flavors/detail", member)), 200);
    assertTrue(list.path("flavors").findValuesAsText("id").contains("1"), list.toString());
    assertEquals("m1.tiny", json(api.run(get("/compute/v2.1/flavors/1", reader)), 200).path("flavor").path("name").asText());
  }

  @Test
  void aPrivateFlavorIsTheAdminsAndHiddenFromOthers() {
    String id = "f-" + UUID.randomUUID();
    JsonNode created = json(api.run(post("/compute/v2.1/flavors", admin, "{\"flavor\": {\"name\": \"" + id
        + "\", \"id\": \"" + id + "\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1, \"os-flavor-access:is_public\": false}}")), 200);
    assertFalse(created.path("flavor").path("os-flavor-access:is_public").asBoolean(true));
    assertEquals(200, api.run(get("/compute/v2.1/flavors/" + id, admin)).statusCode());
    novaError(api.run(get("/compute/v2.1/flavors/" + id, member)), 404, "itemNotFound");
    assertFalse(json(api.run(get("/compute/v2.1/flavors", member)), 200).path("flavors").findValuesAsText("id").contains(id));
  }

  @Test
  void onlyTheAdminManagesFlavors() {
    assertEquals("Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
        novaError(api.run(post("/compute/v2.1/flavors", member,
            "{\"flavor\": {\"name\": \"mine\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1}}")), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.",
        novaError(api.run(delete("/compute/v2.1/flavors/1", member)), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-flavor-access:add_tenant_access to be performed.",
        novaError(api.run(post("/compute/v2.1/flavors/1/action", member,
            "{\"addTenantAccess\": {\"tenant\": \"" + project + "\"}}")), 403, "forbidden"));
  }

  @Test
  void aBadFlavorIsABadRequest() {
    String message = novaError(api.run(post("/compute/v2.1/flavors", admin,
        "{\"flavor\": {\"name\": \"neg\", \"ram\": -1, \"vcpus\": 1, \"disk\": 1}}")), 400, "badRequest");
    assertTrue(message.contains("ram"), message);
  }
}
