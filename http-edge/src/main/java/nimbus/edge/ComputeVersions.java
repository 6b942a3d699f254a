package nimbus.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Nova's version documents: the API is v2.1, microversions 2.1 to 2.1 for now. */
final class ComputeVersions {
  static final String MIN = "2.1";
  static final String MAX = "2.1";

  private ComputeVersions() {}

  static ObjectNode all(String baseUrl) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putArray("versions").add(version(baseUrl));
    return body;
  }

  static ObjectNode current(String baseUrl) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("version", version(baseUrl));
    return body;
  }

  private static ObjectNode version(String baseUrl) {
    ObjectNode v = Json.MAPPER.createObjectNode();
    v.put("id", "v2.1");
    v.put("status", "CURRENT");
    v.put("version", MAX);
    v.put("min_version", MIN);
    v.put("updated", "2013-07-23T11:33:21Z");
    v.putArray("links").addObject().put("rel", "self").put("href", baseUrl + "/v2.1/");
    v.putArray("media-types").addObject().put("base", "application/json")
        .put("type", "application/vnd.openstack.compute+json;version=2.1");
    return v;
  }
}
