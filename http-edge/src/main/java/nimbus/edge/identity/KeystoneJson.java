package nimbus.edge.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import nimbus.edge.Json;
import nimbus.edge.identity.IdentityEntity.Directory;
import nimbus.edge.identity.IdentityEntity.Domain;
import nimbus.edge.identity.IdentityEntity.Project;
import nimbus.edge.identity.IdentityEntity.Role;
import nimbus.edge.identity.IdentityEntity.User;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Keystone v3's JSON: resources, tokens, the service catalog and the error body. */
final class KeystoneJson {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Map<Integer, String> TITLES = Map.of(400, "Bad Request", 401, "Unauthorized",
      403, "Forbidden", 404, "Not Found", 405, "Method Not Allowed", 409, "Conflict",
      413, "Request Entity Too Large", 500, "Internal Server Error", 503, "Service Unavailable");

  /** The catalog: service type, name and the path under the API's base URL. */
  private static final String[][] SERVICES = {
      {"identity", "keystone", "/identity/v3"},
      {"compute", "nova", "/compute/v2.1"},
      {"network", "neutron", "/network"},
      {"volumev3", "cinderv3", "/volume/v3/%s"},
      {"image", "glance", "/image"}};

  private KeystoneJson() {}

  static HttpResponse error(int status, String message) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putObject("error").put("code", status).put("message", message)
        .put("title", TITLES.getOrDefault(status, "Error"));
    return Json.response(status, body);
  }

  static String time(Instant t) {
    return TIME.format(t);
  }

  static ObjectNode domain(Domain d, String base) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", d.id()).put("name", d.name()).put("description", d.description()).put("enabled", d.enabled());
    o.putArray("tags");
    o.putObject("options");
    o.putObject("links").put("self", base + "/domains/" + d.id());
    return o;
  }

  static ObjectNode project(Project p, String base) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", p.id()).put("name", p.name()).put("domain_id", p.domainId())
        .put("description", p.description()).put("enabled", p.enabled()).put("is_domain", false)
        .put("parent_id", p.domainId());
    o.putArray("tags");
    o.putObject("options");
    o.putObject("links").put("self", base + "/projects/" + p.id());
    return o;
  }

  static ObjectNode user(User u, String base) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", u.id()).put("name", u.name()).put("domain_id", u.domainId()).put("enabled", u.enabled())
        .put("description", u.description());
    u.defaultProjectId().ifPresent(p -> o.put("default_project_id", p));
    o.putNull("password_expires_at");
    ObjectNode options = o.putObject("options");
    if (u.ignoreLockout()) options.put("ignore_lockout_failure_attempts", true);
    o.putObject("links").put("self", base + "/users/" + u.id());
    return o;
  }

  static ObjectNode role(Role r, String base) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", r.id()).put("name", r.name()).putNull("domain_id").putNull("description");
    o.putObject("options");
    o.putObject("links").put("self", base + "/roles/" + r.id());
    return o;
  }

  static ObjectNode list(String key, ArrayNode items, String self) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set(key, items);
    body.putObject("links").put("self", self).putNull("previous").putNull("next");
    return body;
  }

  /** The token body Keystone answers a POST (and a validation) with. */
  static ObjectNode token(Token t, Directory d, String apiBase) {
    ObjectNode token = Json.MAPPER.createObjectNode();
    ArrayNode methods = token.putArray("methods");
    t.methods().forEach(methods::add);
    User u = d.users().get(t.userId());
    ObjectNode user = token.putObject("user");
    user.put("id", t.userId()).put("name", u == null ? "" : u.name()).putNull("password_expires_at");
    if (u != null) domainRef(user, d, u.domainId());
    token.putArray("audit_ids").add(t.auditId());
    token.put("expires_at", time(t.expiresAt()));
    token.put("issued_at", time(t.issuedAt()));
    t.projectId().ifPresent(pid -> {
      Project p = d.projects().get(pid);
      ObjectNode project = token.putObject("project");
      project.put("id", pid).put("name", p == null ? "" : p.name());
      if (p != null) domainRef(project, d, p.domainId());
      token.put("is_domain", false);
      ArrayNode roles = token.putArray("roles");
      for (String name : t.roles()) {
        d.roleByName(name).ifPresent(r -> roles.addObject().put("id", r.id()).put("name", r.name()));
      }
      token.set("catalog", catalog(apiBase, pid));
    });
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("token", token);
    return body;
  }

  private static void domainRef(ObjectNode parent, Directory d, String domainId) {
    Domain dom = d.domains().get(domainId);
    parent.putObject("domain").put("id", domainId).put("name", dom == null ? "" : dom.name());
  }

  static ArrayNode catalog(String apiBase, String projectId) {
    ArrayNode catalog = Json.MAPPER.createArrayNode();
    for (String[] s : SERVICES) {
      ObjectNode service = catalog.addObject();
      service.put("id", s[1]);
      service.put("type", s[0]).put("name", s[1]);
      ArrayNode endpoints = service.putArray("endpoints");
      String url = apiBase + String.format(s[2], projectId);
      for (String iface : new String[] {"public", "internal", "admin"}) {
        endpoints.addObject().put("id", s[1] + "-" + iface).put("interface", iface)
            .put("region_id", "RegionOne").put("region", "RegionOne").put("url", url);
      }
    }
    return catalog;
  }
}
