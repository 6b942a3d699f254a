package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code os-hypervisors}, {@code os-aggregates} and {@code os-availability-zone}: hosts are the admin's. */
class HostRoutesTest extends ApiRouteTest {

  @Test
  void theAdminListsHypervisorsAndTheirStatistics() {
    JsonNode list = json(api.run(get("/compute/v2.1/os-hypervisors/detail", admin)), 200);
    assertTrue(list.path("hypervisors").isArray(), list.toString());
    JsonNode stats = json(api.run(get("/compute/v2.1/os-hypervisors/statistics", admin)), 200);
    assertTrue(stats.path("hypervisor_statistics").has("count"), stats.toString());
    assertTrue(json(api.run(get("/compute/v2.1/os-availability-zone", member)), 200)
        .path("availabilityZoneInfo").isArray());
  }

  @Test
  void othersAreRefusedByTheRuleOfEachCall() {
    assertEquals("Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.",
        novaError(api.run(get("/compute/v2.1/os-hypervisors", member)), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed.",
        novaError(api.run(get("/compute/v2.1/os-hypervisors/detail", member)), 403, "forbidden"));
    // the admin role on a project of its own is not the cloud's admin
    String projectAdmin = cloud.token(project, "project-admin", "admin");
    novaError(api.run(get("/compute/v2.1/os-hypervisors/statistics", projectAdmin)), 403, "forbidden");
    novaError(api.run(get("/compute/v2.1/os-availability-zone/detail", reader)), 403, "forbidden");
    novaError(api.run(get("/compute/v2.1/os-aggregates", member)), 403, "forbidden");
  }

  @Test
  void anUnknownHypervisorIsNotFoundInNovasFormat() {
    assertEquals("Hypervisor with ID 'nope' could not be found.",
        novaError(api.run(get("/compute/v2.1/os-hypervisors/nope", admin)), 404, "itemNotFound"));
  }

  @Test
  void anOperatorsRuleReplacesTheDefault() {
    var withOperators = testRoute(cloud.api(Policy.of(java.util.Map.of(
        "os_compute_api:os-hypervisors:list", "rule:admin_api or role:operator"))));
    String operator = cloud.token(project, "operator", "operator");
    assertEquals(200, withOperators.run(get("/compute/v2.1/os-hypervisors", operator)).statusCode());
    novaError(withOperators.run(get("/compute/v2.1/os-hypervisors/statistics", operator)), 403, "forbidden");
  }
}
