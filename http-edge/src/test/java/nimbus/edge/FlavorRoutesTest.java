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

  /** tempest's test_flavor_set_get_update_show_unset_keys and its negative tests. */
  @Test
  void oneExtraSpecIsSetReadAndUnsetByItsKey() {
    String id = "f-" + UUID.randomUUID();
    json(api.run(post("/compute/v2.1/flavors", admin, "{\"flavor\": {\"name\": \"" + id + "\", \"id\": \"" + id
        + "\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1}}")), 200);
    String specs = "/compute/v2.1/flavors/" + id + "/os-extra_specs";
    json(api.run(post(specs, admin, "{\"extra_specs\": {\"hw:numa_nodes\": \"1\", \"hw:cpu_policy\": \"shared\"}}")), 200);
    JsonNode updated = json(api.run(put(specs + "/hw:numa_nodes", admin, "{\"hw:numa_nodes\": \"2\"}")), 200);
    assertEquals("{\"hw:numa_nodes\":\"2\"}", updated.toString());
    assertEquals("{\"hw:numa_nodes\":\"2\"}", json(api.run(get(specs + "/hw:numa_nodes", member)), 200).toString());
    assertEquals("shared", json(api.run(get(specs, member)), 200).path("extra_specs").path("hw:cpu_policy").asText());

    assertEquals("Request body and URI mismatch", novaError(api.run(put(specs + "/hw:numa_nodes", admin,
        "{\"hw:cpu_policy\": \"dedicated\"}")), 400, "badRequest"));
    novaError(api.run(put(specs + "/hw:numa_nodes", admin, "{\"hw:numa_nodes\": \"1\", \"hw:cpu_policy\": \"x\"}")),
        400, "badRequest");
    assertEquals("Policy doesn't allow os_compute_api:os-flavor-extra-specs:update to be performed.",
        novaError(api.run(put(specs + "/hw:numa_nodes", member, "{\"hw:numa_nodes\": \"3\"}")), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-flavor-extra-specs:delete to be performed.",
        novaError(api.run(delete(specs + "/hw:numa_nodes", member)), 403, "forbidden"));

    assertEquals(200, api.run(delete(specs + "/hw:numa_nodes", admin)).statusCode());
    assertEquals("Flavor " + id + " has no extra specs with key hw:numa_nodes.",
        novaError(api.run(get(specs + "/hw:numa_nodes", member)), 404, "itemNotFound"));
    novaError(api.run(delete(specs + "/hw:numa_nodes", admin)), 404, "itemNotFound");
    assertEquals("{\"hw:cpu_policy\":\"shared\"}", json(api.run(get(specs, member)), 200).path("extra_specs").toString());
  }

  @Test
  void aBadFlavorIsABadRequest() {
    String message = novaError(api.run(post("/compute/v2.1/flavors", admin,
        "{\"flavor\": {\"name\": \"neg\", \"ram\": -1, \"vcpus\": 1, \"disk\": 1}}")), 400, "badRequest");
    assertTrue(message.contains("ram"), message);
  }

  @Test
  void listsFilterByMinimumsAndPageByFlavorId() {
    String big = "f-" + UUID.randomUUID();
    json(api.run(post("/compute/v2.1/flavors", admin, "{\"flavor\": {\"name\": \"" + big + "\", \"id\": \"" + big
        + "\", \"ram\": 900000, \"vcpus\": 1, \"disk\": 900}}")), 200);
    JsonNode large = json(api.run(get("/compute/v2.1/flavors/detail?minRam=900000&minDisk=900", member)), 200);
    assertEquals(java.util.List.of(big), large.path("flavors").findValuesAsText("id"), large.toString());
    assertEquals(0, json(api.run(get("/compute/v2.1/flavors?minDisk=901", member)), 200).path("flavors").size());

    java.util.List<String> all = json(api.run(get("/compute/v2.1/flavors", member)), 200)
        .path("flavors").findValuesAsText("id");
    assertEquals(all.stream().sorted().toList(), all, "Nova sorts by flavorid");
    JsonNode first = json(api.run(get("/compute/v2.1/flavors?limit=1", member)), 200);
    assertEquals(java.util.List.of(all.get(0)), first.path("flavors").findValuesAsText("id"));
    assertTrue(first.path("flavors_links").get(0).path("href").asText().contains("marker=" + all.get(0)), first.toString());
    JsonNode rest = json(api.run(get("/compute/v2.1/flavors?marker=" + all.get(0), member)), 200);
    assertEquals(all.subList(1, all.size()), rest.path("flavors").findValuesAsText("id"));
    assertEquals("marker [no-such] not found",
        novaError(api.run(get("/compute/v2.1/flavors?marker=no-such", member)), 400, "badRequest"));
    novaError(api.run(get("/compute/v2.1/flavors?minRam=lots", member)), 400, "badRequest");
  }

  @Test
  void anAdminListsPrivateFlavorsOnlyWhenAsked() {
    String id = "f-" + UUID.randomUUID();
    json(api.run(post("/compute/v2.1/flavors", admin, "{\"flavor\": {\"name\": \"" + id + "\", \"id\": \"" + id
        + "\", \"ram\": 64, \"vcpus\": 1, \"disk\": 1, \"os-flavor-access:is_public\": false}}")), 200);
    assertFalse(json(api.run(get("/compute/v2.1/flavors", admin)), 200).path("flavors").findValuesAsText("id").contains(id),
        "Nova's default is the public flavors, for admins too");
    JsonNode privates = json(api.run(get("/compute/v2.1/flavors?is_public=false", admin)), 200);
    assertTrue(privates.path("flavors").findValuesAsText("id").contains(id), privates.toString());
    assertFalse(privates.path("flavors").findValuesAsText("id").contains("1"), privates.toString());
    assertTrue(json(api.run(get("/compute/v2.1/flavors?is_public=None", admin)), 200).path("flavors")
        .findValuesAsText("id").containsAll(java.util.List.of(id, "1")));
    assertFalse(json(api.run(get("/compute/v2.1/flavors?is_public=false", member)), 200).path("flavors")
        .findValuesAsText("id").contains(id), "others' is_public is ignored");
  }

  @Test
  void aPublicFlavorHasNoAccessListAsInNova() {
    assertEquals("Access list not available for public flavors.",
        novaError(api.run(get("/compute/v2.1/flavors/1/os-flavor-access", admin)), 404, "itemNotFound"));
  }

  /**
   * 2.7: granting a project access to a public flavor is a conflict. Nimbus refuses it at every
   * version (before 2.7 Nova granted it, to no effect).
   */
  @Test
  void accessToAPublicFlavorIsAConflict() {
    String grant = "{\"addTenantAccess\": {\"tenant\": \"" + project + "\"}}";
    assertEquals("Can not add access to a public flavor.", novaError(api.run(post("/compute/v2.1/flavors/1/action",
        admin, grant).addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version",
        "compute 2.7"))), 409, "conflictingRequest"));
  }
}
