package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import nimbus.testing.TestConfig;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
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
  void aProjectWithoutANameIsABadRequest() {
    keystoneError(api.run(post("/identity/v3/projects", admin, "{\"project\": {\"description\": \"no name\"}}")), 400);
    keystoneError(api.run(post("/identity/v3/auth/tokens", "", "{\"nothing\": true}")), 400);
  }
}
