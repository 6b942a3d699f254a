package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.testing.TestConfig;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.testkit.TestRoute;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.junit.jupiter.api.Test;

/** Keystone: a password login, and the catalog of identities that only the cloud's admin changes. */
class IdentityRoutesTest extends ApiRouteTest {

  @Test
  void theAdminLogsInAndListsUsers() {
    TestRouteResult login = api.run(HttpRequest.POST("/identity/v3/auth/tokens").withEntity(ContentTypes.APPLICATION_JSON,
        "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"admin\","
            + " \"domain\": {\"id\": \"default\"}, \"password\": \"" + TestConfig.ADMIN_PASSWORD + "\"}}},"
            + " \"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"id\": \"default\"}}}}}"));
    JsonNode token = json(login, 201);
    assertEquals("admin", token.path("token").path("project").path("name").asText(), token.toString());
    Optional<String> issued = login.response().getHeader("X-Subject-Token").map(h -> h.value());
    assertTrue(issued.isPresent());
    JsonNode users = json(api.run(get("/identity/v3/users", issued.get())), 200);
    assertTrue(users.path("users").findValuesAsText("name").contains("admin"), users.toString());
  }

  @Test
  void othersAreRefusedByKeystonesRules() {
    assertEquals("Policy doesn't allow identity:list_users to be performed.",
        keystoneError(api.run(get("/identity/v3/users", member)), 403));
    assertEquals("Policy doesn't allow identity:create_project to be performed.",
        keystoneError(api.run(post("/identity/v3/projects", member, "{\"project\": {\"name\": \"sneaky\"}}")), 403));
    keystoneError(api.run(get("/identity/v3/role_assignments", member)), 403);
    // its own assignments a user may list
    assertEquals(200, api.run(get("/identity/v3/role_assignments?user.id=member-of-" + project, member)).statusCode());
    // the admin role on any project but the admin project is not the cloud's admin
    keystoneError(api.run(get("/identity/v3/users", cloud.token(project, "project-admin", "admin"))), 403);
  }

  @Test
  void keystonesLegacyAdminRuleMakesAProjectAdminTheCloudsAdminEverywhere() {
    TestRoute legacy = testRoute(cloud.api(Policy.of(Map.of("admin_api", "role:admin or is_admin:True"))));
    String projectAdmin = cloud.token(project, "project-admin", "admin");
    for (TestRoute route : List.of(api, legacy)) {
      int expected = route == legacy ? 200 : 403;
      assertEquals(expected, route.run(get("/identity/v3/users", projectAdmin)).statusCode());
      assertEquals(expected, route.run(get("/identity/v3/projects", projectAdmin)).statusCode());
      // a project it has no role on: the default hides it (404)
      assertEquals(route == legacy ? 200 : 404,
          route.run(get("/identity/v3/projects/" + cloud.adminProjectId(), projectAdmin)).statusCode());
      assertEquals(expected, route.run(get("/compute/v2.1/os-hypervisors", projectAdmin)).statusCode());
    }
    assertEquals(403, legacy.run(get("/identity/v3/users", member)).statusCode(), "a member stays a member");
  }

  @Test
  void aMemberListsItsOwnProjectsNotEveryProject() {
    assertEquals("Policy doesn't allow identity:list_projects to be performed.",
        keystoneError(api.run(get("/identity/v3/projects", member)), 403));
    assertEquals(200, api.run(get("/identity/v3/users/member-of-" + project + "/projects", member)).statusCode());
    keystoneError(api.run(get("/identity/v3/users/someone-else/projects", member)), 403);
    JsonNode mine = json(api.run(get("/identity/v3/users/admin-user/projects", admin)), 200);
    assertTrue(mine.path("projects").isArray(), mine.toString());
  }

  @Test
  void servicesAndEndpointsMakeTheCatalogAndANewRegionComesWithItsEndpoint() {
    String type = "t-" + project;
    String service = json(api.run(post("/identity/v3/services", admin,
        "{\"service\": {\"type\": \"" + type + "\", \"name\": \"svc\", \"description\": \"d\"}}")), 201)
        .path("service").path("id").asText();
    String region = "r-" + project;
    JsonNode endpoint = json(api.run(post("/identity/v3/endpoints", admin, "{\"endpoint\": {\"service_id\": \"" + service
        + "\", \"interface\": \"public\", \"url\": \"http://svc.example/$(project_id)s\", \"region\": \"" + region
        + "\"}}")), 201).path("endpoint");
    assertEquals(region, endpoint.path("region_id").asText(), endpoint.toString());
    assertEquals(region, json(api.run(get("/identity/v3/regions/" + region, member)), 200).path("region").path("id").asText());

    JsonNode catalog = json(api.run(get("/identity/v3/auth/catalog", admin)), 200).path("catalog");
    assertTrue(catalog.toString().contains("http://svc.example/" + cloud.adminProjectId()), catalog.toString());
    assertTrue(catalog.toString().contains("/compute/v2.1"), "Nimbus's own services are seeded: " + catalog);

    keystoneError(api.run(get("/identity/v3/services", member)), 403);
    keystoneError(api.run(post("/identity/v3/endpoints", admin, "{\"endpoint\": {\"service_id\": \"" + service
        + "\", \"interface\": \"public\", \"url\": \"x\", \"enabled\": \"True\"}}")), 400);
    keystoneError(api.run(delete("/identity/v3/regions/" + region, admin)), 409);
    assertEquals(204, api.run(delete("/identity/v3/services/" + service, admin)).statusCode());
    keystoneError(api.run(get("/identity/v3/endpoints/" + endpoint.path("id").asText(), admin)), 404);
    assertEquals(204, api.run(delete("/identity/v3/regions/" + region, admin)).statusCode(), "its endpoint went with the service");
  }

  @Test
  void aRegionTakesItsIdFromThePathAndNeverBecomesItsOwnAncestor() {
    String parent = "parent-" + project;
    String child = "child-" + project;
    assertEquals(201, api.run(put("/identity/v3/regions/" + parent, admin, "{\"region\": {}}")).statusCode());
    JsonNode created = json(api.run(post("/identity/v3/regions", admin,
        "{\"region\": {\"id\": \"" + child + "\", \"parent_region_id\": \"" + parent + "\"}}")), 201);
    assertEquals(parent, created.path("region").path("parent_region_id").asText());
    keystoneError(api.run(patch("/identity/v3/regions/" + parent, admin,
        "{\"region\": {\"parent_region_id\": \"" + child + "\"}}", "application/json")), 400);
    keystoneError(api.run(put("/identity/v3/regions/" + parent, admin, "{\"region\": {}}")), 409);
    JsonNode children = json(api.run(get("/identity/v3/regions?parent_region_id=" + parent, member)), 200);
    assertEquals(List.of(child), children.path("regions").findValuesAsText("id"));
    keystoneError(api.run(post("/identity/v3/regions", member, "{\"region\": {}}")), 403);
  }

  @Test
  void aProjectWithoutANameIsABadRequest() {
    keystoneError(api.run(post("/identity/v3/projects", admin, "{\"project\": {\"description\": \"no name\"}}")), 400);
    keystoneError(api.run(post("/identity/v3/auth/tokens", "", "{\"nothing\": true}")), 400);
  }
}
