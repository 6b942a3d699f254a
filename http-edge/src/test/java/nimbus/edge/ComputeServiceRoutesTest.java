package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Nova's os-services, os-hosts and os-instance_usage_audit_log: the admin's, in Nova's 2.1 shapes. */
class ComputeServiceRoutesTest extends ApiRouteTest {

  @Test
  void theAdminListsTheControlNodesServicesAndFiltersThem() {
    JsonNode services = json(api.run(get("/compute/v2.1/os-services", admin)), 200).path("services");
    assertTrue(services.findValuesAsText("binary").containsAll(List.of("nova-scheduler", "nova-conductor")),
        services.toString());
    JsonNode scheduler = services.get(0);
    for (String field : new String[] {"id", "binary", "host", "zone", "status", "state", "updated_at", "disabled_reason"}) {
      assertTrue(scheduler.has(field), field + " in " + scheduler);
    }
    assertTrue(scheduler.path("id").isInt() && !scheduler.has("forced_down"), "2.1: " + scheduler);
    assertEquals("internal", scheduler.path("zone").asText());
    JsonNode conductors = json(api.run(get("/compute/v2.1/os-services?binary=nova-conductor", admin)), 200)
        .path("services");
    assertEquals(List.of("nova-conductor"), conductors.findValuesAsText("binary"));
    assertEquals(0, json(api.run(get("/compute/v2.1/os-services?host=no-such-host", admin)), 200)
        .path("services").size());

    JsonNode hosts = json(api.run(get("/compute/v2.1/os-hosts?zone=internal", admin)), 200).path("hosts");
    assertTrue(hosts.findValuesAsText("service").containsAll(List.of("scheduler", "conductor")), hosts.toString());
    assertEquals(0, json(api.run(get("/compute/v2.1/os-hosts?zone=elsewhere", admin)), 200).path("hosts").size());
    novaError(api.run(get("/compute/v2.1/os-hosts/no-such-host", admin)), 404, "itemNotFound");
  }

  @Test
  void theAuditLogIsOfTheLastMonthAndInvalidTimesAreBadRequests() {
    JsonNode log = json(api.run(get("/compute/v2.1/os-instance_usage_audit_log/2012-12-24%2010:00:00", admin)), 200)
        .path("instance_usage_audit_log");
    assertEquals("2012-11-01 00:00:00", log.path("period_beginning").asText(), log.toString());
    assertEquals("2012-12-01 00:00:00", log.path("period_ending").asText());
    assertEquals(log.path("num_hosts").asInt(), log.path("num_hosts_not_run").asInt(), "no audit runs");
    assertTrue(json(api.run(get("/compute/v2.1/os-instance_usage_audit_log", admin)), 200)
        .has("instance_usage_audit_logs"));
    assertEquals("Invalid timestamp for date invalid_time",
        novaError(api.run(get("/compute/v2.1/os-instance_usage_audit_log/invalid_time", admin)), 400, "badRequest"));
  }

  /** tempest's os-hosts negative tests: Nova's checks come before libvirt's "not supported". */
  @Test
  void hostUpdatesAndPowerActionsAreCheckedAsNovaChecksThem() {
    assertEquals("Policy doesn't allow os_compute_api:os-hosts:update to be performed.",
        novaError(api.run(put("/compute/v2.1/os-hosts/no-such-host", member, "{\"status\": \"enable\"}")), 403, "forbidden"));
    for (String action : List.of("startup", "shutdown", "reboot")) {
      String rule = action.equals("startup") ? "start" : action;
      assertEquals("Policy doesn't allow os_compute_api:os-hosts:" + rule + " to be performed.",
          novaError(api.run(get("/compute/v2.1/os-hosts/no-such-host/" + action, member)), 403, "forbidden"));
      assertEquals("Compute host no-such-host could not be found.",
          novaError(api.run(get("/compute/v2.1/os-hosts/no-such-host/" + action, admin)), 404, "itemNotFound"));
    }
    String bad = novaError(api.run(put("/compute/v2.1/os-hosts/no-such-host", admin, "{\"status\": \"invalid\"}")),
        400, "badRequest");
    assertTrue(bad.contains("status"), bad);
    novaError(api.run(put("/compute/v2.1/os-hosts/no-such-host", admin, "{\"maintenance_mode\": \"invalid\"}")),
        400, "badRequest");
    assertEquals("Compute host no-such-host could not be found.", novaError(api.run(put(
        "/compute/v2.1/os-hosts/no-such-host", admin, "{\"status\": \"enable\"}")), 404, "itemNotFound"));
  }

  @Test
  void othersAreRefusedByNovasRuleNames() {
    assertEquals("Policy doesn't allow os_compute_api:os-services:list to be performed.",
        novaError(api.run(get("/compute/v2.1/os-services", member)), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-hosts:list to be performed.",
        novaError(api.run(get("/compute/v2.1/os-hosts", member)), 403, "forbidden"));
    assertEquals("Policy doesn't allow os_compute_api:os-instance-usage-audit-log:list to be performed.",
        novaError(api.run(get("/compute/v2.1/os-instance_usage_audit_log", reader)), 403, "forbidden"));
    assertFalse(api.run(get("/compute/v2.1/os-services", stranger)).statusCode() == 200);
  }

  /** 2.11: every service shows forced_down (false: Nimbus forces none down). */
  @Test
  void fromTwoElevenServicesShowWhetherForcedDown() {
    JsonNode services = json(api.run(get("/compute/v2.1/os-services", admin).addHeader(
        org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version", "compute 2.11"))), 200)
        .path("services");
    for (JsonNode s : services) assertTrue(s.path("forced_down").isBoolean() && !s.path("forced_down").asBoolean(), s.toString());
    JsonNode before = json(api.run(get("/compute/v2.1/os-services", admin).addHeader(
        org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version", "compute 2.10"))), 200)
        .path("services");
    assertTrue(!before.get(0).has("forced_down"), before.toString());
  }
}
