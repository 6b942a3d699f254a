package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.junit.jupiter.api.Test;

/** Neutron's networks: a project's own, shared and external ones; provider attributes for admins. */
class NetworkRoutesTest extends ApiRouteTest {
  static final String NETWORKS = "/network/v2.0/networks";

  /** Neutron's error body; answers its type and message. */
  static String[] neutronError(TestRouteResult result, int status) {
    JsonNode error = json(result, status).path("NeutronError");
    assertEquals("", error.path("detail").asText(), result.entityString());
    return new String[] {error.path("type").asText(), error.path("message").asText()};
  }

  String create(String token, String body) {
    return json(api.run(post(NETWORKS, token, body)), 201).path("network").path("id").asText();
  }

  @Test
  void aMemberMakesANetworkAsNeutronShowsIt() {
    JsonNode made = json(api.run(post(NETWORKS, member, "{\"network\": {\"name\": \"net1\"}}")), 201).path("network");
    assertEquals("net1", made.path("name").asText());
    assertEquals("ACTIVE", made.path("status").asText());
    assertEquals(project, made.path("project_id").asText());
    assertEquals(project, made.path("tenant_id").asText());
    assertEquals(1450, made.path("mtu").asInt(), "VXLAN on a 1500 underlay");
    assertTrue(made.path("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), made.toString());
    assertTrue(made.path("ipv4_address_scope").isNull());
    assertTrue(made.path("port_security_enabled").asBoolean());
    assertFalse(made.path("router:external").asBoolean());
    assertTrue(made.path("subnets").isArray() && made.path("tags").isArray());
    assertFalse(made.has("provider:network_type"), "provider attributes are the admin's");
    String id = made.path("id").asText();
    JsonNode shown = json(api.run(get(NETWORKS + "/" + id, reader)), 200).path("network");
    assertEquals(made, shown, "show is what create answered");
    JsonNode byAdmin = json(api.run(get(NETWORKS + "/" + id, admin)), 200).path("network");
    assertEquals("vxlan", byAdmin.path("provider:network_type").asText());
    assertTrue(byAdmin.path("provider:physical_network").isNull());
    assertTrue(byAdmin.path("provider:segmentation_id").asInt() >= 1, byAdmin.toString());

    JsonNode renamed = json(api.run(put(NETWORKS + "/" + id, member, "{\"network\": {\"name\": \"net2\"}}")), 200);
    assertEquals("net2", renamed.path("network").path("name").asText());
    assertTrue(renamed.path("network").path("revision_number").asInt() > made.path("revision_number").asInt());
    assertEquals(204, api.run(delete(NETWORKS + "/" + id, member)).statusCode());
    assertEquals("NetworkNotFound", neutronError(api.run(get(NETWORKS + "/" + id, member)), 404)[0]);
  }

  @Test
  void anotherProjectNeitherSeesNorTouchesIt() {
    String id = create(member, "{\"network\": {\"name\": \"private\"}}");
    String[] error = neutronError(api.run(get(NETWORKS + "/" + id, stranger)), 404);
    assertEquals("NetworkNotFound", error[0]);
    assertEquals("Network " + id + " could not be found.", error[1]);
    neutronError(api.run(put(NETWORKS + "/" + id, stranger, "{\"network\": {\"name\": \"x\"}}")), 404);
    neutronError(api.run(delete(NETWORKS + "/" + id, stranger)), 404);
    assertFalse(ids(get(NETWORKS, stranger)).contains(id));
    assertTrue(ids(get(NETWORKS, member)).contains(id));
    assertTrue(ids(get(NETWORKS, admin)).contains(id), "admins list every project's");
    // a reader sees it but may not change it: 403, as the network is no secret to it
    assertEquals("PolicyNotAuthorized", neutronError(api.run(put(NETWORKS + "/" + id, reader,
        "{\"network\": {\"name\": \"x\"}}")), 403)[0]);
  }

  @Test
  void sharedAndProviderAttributesAreTheAdminsToSet() {
    String[] error = neutronError(api.run(post(NETWORKS, member,
        "{\"network\": {\"name\": \"p\", \"provider:network_type\": \"vlan\"}}")), 403);
    assertEquals("PolicyNotAuthorized", error[0]);
    assertEquals("(rule:create_network and rule:create_network:provider:network_type) is disallowed by policy", error[1]);
    assertEquals("(rule:create_network and rule:create_network:shared) is disallowed by policy",
        neutronError(api.run(post(NETWORKS, member, "{\"network\": {\"shared\": true}}")), 403)[1]);

    String shared = create(admin, "{\"network\": {\"name\": \"public-ish\", \"shared\": true, "
        + "\"provider:network_type\": \"local\"}}");
    JsonNode seen = json(api.run(get(NETWORKS + "/" + shared, stranger)), 200).path("network");
    assertTrue(seen.path("shared").asBoolean());
    assertEquals(1500, seen.path("mtu").asInt(), "a local network has the underlay's MTU");
    assertTrue(ids(get(NETWORKS + "?shared=True", stranger)).contains(shared));
    assertEquals("PolicyNotAuthorized", neutronError(api.run(delete(NETWORKS + "/" + shared, stranger)), 403)[0]);
    assertEquals("InvalidInput", neutronError(api.run(post(NETWORKS, admin,
        "{\"network\": {\"provider:network_type\": \"flat\"}}")), 400)[0]);
    assertEquals(204, api.run(delete(NETWORKS + "/" + shared, admin)).statusCode());
  }

  @Test
  void badBodiesAreNeutronsBadRequests() {
    assertEquals("Unrecognized attribute(s) 'colour'",
        neutronError(api.run(post(NETWORKS, member, "{\"network\": {\"colour\": \"red\"}}")), 400)[1]);
    assertEquals("Attribute 'status' not allowed in POST",
        neutronError(api.run(post(NETWORKS, member, "{\"network\": {\"status\": \"DOWN\"}}")), 400)[1]);
    assertEquals("Unable to find 'network' in request body", neutronError(api.run(post(NETWORKS, member, "{}")), 400)[1]);
    String[] error = neutronError(api.run(post(NETWORKS, member, "{\"network\": {\"name\": 5}}")), 400);
    assertEquals("HTTPBadRequest", error[0]);
    assertTrue(error[1].startsWith("Invalid input for name."), error[1]);
    String id = create(member, "{\"network\": {}}");
    assertEquals("Cannot update read-only attribute id",
        neutronError(api.run(put(NETWORKS + "/" + id, member, "{\"network\": {\"id\": \"x\"}}")), 400)[1]);
  }

  @Test
  void listsFilterSortAndPage() {
    String a = create(member, "{\"network\": {\"name\": \"page-a\"}}");
    String b = create(member, "{\"network\": {\"name\": \"page-b\", \"admin_state_up\": false}}");
    String c = create(member, "{\"network\": {\"name\": \"page-c\"}}");
    assertEquals(Set.of(a, c), Set.copyOf(ids(get(NETWORKS + "?id=" + a + "&id=" + c, member))));
    assertEquals(List.of(b), ids(get(NETWORKS + "?admin_state_up=False", member)), "a filter on what is no column");
    // shared networks of other tests are listed too: only this project's
    String mine = "&project_id=" + project;
    assertEquals(List.of(c, b, a), ids(get(NETWORKS + "?sort_key=name&sort_dir=desc" + mine, member)));
    JsonNode first = json(api.run(get(NETWORKS + "?sort_key=name&sort_dir=asc&limit=2" + mine, member)), 200);
    assertEquals(List.of(a, b), first.path("networks").findValuesAsText("id"));
    String next = first.path("networks_links").get(0).path("href").asText();
    assertTrue(next.contains("marker=" + b), next);
    JsonNode second = json(api.run(get(next.substring(next.indexOf("/network/")), member)), 200);
    assertEquals(List.of(c), second.path("networks").findValuesAsText("id"));
    assertEquals(List.of("previous"), second.path("networks_links").findValuesAsText("rel"), "the last page");
    JsonNode before = json(api.run(get(NETWORKS + "?sort_key=name&sort_dir=asc&limit=1&marker=" + c
        + "&page_reverse=True" + mine, member)), 200);
    assertEquals(List.of(b), before.path("networks").findValuesAsText("id"));
    JsonNode fields = json(api.run(get(NETWORKS + "?fields=id&fields=name&fields=mtu&id=" + a, member)), 200);
    assertEquals(Set.of("id", "name", "mtu"), Set.copyOf(iterate(fields.path("networks").get(0).fieldNames())));
    assertEquals("['colour'] is invalid attribute for filtering",
        neutronError(api.run(get(NETWORKS + "?colour=red", member)), 400)[1]);
    assertEquals("NetworkNotFound", neutronError(api.run(get(NETWORKS + "?limit=1&marker="
        + java.util.UUID.randomUUID(), member)), 404)[0]);
  }

  @Test
  void tagsAreSetAndFilterLists() {
    String id = create(member, "{\"network\": {\"name\": \"tagged\"}}");
    assertEquals(201, api.run(put(NETWORKS + "/" + id + "/tags/red", member, "")).statusCode());
    json(api.run(put(NETWORKS + "/" + id + "/tags", member, "{\"tags\": [\"red\", \"blue\"]}")), 200);
    assertEquals(List.of(id), ids(get(NETWORKS + "?tags=red,blue&name=tagged", member)));
    assertEquals(List.of(), ids(get(NETWORKS + "?not-tags-any=blue&name=tagged", member)));
    assertEquals(204, api.run(get(NETWORKS + "/" + id + "/tags/blue", member)).statusCode());
    assertEquals(204, api.run(delete(NETWORKS + "/" + id + "/tags/blue", member)).statusCode());
    assertEquals("TagNotFound", neutronError(api.run(get(NETWORKS + "/" + id + "/tags/blue", member)), 404)[0]);
  }

  @Test
  void versionsAndExtensionsAreListed() {
    JsonNode versions = json(api.run(org.apache.pekko.http.javadsl.model.HttpRequest.GET("/network/")), 200);
    assertEquals("v2.0", versions.path("versions").get(0).path("id").asText());
    JsonNode extensions = json(api.run(get("/network/v2.0/extensions", member)), 200).path("extensions");
    assertTrue(extensions.findValuesAsText("alias").containsAll(List.of("provider", "external-net", "quotas")));
    JsonNode one = json(api.run(get("/network/v2.0/extensions/provider", member)), 200).path("extension");
    assertEquals("Provider Network", one.path("name").asText());
    assertEquals("HTTPNotFound", neutronError(api.run(get("/network/v2.0/extensions/trunk", member)), 404)[0]);
    assertEquals("HTTPNotFound", neutronError(api.run(get("/network/v2.0/trunks", member)), 404)[0]);
  }

  List<String> ids(org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return json(api.run(request), 200).path("networks").findValuesAsText("id");
  }

  static <T> List<T> iterate(java.util.Iterator<T> it) {
    List<T> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
