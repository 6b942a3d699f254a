package nimbus.edge;

import static nimbus.edge.NetworkRoutesTest.neutronError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Neutron's quotas: a project reads its own, an admin sets and resets them; creates are held to them. */
class NetworkQuotaRoutesTest extends ApiRouteTest {
  static final String QUOTAS = "/network/v2.0/quotas/";

  @Test
  void aProjectReadsItsQuotaAndAnAdminChangesIt() {
    JsonNode quota = json(api.run(get(QUOTAS + project, reader)), 200).path("quota");
    assertEquals(100, quota.path("network").asInt());
    assertEquals(500, quota.path("port").asInt());
    assertEquals("PolicyNotAuthorized", neutronError(api.run(get(QUOTAS + otherProject, member)), 403)[0]);
    assertEquals("PolicyNotAuthorized", neutronError(api.run(put(QUOTAS + project, member,
        "{\"quota\": {\"network\": 1}}")), 403)[0]);
    assertEquals("TenantQuotaNotFound", neutronError(api.run(delete(QUOTAS + project, admin)), 404)[0]);
    assertEquals(1, json(api.run(put(QUOTAS + project, admin, "{\"quota\": {\"network\": 1}}")), 200)
        .path("quota").path("network").asInt());
    assertEquals("Unrecognized attribute(s) 'rbac_policy'", neutronError(api.run(put(QUOTAS + project, admin,
        "{\"quota\": {\"rbac_policy\": 1}}")), 400)[1]);
    assertEquals(10, quota.path("router").asInt());
    assertEquals(50, quota.path("floatingip").asInt());

    json(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {}}")), 201);
    String[] over = neutronError(api.run(post(NetworkRoutesTest.NETWORKS, member, "{\"network\": {}}")), 409);
    assertEquals("OverQuota", over[0]);
    assertEquals("Quota exceeded for resources: ['network'].", over[1]);
    JsonNode details = json(api.run(get(QUOTAS + project + "/details.json", member)), 200).path("quota");
    assertEquals("{\"limit\":1,\"used\":1,\"reserved\":0}", details.path("network").toString());
    assertEquals(100, json(api.run(get(QUOTAS + project + "/default", member)), 200).path("quota").path("network")
        .asInt());
    assertEquals(204, api.run(delete(QUOTAS + project, admin)).statusCode());
    assertEquals(100, json(api.run(get(QUOTAS + project, member)), 200).path("quota").path("network").asInt());
  }
}
