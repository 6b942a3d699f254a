package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.config.SettingsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The policy table: defaults as the API always was, an operator's file over them, and a bad file refused. */
class PolicyTest {
  private static final RequestContext CLOUD_ADMIN = new RequestContext("admin-project", "root", Set.of("admin"), true);
  private static final RequestContext PROJECT_ADMIN = new RequestContext("p1", "boss", Set.of("admin"), false);
  private static final RequestContext MEMBER = new RequestContext("p1", "alice", Set.of("member"), false);
  private static final RequestContext READER = new RequestContext("p1", "bob", Set.of("reader"), false);

  @TempDir
  Path dir;

  @Test
  void theDefaultsGiveThePowersTheApiAlwaysGave() {
    Policy p = Policy.defaults();
    assertTrue(p.allows(CLOUD_ADMIN, "os_compute_api:os-hypervisors:list"));
    assertFalse(p.allows(PROJECT_ADMIN, "os_compute_api:os-hypervisors:list"), "the admin role elsewhere is a project's");
    assertTrue(p.allows(PROJECT_ADMIN, "os_compute_api:servers:create"));
    assertTrue(p.allows(MEMBER, "os_compute_api:servers:create"));
    assertFalse(p.allows(READER, "os_compute_api:servers:create"));
    assertTrue(p.allows(READER, "os_compute_api:servers:index"));
    assertTrue(p.allows(READER, "os_compute_api:os-quota-sets:show", Map.of("project_id", "p1")));
    assertFalse(p.allows(READER, "os_compute_api:os-quota-sets:show", Map.of("project_id", "p2")));
    assertTrue(p.allows(CLOUD_ADMIN, "os_compute_api:os-quota-sets:show", Map.of("project_id", "p2")));
    assertTrue(p.allows(MEMBER, "modify_image", Map.of("owner", "p1")));
    assertFalse(p.allows(MEMBER, "modify_image", Map.of("owner", "p2")));
    assertFalse(p.allows(READER, "modify_image", Map.of("owner", "p1")));
    assertTrue(p.allows(READER, "identity:get_user", Map.of("target.user.id", "bob")));
    assertFalse(p.allows(READER, "identity:get_user", Map.of("target.user.id", "alice")));
  }

  @Test
  void aDenialIsOne403NamingTheRule() {
    ApiError e = assertThrows(ApiError.class, () -> Policy.defaults().enforce(READER, "os_compute_api:servers:delete"));
    assertEquals(403, e.status);
    assertEquals("Policy doesn't allow os_compute_api:servers:delete to be performed.", e.getMessage());
  }

  @Test
  void anOperatorsJsonFileReplacesDefaults() throws IOException {
    Path file = Files.writeString(dir.resolve("policy.json"), """
        {"os_compute_api:servers:create": "role:admin and not rule:admin_api",
         "project_reader_api": "(role:reader or role:member) and project_id:%(project_id)s"}
        """);
    Policy p = Policy.load(Optional.of(file));
    assertFalse(p.allows(MEMBER, "os_compute_api:servers:create"));
    assertTrue(p.allows(PROJECT_ADMIN, "os_compute_api:servers:create"));
    assertFalse(p.allows(CLOUD_ADMIN, "os_compute_api:servers:create"));
    // a base rule changed changes every rule made of it
    assertFalse(p.allows(PROJECT_ADMIN, "os_compute_api:servers:show"));
    assertTrue(p.allows(READER, "os_compute_api:servers:show"));
    assertTrue(p.allows(MEMBER, "os_compute_api:servers:delete"), "the rest are the defaults");
  }

  /** What `./nimbus conformance` runs with: Keystone's legacy admin, the admin role on any project. */
  @Test
  void keystonesLegacyAdminMakesAProjectAdminACloudAdminWhereTheDefaultDoesNot() throws IOException {
    Path file = Files.writeString(dir.resolve("policy.json"), "{\"admin_api\": \"role:admin or is_admin:True\"}");
    Policy legacy = Policy.load(Optional.of(file));
    Policy defaults = Policy.defaults();
    for (String rule : new String[] {"context_is_admin", "os_compute_api:os-flavor-manage:create",
        "os_compute_api:os-hypervisors:list", "os_compute_api:servers:detail:get_all_tenants", "publicize_image",
        "identity:create_project", "identity:list_projects", "identity:create_grant", "identity:get_domain"}) {
      assertTrue(legacy.allows(PROJECT_ADMIN, rule), rule);
      assertFalse(defaults.allows(PROJECT_ADMIN, rule), rule);
      assertFalse(legacy.allows(MEMBER, rule), "a member stays a member: " + rule);
    }
    assertTrue(legacy.allows(PROJECT_ADMIN, "os_compute_api:os-quota-sets:show", Map.of("project_id", "p2")));
    assertTrue(legacy.allows(CLOUD_ADMIN, "os_compute_api:os-flavor-manage:create"));
  }

  @Test
  void aPolicyYamlOfQuotedPairsReadsAsHocon() throws IOException {
    Path file = Files.writeString(dir.resolve("policy.yaml"), """
        # hypervisors for operators too
        "os_compute_api:os-hypervisors:list": "rule:admin_api or role:operator"
        "publicize_image": "!"
        """);
    Policy p = Policy.load(Optional.of(file));
    assertTrue(p.allows(new RequestContext("p1", "op", Set.of("operator"), false), "os_compute_api:os-hypervisors:list"));
    assertFalse(p.allows(CLOUD_ADMIN, "publicize_image"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"os_compute_api:servers:explode\": \"@\"}     | 'os_compute_api:servers:explode' is not a rule of this API",
      "{\"publicize_image\": \"role:\"}                 | 'role:' is not a check",
      "{\"publicize_image\": \"tenant:x\"}              | 'tenant' is not a check this API knows",
      "{\"publicize_image\": \"(role:admin\"}           | a '(' is not closed",
      "{\"publicize_image\": \"role:admin or\"}         | a check is missing at the end",
      "{\"publicize_image\": \"role:a role:b\"}         | unexpected 'role:b'",
      "{\"publicize_image\": \"is_admin:maybe\"}        | is_admin is True or False",
      "{\"publicize_image\": \"rule:no_such_rule\"}     | refers to 'rule:no_such_rule', which does not exist",
      "{\"admin_api\": \"rule:context_is_admin\"}       | refers back to itself",
      "{\"publicize_image\": 5}                         | 'publicize_image' is not a string",
      "{\"publicize_image\": }                          | nimbus.api.policy-file: "})
  void aBadFileStopsStartUpNamingTheSettingAndTheRule(String json, String problem) throws IOException {
    Path file = Files.writeString(dir.resolve("policy.json"), json);
    SettingsException e = assertThrows(SettingsException.class, () -> Policy.load(Optional.of(file)));
    assertTrue(e.getMessage().startsWith("nimbus.api.policy-file: "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }
}
