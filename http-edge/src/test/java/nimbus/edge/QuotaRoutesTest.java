package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Nova's quota sets and limits: a project reads its own; the admin reads and sets any. */
class QuotaRoutesTest extends ApiRouteTest {

  @Test
  void aProjectReadsItsQuotaAndTheAdminSetsIt() {
    JsonNode own = json(api.run(get("/compute/v2.1/os-quota-sets/" + project, reader)), 200);
    assertEquals(project, own.path("quota_set").path("id").asText());
    JsonNode set = json(api.run(put("/compute/v2.1/os-quota-sets/" + project, admin, "{\"quota_set\": {\"instances\": 7}}")), 200);
    assertEquals(7, set.path("quota_set").path("instances").asInt());
    assertTrue(!set.path("quota_set").has("id"), "Nova's update answers no id: " + set);
    JsonNode limits = json(api.run(get("/compute/v2.1/limits", member)), 200);
    assertEquals(7, limits.path("limits").path("absolute").path("maxTotalInstances").asInt(), limits.toString());
  }

  /** tempest's test_delete_quota: a deleted quota set is the cloud's defaults again. */
  @Test
  void aDeletedQuotaSetIsBackToTheDefaults() {
    int defaultRam = json(api.run(get("/compute/v2.1/os-quota-sets/" + project + "/defaults", reader)), 200)
        .path("quota_set").path("ram").asInt();
    json(api.run(put("/compute/v2.1/os-quota-sets/" + project, admin, "{\"quota_set\": {\"ram\": 5120}}")), 200);
    assertEquals(5120, json(api.run(get("/compute/v2.1/os-quota-sets/" + project, reader)), 200)
        .path("quota_set").path("ram").asInt());
    assertEquals("Policy doesn't allow os_compute_api:os-quota-sets:delete to be performed.",
        novaError(api.run(delete("/compute/v2.1/os-quota-sets/" + project, member)), 403, "forbidden"));
    assertEquals(202, api.run(delete("/compute/v2.1/os-quota-sets/" + project, admin)).statusCode());
    assertEquals(defaultRam, json(api.run(get("/compute/v2.1/os-quota-sets/" + project, reader)), 200)
        .path("quota_set").path("ram").asInt());
    assertEquals(202, api.run(delete("/compute/v2.1/os-quota-sets/" + project, admin)).statusCode(), "again: no change");
  }

  @Test
  void anotherProjectsQuotaAndChangesAreRefused() {
    assertEquals("Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.",
        novaError(api.run(get("/compute/v2.1/os-quota-sets/" + project, stranger)), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.",
        novaError(api.run(put("/compute/v2.1/os-quota-sets/" + project, member, "{\"quota_set\": {\"instances\": 100}}")),
            403, "forbidden"));
    assertEquals(200, api.run(get("/compute/v2.1/os-quota-sets/" + project, admin)).statusCode());
  }

  @Test
  void aBadLimitOrProjectIdIsABadRequest() {
    String message = novaError(api.run(put("/compute/v2.1/os-quota-sets/" + project, admin,
        "{\"quota_set\": {\"instances\": -5}}")), 400, "badRequest");
    assertTrue(message.contains("instances"), message);
    novaError(api.run(get("/compute/v2.1/os-quota-sets/bad!id", admin)), 400, "badRequest");
  }

  @Test
  void theNovaNetworkQuotasAreThereAsNovaAnswersThem() {
    for (String path : new String[] {"/compute/v2.1/os-quota-sets/" + project,
        "/compute/v2.1/os-quota-sets/" + project + "/defaults"}) {
      JsonNode set = json(api.run(get(path, reader)), 200).path("quota_set");
      for (String field : new String[] {"floating_ips", "fixed_ips", "security_groups", "security_group_rules"}) {
        assertEquals(-1, set.path(field).asInt(0), path + " " + field + ": " + set);
      }
    }
    JsonNode absolute = json(api.run(get("/compute/v2.1/limits", member)), 200).path("limits").path("absolute");
    for (String field : new String[] {"maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps"}) {
      assertEquals(-1, absolute.path(field).asInt(0), field + ": " + absolute);
    }
    for (String field : new String[] {"totalFloatingIpsUsed", "totalSecurityGroupsUsed"}) {
      assertEquals(0, absolute.path(field).asInt(-1), field + ": " + absolute);
    }
  }

  @Test
  void theDefaultQuotaClassIsTheAdminsToRead() {
    JsonNode set = json(api.run(get("/compute/v2.1/os-quota-class-sets/default", admin)), 200).path("quota_class_set");
    assertEquals("default", set.path("id").asText());
    JsonNode defaults = json(api.run(get("/compute/v2.1/os-quota-sets/" + project + "/defaults", reader)), 200)
        .path("quota_set");
    assertEquals(defaults.path("instances"), set.path("instances"), set.toString());
    assertTrue(!set.has("server_groups") && set.has("floating_ips"), "Nova's 2.1 class set: " + set);
    assertEquals("Policy doesn't allow os_compute_api:os-quota-class-sets:show to be performed.",
        novaError(api.run(get("/compute/v2.1/os-quota-class-sets/default", member)), 403, "forbidden"));
  }
}
