package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.compute.AccessAddresses;
import nimbus.compute.Flavor;
import nimbus.compute.ServerPort;
import nimbus.network.FixedIp;
import nimbus.compute.ServerView;
import org.junit.jupiter.api.Test;

/** The server view by microversion: Nova adds {@code locked} at 2.9 and never shows who locked. */
class ServerJsonTest {
  private static final ServerView LOCKED_BY_ADMIN = new ServerView("8c8f7f4e-6b8e-4c1a-9a53-3b0f4f1f1a10", "s",
      "p", "u", "ACTIVE", "active", Optional.empty(), 1, Optional.of("host-1"), new Flavor("42", "f", 1, 64, 1),
      "image", Map.of(), Instant.EPOCH, Instant.EPOCH, Optional.of(Instant.EPOCH), Optional.empty(),
      Optional.of("admin"), Optional.empty(), Optional.empty(),
      List.of(new ServerPort("port-1", "net-1", "private", "fa:16:3e:00:00:01",
          List.of(new FixedIp("subnet-1", "10.0.0.5")), true, Optional.of("host-1"))),
      false, new AccessAddresses(Optional.of("192.0.2.1"), Optional.empty()), Optional.empty(), List.of(), Optional.empty(),
      Optional.empty(), List.of(new nimbus.compute.ServerVolume("vol-1", "att-1", "/dev/vdb", Optional.empty())));

  private static JsonNode render(String version) {
    return Json.MAPPER.valueToTree(ServerJson.detail(LOCKED_BY_ADMIN, List.of("default"), "nova", "http://x/compute", true,
        Microversion.of(version)));
  }

  /** Nova lists a port's floating IP after the fixed address it translates to, with the port's MAC. */
  @Test
  void aFloatingIpFollowsItsFixedAddress() {
    JsonNode server = ServerJson.full(LOCKED_BY_ADMIN, List.of(), "nova", "http://x/compute", true,
        Microversion.of("2.1"), Optional.empty(), Map.of("port-1", List.of(new ServerJson.Floating("10.0.0.5", "203.0.113.7"))));
    JsonNode addresses = server.path("addresses").path("private");
    assertEquals(2, addresses.size(), server.toString());
    assertEquals("fixed", addresses.get(0).path("OS-EXT-IPS:type").asText());
    assertEquals("203.0.113.7", addresses.get(1).path("addr").asText());
    assertEquals("floating", addresses.get(1).path("OS-EXT-IPS:type").asText());
    assertEquals("fa:16:3e:00:00:01", addresses.get(1).path("OS-EXT-IPS-MAC:mac_addr").asText());
    assertEquals(4, addresses.get(1).path("version").asInt());
    JsonNode without = ServerJson.full(LOCKED_BY_ADMIN, List.of(), "nova", "http://x/compute", true,
        Microversion.of("2.1"), Optional.empty(), Map.of("another-port", List.of(new ServerJson.Floating("10.0.0.5", "203.0.113.7"))));
    assertEquals(1, without.path("addresses").path("private").size(), without.toString());
  }

  @Test
  void version21ShowsNoLock() {
    JsonNode server = render("2.1");
    assertFalse(server.has("locked"), server.toString());
    assertFalse(server.has("locked_by"), server.toString());
    assertEquals("ACTIVE", server.path("status").asText());
  }

  @Test
  void attachedVolumesAreListedWithDeleteOnTerminationFrom23() {
    JsonNode v21 = render("2.1").path("os-extended-volumes:volumes_attached");
    assertEquals("[{\"id\":\"vol-1\"}]", v21.toString());
    JsonNode v23 = render("2.3").path("os-extended-volumes:volumes_attached").get(0);
    assertEquals("vol-1", v23.path("id").asText());
    assertFalse(v23.path("delete_on_termination").asBoolean(true), v23.toString());
  }

  @Test
  void version29ShowsWhetherLockedButNotByWhom() {
    JsonNode server = render("2.9");
    assertTrue(server.path("locked").asBoolean(), server.toString());
    assertFalse(server.has("locked_by"), server.toString());
    assertTrue(render("2.10").path("locked").isBoolean(), "2.10 is after 2.9, not before it");
  }

  /** tempest's update and rebuild schemas (2.1) allow none of the extensions' fields. */
  @Test
  void updatesAndRebuildsAnswerTheBasicView() {
    JsonNode updated = Json.MAPPER.valueToTree(ServerJson.basic(LOCKED_BY_ADMIN, "http://x/compute", true,
        Optional.empty()));
    for (String field : List.of("id", "name", "status", "image", "flavor", "user_id", "tenant_id", "created",
        "updated", "metadata", "links", "addresses", "hostId")) {
      assertTrue(updated.has(field), field + " in " + updated);
    }
    assertFalse(updated.has("OS-EXT-STS:vm_state"), updated.toString());
    assertFalse(updated.has("OS-EXT-SRV-ATTR:host"), "not even for an admin: " + updated);
    assertFalse(updated.has("adminPass"), updated.toString());
    JsonNode rebuilt = Json.MAPPER.valueToTree(ServerJson.basic(LOCKED_BY_ADMIN, "http://x/compute", false,
        Optional.of("pw")));
    assertEquals("pw", rebuilt.path("adminPass").asText());
    // Nova's basic view lists each address by version and address only (2.75 extends it)
    assertEquals("[{\"version\":4,\"addr\":\"10.0.0.5\"}]", rebuilt.path("addresses").path("private").toString());
    assertEquals("192.0.2.1", rebuilt.path("accessIPv4").asText());
  }

  @Test
  void theDetailShowsAccessAddressesAsGivenAndEmptyWhereNone() {
    JsonNode server = render("2.1");
    assertEquals("192.0.2.1", server.path("accessIPv4").asText());
    assertEquals("", server.path("accessIPv6").asText());
    JsonNode address = server.path("addresses").path("private").path(0);
    assertEquals("fixed", address.path("OS-EXT-IPS:type").asText(), server.toString());
    assertEquals("fa:16:3e:00:00:01", address.path("OS-EXT-IPS-MAC:mac_addr").asText());
  }

  /** tempest's test_update_server_name: a stopped server's view has no {@code progress}, as Nova's. */
  @Test
  void progressIsShownOnlyWhereSomethingMayBeUnderWay() {
    assertEquals(100, render("2.1").path("progress").asInt());
    ServerView stopped = new ServerView(LOCKED_BY_ADMIN.id(), "s", "p", "u", "SHUTOFF", "stopped", Optional.empty(), 4,
        Optional.of("host-1"), LOCKED_BY_ADMIN.flavor(), "image", Map.of(), Instant.EPOCH, Instant.EPOCH,
        Optional.of(Instant.EPOCH), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of(), false,
        AccessAddresses.NONE);
    JsonNode server = Json.MAPPER.valueToTree(ServerJson.detail(stopped, List.of(), "nova", "http://x/compute", false,
        Microversion.of("2.1")));
    assertFalse(server.has("progress"), server.toString());
    assertFalse(Json.MAPPER.valueToTree(ServerJson.basic(stopped, "http://x/compute", false, Optional.empty()))
        .has("progress"));
  }
}
