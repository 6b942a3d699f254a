package nimbus.edge.identity;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.edge.Json;
import nimbus.edge.identity.IdentityEntity.Directory;
import nimbus.edge.identity.IdentityEntity.Domain;
import nimbus.edge.identity.IdentityEntity.Project;
import nimbus.edge.identity.IdentityEntity.Role;
import nimbus.edge.identity.IdentityEntity.User;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Keystone v3's JSON: resources, tokens, the service catalog and the error body, as records
 * Jackson writes (field names as Keystone spells them).
 */
final class KeystoneJson {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Map<Integer, String> TITLES = Map.of(400, "Bad Request", 401, "Unauthorized",
      403, "Forbidden", 404, "Not Found", 405, "Method Not Allowed", 409, "Conflict",
      413, "Request Entity Too Large", 500, "Internal Server Error", 503, "Service Unavailable");

  private KeystoneJson() {}

  /** Keystone's error body. */
  record Error(int code, String message, String title) {}

  record SelfLink(String self) {}

  /** A list's links: Keystone pages nothing, so previous and next are always null. */
  record ListLinks(String self, String previous, String next) {}

  record DomainView(String id, String name, String description, boolean enabled, List<String> tags,
      Map<String, Object> options, SelfLink links) {}

  record ProjectView(String id, String name, @JsonProperty("domain_id") String domainId, String description,
      boolean enabled, @JsonProperty("is_domain") boolean isDomain, @JsonProperty("parent_id") String parentId,
      List<String> tags, Map<String, Object> options, SelfLink links) {}

  record UserView(String id, String name, @JsonProperty("domain_id") String domainId, boolean enabled,
      String description,
      @JsonProperty("default_project_id") @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> defaultProjectId,
      @JsonProperty("password_expires_at") String passwordExpiresAt, Map<String, Object> options, SelfLink links) {}

  record RoleView(String id, String name, @JsonProperty("domain_id") String domainId, String description,
      Map<String, Object> options, SelfLink links) {}

  /** A reference to a resource in a token or an assignment: id, and the name (and domain) where shown. */
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Ref(String id, Optional<String> name, Optional<Ref> domain) {
    static Ref of(String id, String name) {
      return new Ref(id, Optional.of(name), Optional.empty());
    }
  }

  record TokenUser(String id, String name, @JsonInclude(JsonInclude.Include.NON_NULL) Ref domain,
      @JsonProperty("password_expires_at") String passwordExpiresAt) {}

  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record TokenView(List<String> methods, TokenUser user, @JsonProperty("audit_ids") List<String> auditIds,
      @JsonProperty("expires_at") String expiresAt, @JsonProperty("issued_at") String issuedAt,
      Optional<Ref> project, @JsonProperty("is_domain") Optional<Boolean> isDomain, Optional<List<Ref>> roles,
      Optional<List<Service>> catalog) {}

  record Endpoint(String id, @JsonProperty("interface") String iface, @JsonProperty("region_id") String regionId,
      String region, String url) {}

  record Service(String id, String type, String name, List<Endpoint> endpoints) {}

  /** A service of the catalog (Keystone leaves out a name it was not given). */
  record ServiceView(String id, String type, @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> name,
      String description, boolean enabled, SelfLink links) {}

  /** An endpoint; {@code region} is Keystone's older name of {@code region_id}, which it still answers. */
  record EndpointView(String id, @JsonProperty("interface") String iface, @JsonProperty("service_id") String serviceId,
      String url, @JsonProperty("region_id") String regionId, String region, boolean enabled, SelfLink links) {}

  record RegionView(String id, String description, @JsonProperty("parent_region_id") String parentRegionId,
      SelfLink links) {}

  /** One role assignment of a user on a project. */
  record Assignment(Ref role, Ref user, Map<String, Ref> scope, Map<String, String> links) {}

  static HttpResponse error(int status, String message) {
    return Json.response(status, Map.of("error", new Error(status, message, TITLES.getOrDefault(status, "Error"))));
  }

  static String time(Instant t) {
    return TIME.format(t);
  }

  static DomainView domain(Domain d, String base) {
    return new DomainView(d.id(), d.name(), d.description(), d.enabled(), List.of(), Map.of(),
        new SelfLink(base + "/domains/" + d.id()));
  }

