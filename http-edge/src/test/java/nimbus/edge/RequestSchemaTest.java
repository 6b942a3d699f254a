package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The request schemas: what clients send passes, and each kind of mistake is a 400 naming its field. */
class RequestSchemaTest {
  private static final String IMAGE = "7e5a3b3e-8a8d-4f2c-9d2a-0b7c7e5a3b3e";
  private static final String SERVER = "{\"server\": {\"name\": \"web\", \"imageRef\": \"" + IMAGE
      + "\", \"flavorRef\": \"42\", %s}}";

  static Stream<Arguments> validBodies() {
    return Stream.of(
        Arguments.of("server-create", SERVER.formatted("\"min_count\": 1, \"max_count\": \"3\", \"metadata\": {\"k\": \"v\"}, "
            + "\"networks\": \"auto\", \"key_name\": \"mine\", \"availability_zone\": \"nova\", \"config_drive\": \"yes\"")),
        Arguments.of("server-create", "{\"server\": {\"name\": \"web\", \"imageRef\": \"http://x/images/" + IMAGE
            + "\", \"flavorRef\": 42, \"networks\": [{\"uuid\": \"n\", \"fixed_ip\": \"::1\"}]}, "
            + "\"os:scheduler_hints\": {\"group\": \"" + IMAGE + "\", \"other\": 1}}"),
        Arguments.of("server-update", "{\"server\": {\"name\": \"renamed\", \"description\": null}}"),
        Arguments.of("server-action-reboot", "{\"reboot\": {\"type\": \"soft\"}}"),
        Arguments.of("server-action-rebuild", "{\"rebuild\": {\"imageRef\": \"" + IMAGE + "\", \"name\": \"r\"}}"),
        Arguments.of("server-action-resize", "{\"resize\": {\"flavorRef\": \"84\"}}"),
        Arguments.of("server-action-createImage", "{\"createImage\": {\"name\": \"snap\", \"metadata\": {\"k\": \"v\"}}}"),
        Arguments.of("server-action-os-getConsoleOutput", "{\"os-getConsoleOutput\": {\"length\": \"-1\"}}"),
        Arguments.of("server-action-os-getConsoleOutput", "{\"os-getConsoleOutput\": {\"length\": null}}"),
        Arguments.of("server-action-lock", "{\"lock\": {\"locked_reason\": \"maintenance\"}}"),
        Arguments.of("server-action-os-stop", "{\"os-stop\": null}"),
        Arguments.of("flavor-create", "{\"flavor\": {\"name\": \"m1.tiny\", \"ram\": 512, \"vcpus\": \"1\", \"disk\": 0, "
            + "\"id\": null, \"swap\": 0, \"rxtx_factor\": 1.0, \"OS-FLV-EXT-DATA:ephemeral\": 0, "
            + "\"os-flavor-access:is_public\": false}}"),
        Arguments.of("flavor-action-addTenantAccess", "{\"addTenantAccess\": {\"tenant\": \"p1\"}}"),
        Arguments.of("flavor-extra-specs-create", "{\"extra_specs\": {\"hw:cpu_policy\": \"dedicated\", \"n\": 2}}"),
        Arguments.of("keypair-create-v2.2", "{\"keypair\": {\"name\": \"my key@home\", \"type\": \"ssh\"}}"),
        Arguments.of("server-group-create", "{\"server_group\": {\"name\": \"g\", \"policies\": [\"anti-affinity\"]}}"),
        Arguments.of("quota-set-update", "{\"quota_set\": {\"instances\": -1, \"cores\": \"20\", \"force\": true}}"),
        // Nova takes the nova-network quotas up to 2.35
        Arguments.of("quota-set-update", "{\"quota_set\": {\"floating_ips\": 20, \"security_group_rules\": 20}}"),
        Arguments.of("image-create", "{\"name\": \"cirros\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\", "
            + "\"visibility\": \"private\", \"min_disk\": 1, \"tags\": [\"a\"], \"os_distro\": \"cirros\", \"id\": \"" + IMAGE + "\"}"),
        Arguments.of("image-member-update", "{\"status\": \"accepted\", \"member_id\": \"p\", \"schema\": \"/v2/schemas/member\"}"),
        Arguments.of("identity-auth-tokens", "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": "
            + "{\"name\": \"admin\", \"domain\": {\"name\": \"Default\"}, \"password\": \"pw\"}}}, "
            + "\"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"id\": \"default\"}}}}}"),
        Arguments.of("identity-auth-tokens", "{\"auth\": {\"identity\": {\"methods\": [\"token\"], \"token\": {\"id\": \"t\"}}, "
            + "\"scope\": \"unscoped\"}}"),
        Arguments.of("identity-user-create", "{\"user\": {\"name\": \"alice\", \"password\": \"pw\", \"default_project_id\": "
            + "\"0123abcd\", \"options\": {\"ignore_lockout_failure_attempts\": true}, \"extra\": \"kept\"}}"),
        Arguments.of("identity-user-update", "{\"user\": {\"options\": {\"ignore_lockout_failure_attempts\": null}}}"),
        Arguments.of("identity-project-create", "{\"project\": {\"name\": \"demo\", \"domain_id\": \"default\", \"enabled\": true}}"),
        Arguments.of("identity-domain-update", "{\"domain\": {\"enabled\": false}}"),
        Arguments.of("identity-role-create", "{\"role\": {\"name\": \"auditor\"}}"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("validBodies")
  void whatClientsSendPasses(String schema, String body) {
    assertDoesNotThrow(() -> RequestSchema.named(schema).validate(Json.parseObject(body)));
  }

  static Stream<Arguments> invalidBodies() {
    return Stream.of(
        Arguments.of("server-create", "{}", "'server'"),
        Arguments.of("server-create", "{\"server\": {\"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"42\"}}", "'name'"),
        Arguments.of("server-create", SERVER.formatted("\"colour\": \"red\""), "'colour'"),
        Arguments.of("server-create", "{\"server\": {\"name\": 5, \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"42\"}}",
            "field/attribute name. Value: 5."),
        Arguments.of("server-create", "{\"server\": {\"name\": \" x \", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"42\"}}",
            "field/attribute name."),
        Arguments.of("server-create", "{\"server\": {\"name\": \"a\\u0007b\", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"4\"}}",
            "field/attribute name."),
        Arguments.of("server-create", "{\"server\": {\"name\": \"x\", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": [1]}}",
            "field/attribute flavorRef."),
        Arguments.of("server-create", SERVER.formatted("\"metadata\": 3"), "field/attribute metadata."),
        Arguments.of("server-create", SERVER.formatted("\"metadata\": {\"a\": 1}"), "field/attribute a."),
        Arguments.of("server-create", SERVER.formatted("\"networks\": 7"), "field/attribute networks."),
        Arguments.of("server-create", SERVER.formatted("\"networks\": \"some\""), "field/attribute networks."),
        Arguments.of("server-create", SERVER.formatted("\"networks\": [{\"fixed_ip\": \"1.2.3\"}]"), "field/attribute fixed_ip."),
        Arguments.of("server-create", SERVER.formatted("\"min_count\": 0"), "field/attribute min_count."),
        Arguments.of("server-create", SERVER.formatted("\"max_count\": 4294967297"), "field/attribute max_count."),
        Arguments.of("server-create", SERVER.formatted("\"max_count\": \"101\""), "field/attribute max_count."),
        Arguments.of("server-create", SERVER.formatted("\"max_count\": 1.5"), "field/attribute max_count."),
        Arguments.of("server-create", SERVER.formatted("\"config_drive\": \"maybe\""), "field/attribute config_drive."),
        Arguments.of("server-create", "{\"server\": {\"name\": \"x\", \"imageRef\": \"" + IMAGE + "\", \"flavorRef\": \"4\"}, "
            + "\"os:scheduler_hints\": {\"group\": \"not-a-uuid\"}}", "field/attribute group."),
        Arguments.of("server-update", "{\"server\": {\"name\": \"\"}}", "field/attribute name."),
        Arguments.of("server-action-reboot", "{\"reboot\": {}}", "'type'"),
        Arguments.of("server-action-reboot", "{\"reboot\": {\"type\": \"GENTLE\"}}", "field/attribute type."),
        Arguments.of("server-action-reboot", "{\"reboot\": \"HARD\"}", "field/attribute reboot."),
        Arguments.of("server-action-rebuild", "{\"rebuild\": {}}", "'imageRef'"),
        Arguments.of("server-action-resize", "{\"resize\": {}}", "'flavorRef'"),
        Arguments.of("server-action-createImage", "{\"createImage\": {}}", "'name'"),
        Arguments.of("server-action-os-getConsoleOutput", "{\"os-getConsoleOutput\": {\"length\": \"ten\"}}", "field/attribute length."),
        Arguments.of("server-action-os-getConsoleOutput", "{\"os-getConsoleOutput\": {\"length\": -5}}", "field/attribute length."),
        Arguments.of("server-action-os-getConsoleOutput", "{\"os-getConsoleOutput\": {\"length\": 9223372036854775808}}",
            "field/attribute length."),
        Arguments.of("server-action-os-start", "{\"os-start\": null, \"os-stop\": null}", "'os-stop'"),
        Arguments.of("flavor-create", "{\"flavor\": {\"name\": \"f\", \"ram\": 0, \"vcpus\": 1, \"disk\": 1}}", "field/attribute ram."),
        Arguments.of("flavor-create", "{\"flavor\": {\"name\": \"f\", \"ram\": \"-1\", \"vcpus\": 1, \"disk\": 1}}", "field/attribute ram."),
        Arguments.of("flavor-create", "{\"flavor\": {\"name\": \"f\", \"ram\": 1, \"vcpus\": 1}}", "'disk'"),
        Arguments.of("flavor-create", "{\"flavor\": {\"name\": \"f\", \"ram\": 1, \"vcpus\": 1, \"disk\": 1, \"id\": \" x\"}}",
            "field/attribute id."),
        Arguments.of("flavor-action-removeTenantAccess", "{\"removeTenantAccess\": {\"tenant\": \"\"}}", "field/attribute tenant."),
        Arguments.of("keypair-create", "{\"keypair\": {\"name\": \"a/b\"}}", "field/attribute name."),
        Arguments.of("keypair-create-v2.2", "{\"keypair\": {\"name\": \"k\", \"type\": \"pgp\"}}", "field/attribute type."),
        Arguments.of("keypair-create", "{\"keypair\": {\"name\": \"k\", \"type\": \"ssh\"}}", "field/attribute keypair."),
        Arguments.of("server-group-create", "{\"server_group\": {\"name\": \"g\", \"policies\": [\"nearby\"]}}", "field/attribute policies."),
        Arguments.of("server-group-create", "{\"server_group\": {\"name\": \"g\", \"policies\": \"affinity\"}}", "field/attribute policies."),
        Arguments.of("server-group-create", "{\"server_group\": {\"name\": \"g\", \"policies\": [\"affinity\", \"affinity\"]}}",
            "field/attribute policies."),
        Arguments.of("quota-set-update", "{\"quota_set\": {\"instances\": -2}}", "field/attribute instances."),
        Arguments.of("quota-set-update", "{\"quota_set\": {\"instances\": \"-5\"}}", "field/attribute instances."),
        Arguments.of("quota-set-update", "{\"quota_set\": {\"networks\": 1}}", "'networks'"),
        Arguments.of("image-create", "{\"disk_format\": \"floppy\"}", "field/attribute disk_format."),
        Arguments.of("image-create", "{\"visibility\": \"everyone\"}", "field/attribute visibility."),
        Arguments.of("image-create", "{\"min_disk\": -1}", "field/attribute min_disk."),
        Arguments.of("image-create", "{\"min_ram\": 18446744073709551617}", "field/attribute min_ram."),
        Arguments.of("image-create", "{\"id\": \"not-a-uuid\"}", "field/attribute id."),
        Arguments.of("image-create", "{\"os_distro\": 7}", "field/attribute os_distro."),
        Arguments.of("image-member-update", "{\"status\": \"maybe\"}", "field/attribute status."),
        Arguments.of("image-member-create", "{}", "'member'"),
        Arguments.of("identity-auth-tokens", "{\"auth\": {}}", "'identity'"),
        Arguments.of("identity-auth-tokens", "{\"auth\": {\"identity\": {\"methods\": []}}}", "field/attribute methods."),
        Arguments.of("identity-auth-tokens", "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": "
            + "{\"user\": {\"name\": \"admin\"}}}}}", "'password'"),
        Arguments.of("identity-auth-tokens", "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": "
            + "{\"user\": {\"password\": \"pw\"}}}}}", "field/attribute user."),
        Arguments.of("identity-project-create", "{\"project\": {}}", "'name'"),
        Arguments.of("identity-project-create", "{\"project\": {\"name\": \"   \"}}", "field/attribute name."),
        Arguments.of("identity-project-create", "{\"project\": {\"name\": \"" + "p".repeat(65) + "\"}}", "field/attribute name."),
        Arguments.of("identity-user-create", "{\"user\": {\"name\": \"u\", \"enabled\": \"yes\"}}", "field/attribute enabled."),
        Arguments.of("identity-user-update", "{\"user\": {\"options\": {\"ignore_lockout_failure_attempts\": \"yes\"}}}",
            "field/attribute ignore_lockout_failure_attempts."),
        Arguments.of("identity-user-update", "{\"user\": {}}", "field/attribute user."),
        Arguments.of("identity-role-update", "{\"role\": {\"name\": 3}}", "field/attribute name."));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalidBodies")
  void eachMistakeIsABadRequestNamingItsField(String schema, String body, String naming) {
    JsonNode request = Json.parseObject(body);
    ApiError error = assertThrows(ApiError.class, () -> RequestSchema.named(schema).validate(request));
    assertEquals(400, error.status);
    assertTrue(error.getMessage().contains(naming), error.getMessage());
  }

  @Test
  void anEchoedValueIsCutShortAndAContainerIsNotEchoed() {
    ApiError longName = assertThrows(ApiError.class, () -> RequestSchema.named("server-update")
        .validate(Json.parseObject("{\"server\": {\"name\": \"" + "n".repeat(300) + "\"}}")));
    // 64 characters of the JSON text: its quote and 63 of the name
    assertTrue(longName.getMessage().contains("Value: \"" + "n".repeat(63) + "..."), longName.getMessage());
    assertFalse(longName.getMessage().contains("n".repeat(64)), longName.getMessage());
    ApiError secret = assertThrows(ApiError.class, () -> RequestSchema.named("identity-user-create")
        .validate(Json.parseObject("{\"user\": {\"password\": \"hunter2\"}}")));
    assertFalse(secret.getMessage().contains("hunter2"), "the object is not echoed with its password: " + secret.getMessage());
  }

  /** Every file loads (its $refs resolve): a broken one would stop the node at start. */
  /** Found by the fuzz test: a number beyond a double (Infinity once parsed) broke an enum check into a 500. */
  @Test
  void aNumberTooLargeForADoubleIsABadRequest() {
    ApiError huge = assertThrows(ApiError.class, () -> RequestSchema.named("image-create")
        .validate(Json.parseObject("{\"name\": \"n\", \"disk_format\": 1e400}")));
    assertEquals(400, huge.status);
    assertTrue(huge.getMessage().contains("disk_format"), huge.getMessage());
  }

  @Test
  void everySchemaFileLoads() throws IOException, URISyntaxException {
    Path dir = Path.of(RequestSchemaTest.class.getResource("/schemas").toURI());
    List<String> names;
    // schemas/glance/ holds the documents Glance serves (and checks patched images against)
    try (Stream<Path> files = Files.walk(dir)) {
      names = files.filter(Files::isRegularFile)
          .map(f -> dir.relativize(f).toString().replace('\\', '/').replaceFirst("\\.json$", "")).sorted().toList();
    }
    assertTrue(names.size() > 30, names.toString());
    for (String name : names) assertDoesNotThrow(() -> RequestSchema.named(name), name);
  }
}
