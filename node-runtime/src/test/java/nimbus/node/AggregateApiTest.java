package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Nova's host aggregates over real HTTP on an all-in-one node: the admin's, kept with the hosts' own zones. */
class AggregateApiTest {
  private static final String AGGREGATES = "/compute/v2.1/os-aggregates";
  private static Node node;
  private static Api api;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    api = a;
  });

  private static JsonNode create(String body) {
    Api.Reply created = api.post(AGGREGATES, body);
    assertEquals(200, created.status(), created.raw());
    return created.body().path("aggregate");
  }

  private static Api.Reply action(int id, String body) {
    return api.post(AGGREGATES + "/" + id + "/action", body);
  }

  @Test
  void anAggregateIsCreatedRenamedGivenMetadataAndDeletedAsNovasAre() {
    JsonNode created = create("{\"aggregate\": {\"name\": \"rack-1\"}}");
    int id = created.path("id").asInt();
    assertTrue(created.path("availability_zone").isNull(), created.toString());
    assertFalse(created.has("hosts") || created.has("metadata"), "a create answers neither hosts nor metadata");
    assertTrue(created.path("updated_at").isNull());
    assertEquals(409, api.post(AGGREGATES, "{\"aggregate\": {\"name\": \"rack-1\"}}").status(), "names are unique");

    Api.Reply set = action(id, "{\"set_metadata\": {\"metadata\": {\"ssd\": \"true\", \"gpu\": \"no\"}}}");
    assertEquals(200, set.status(), set.raw());
    Api.Reply unset = action(id, "{\"set_metadata\": {\"metadata\": {\"gpu\": null}}}");
    JsonNode metadata = unset.body().path("aggregate").path("metadata");
    assertEquals("true", metadata.path("ssd").asText(), metadata.toString());
    assertFalse(metadata.has("gpu"), "a null value removes its key");

    Api.Reply renamed = api.send("PUT", AGGREGATES + "/" + id, "{\"aggregate\": {\"name\": \" rack-one \"}}");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals("rack-one", renamed.body().path("aggregate").path("name").asText());
    assertFalse(renamed.body().path("aggregate").path("updated_at").isNull());
    JsonNode listed = api.get(AGGREGATES).body().path("aggregates");
    assertTrue(listed.findValuesAsText("name").contains("rack-one"), listed.toString());

    assertEquals(200, api.delete(AGGREGATES + "/" + id).status());
    assertEquals(404, api.get(AGGREGATES + "/" + id).status());
    assertEquals(400, api.get(AGGREGATES + "/rack").status(), "an id is a number");
  }

  @Test
  void requestsNovaRefusesAreRefused() {
    assertEquals(400, api.post(AGGREGATES, "{\"aggregate\": {\"name\": \"\"}}").status());
    assertEquals(400, api.post(AGGREGATES, "{\"aggregate\": {\"name\": \"" + "a".repeat(256) + "\"}}").status());
    assertEquals(400, api.post(AGGREGATES, "{\"aggregate\": {\"name\": \"z\", \"availability_zone\": \"a:b\"}}").status());
    assertEquals(400, api.post(AGGREGATES, "{\"aggregate\": {\"name\": \"z\", \"extra\": 1}}").status());
    int id = create("{\"aggregate\": {\"name\": \"checked\"}}").path("id").asInt();
    assertEquals(400, api.send("PUT", AGGREGATES + "/" + id, "{\"aggregate\": {}}").status());
    assertEquals(400, action(id, "{\"evacuate\": {}}").status());
    assertEquals(400, action(id, "{\"add_host\": {\"host\": \"no spaces\"}}").status());
    assertEquals(404, action(id + 1000, "{\"set_metadata\": {\"metadata\": {}}}").status());
  }

  @Test
  void hostsJoinOnlyAggregatesOfTheZoneTheyReport() {
    String host = node.settings().host().name();
    int plain = create("{\"aggregate\": {\"name\": \"plain\"}}").path("id").asInt();
    Api.Reply added = action(plain, "{\"add_host\": {\"host\": \"" + host + "\"}}");
    assertEquals(200, added.status(), added.raw());
    assertEquals(host, added.body().path("aggregate").path("hosts").get(0).asText());
    assertEquals(409, action(plain, "{\"add_host\": {\"host\": \"" + host + "\"}}").status(), "already there");
    assertEquals(404, action(plain, "{\"add_host\": {\"host\": \"no-such-host\"}}").status());
    assertEquals(400, api.delete(AGGREGATES + "/" + plain).status(), "an aggregate with hosts is not deleted");

    int elsewhere = create("{\"aggregate\": {\"name\": \"elsewhere\", \"availability_zone\": \"far\"}}").path("id").asInt();
    assertEquals(409, action(elsewhere, "{\"add_host\": {\"host\": \"" + host + "\"}}").status(),
        "the host reports zone nova");
    int zoned = create("{\"aggregate\": {\"name\": \"zoned\", \"availability_zone\": \"nova\"}}").path("id").asInt();
    Api.Reply inZone = action(zoned, "{\"add_host\": {\"host\": \"" + host + "\"}}");
    assertEquals(200, inZone.status(), inZone.raw());
    assertEquals("nova", inZone.body().path("aggregate").path("metadata").path("availability_zone").asText());
    assertEquals(400, api.send("PUT", AGGREGATES + "/" + zoned, "{\"aggregate\": {\"availability_zone\": \"far\"}}")
        .status(), "its host cannot move to another zone");
    assertEquals(400, action(plain, "{\"set_metadata\": {\"metadata\": {\"availability_zone\": \"far\"}}}").status());

    Api.Reply removed = action(plain, "{\"remove_host\": {\"host\": \"" + host + "\"}}");
    assertEquals(200, removed.status(), removed.raw());
    assertTrue(removed.body().path("aggregate").path("hosts").isEmpty());
    assertEquals(404, action(plain, "{\"remove_host\": {\"host\": \"" + host + "\"}}").status(), "not a member now");
  }

  @Test
  void aMemberCanNeitherReadNorChangeAggregates() {
    int id = create("{\"aggregate\": {\"name\": \"guarded\"}}").path("id").asInt();
    api.createUserInProject("agg-member", "agg-member-pw-1", "agg-project", "member");
    Api member = api.as("agg-member", "agg-member-pw-1", "agg-project");
    assertEquals(403, member.get(AGGREGATES).status());
    assertEquals(403, member.get(AGGREGATES + "/" + id).status());
    assertEquals(403, member.post(AGGREGATES, "{\"aggregate\": {\"name\": \"mine\"}}").status());
    assertEquals(403, member.post(AGGREGATES + "/" + id + "/action",
        "{\"add_host\": {\"host\": \"" + node.settings().host().name() + "\"}}").status());
    assertEquals(403, member.delete(AGGREGATES + "/" + id).status());
    assertTrue(api.get(AGGREGATES + "/" + id).body().path("aggregate").path("hosts").isEmpty());
  }
}