  static ProjectView project(Project p, String base) {
    return new ProjectView(p.id(), p.name(), p.domainId(), p.description(), p.enabled(), false, p.domainId(),
        List.of(), Map.of(), new SelfLink(base + "/projects/" + p.id()));
  }

  static UserView user(User u, String base) {
    Map<String, Object> options = u.ignoreLockout() ? Map.of("ignore_lockout_failure_attempts", true) : Map.of();
    return new UserView(u.id(), u.name(), u.domainId(), u.enabled(), u.description(), u.defaultProjectId(), null,
        options, new SelfLink(base + "/users/" + u.id()));
  }

  record GroupView(String id, String name, @JsonProperty("domain_id") String domainId, String description,
      SelfLink links) {}

  static GroupView group(IdentityEntity.Group g, String base) {
    return new GroupView(g.id(), g.name(), g.domainId(), g.description(), new SelfLink(base + "/groups/" + g.id()));
  }

  static RoleView role(Role r, String base) {
    return new RoleView(r.id(), r.name(), null, null, Map.of(), new SelfLink(base + "/roles/" + r.id()));
  }

  /** A list body: {@code {key: items, "links": {...}}}. */
  static Map<String, Object> list(String key, List<?> items, String self) {
    return Map.of(key, items, "links", new ListLinks(self, null, null));
  }

  /** The token body Keystone answers a POST (and a validation) with. */
  static Map<String, TokenView> token(Token t, Directory d, String apiBase) {
    User u = d.users().get(t.userId());
    TokenUser user = new TokenUser(t.userId(), u == null ? "" : u.name(),
        u == null ? null : domainRef(d, u.domainId()), null);
    Optional<Ref> project = t.projectId().map(pid -> {
      Project p = d.projects().get(pid);
      return new Ref(pid, Optional.of(p == null ? "" : p.name()),
          Optional.ofNullable(p).map(known -> domainRef(d, known.domainId())));
    });
    List<Ref> roles = new ArrayList<>();
    for (String name : t.roles()) d.roleByName(name).ifPresent(r -> roles.add(Ref.of(r.id(), r.name())));
    return Map.of("token", new TokenView(t.methods(), user, List.of(t.auditId()), time(t.expiresAt()),
        time(t.issuedAt()), project, project.map(p -> false), project.map(p -> List.copyOf(roles)),
        t.projectId().map(pid -> catalog(d.catalog(), apiBase, pid))));
  }

  static Ref domainRef(Directory d, String domainId) {
    Domain dom = d.domains().get(domainId);
    return Ref.of(domainId, dom == null ? "" : dom.name());
  }

  /** A project's catalog: the enabled services and endpoints, their URLs resolved for the project. */
  static List<Service> catalog(ServiceCatalog c, String apiBase, String projectId) {
    return c.enabled().stream().map(entry -> {
      ServiceCatalog.Service s = entry.getKey();
      List<Endpoint> endpoints = entry.getValue().stream().map(e -> new Endpoint(e.id(), e.iface(),
          e.regionId().orElse(null), e.regionId().orElse(null),
          ServiceCatalog.url(e.url(), apiBase, Optional.of(projectId)))).toList();
      return new Service(s.id(), s.type(), s.name().orElse(""), endpoints);
    }).toList();
  }

  static ServiceView service(ServiceCatalog.Service s, String base) {
    return new ServiceView(s.id(), s.type(), s.name(), s.description(), s.enabled(),
        new SelfLink(base + "/services/" + s.id()));
  }

  /** An endpoint as stored: a relative URL under the API's base, substitutions left for the catalog. */
  static EndpointView endpoint(ServiceCatalog.Endpoint e, String apiBase, String base) {
    String region = e.regionId().orElse(null);
    return new EndpointView(e.id(), e.iface(), e.serviceId(), ServiceCatalog.url(e.url(), apiBase, Optional.empty()),
        region, region, e.enabled(), new SelfLink(base + "/endpoints/" + e.id()));
  }

  static RegionView region(ServiceCatalog.Region r, String base) {
    return new RegionView(r.id(), r.description(), r.parentRegionId().orElse(null),
        new SelfLink(base + "/regions/" + r.id()));
  }
}
