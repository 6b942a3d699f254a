package nimbus.edge.identity;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Stream;
import nimbus.edge.ApiError;
import nimbus.edge.Json;
import nimbus.edge.Policy;
import nimbus.edge.RequestSchema;
import nimbus.edge.VersionDoc;
import nimbus.edge.ServiceRoutes;
import nimbus.edge.identity.IdentityEntity.Assignment;
import nimbus.edge.identity.IdentityEntity.Directory;
import nimbus.edge.identity.IdentityEntity.Domain;
import nimbus.edge.identity.IdentityEntity.Group;
import nimbus.edge.identity.IdentityEntity.Project;
import nimbus.edge.identity.IdentityEntity.Role;
import nimbus.edge.identity.IdentityEntity.User;
import nimbus.edge.identity.IdentityEntity.ProjectRef;
import nimbus.edge.identity.IdentityEntity.UserRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Keystone's v3 API under {@code /identity}: version discovery, tokens (issue, validate, revoke)
 * and the identity catalog (domains, projects, users, roles, role assignments). Changes to the
 * catalog need an admin token; a user may read itself and its own projects.
 */
public final class IdentityRoutes extends ServiceRoutes {
  private static final RequestSchema TOKEN_ISSUE = RequestSchema.named("identity-auth-tokens");
  private static final RequestSchema DOMAIN_CREATE = RequestSchema.named("identity-domain-create");
  private static final RequestSchema DOMAIN_UPDATE = RequestSchema.named("identity-domain-update");
  private static final RequestSchema PROJECT_CREATE = RequestSchema.named("identity-project-create");
  private static final RequestSchema PROJECT_UPDATE = RequestSchema.named("identity-project-update");
  private static final RequestSchema USER_CREATE = RequestSchema.named("identity-user-create");
  private static final RequestSchema USER_UPDATE = RequestSchema.named("identity-user-update");
  private static final RequestSchema ROLE_CREATE = RequestSchema.named("identity-role-create");
  private static final RequestSchema ROLE_UPDATE = RequestSchema.named("identity-role-update");
  private static final RequestSchema GROUP_CREATE = RequestSchema.named("identity-group-create");
  private static final RequestSchema GROUP_UPDATE = RequestSchema.named("identity-group-update");
  private static final RequestSchema REGION_CREATE = RequestSchema.named("identity-region-create");
  private static final RequestSchema REGION_UPDATE = RequestSchema.named("identity-region-update");
  private static final RequestSchema SERVICE_CREATE = RequestSchema.named("identity-service-create");
  private static final RequestSchema SERVICE_UPDATE = RequestSchema.named("identity-service-update");
  private static final RequestSchema ENDPOINT_CREATE = RequestSchema.named("identity-endpoint-create");
  private static final RequestSchema ENDPOINT_UPDATE = RequestSchema.named("identity-endpoint-update");

  private final IdentityService identity;
  private final Policy policy;

  public IdentityRoutes(IdentityService identity, Policy policy) {
    super(KeystoneJson::error);
    this.identity = identity;
    this.policy = policy;
  }

  /** Keystone's error body, which keystonemiddleware also answers other services' 401s with. */
  public static HttpResponse error(int status, String message) {
    return KeystoneJson.error(status, message);
  }

  /** {@code apiBase} is the API's root URL (the catalog's endpoints hang off it). */
  public Route route(String apiBase) {
    String base = apiBase + "/identity/v3";
    return pathPrefix("identity", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> complete(Json.response(300, versions(apiBase, true))))),
        pathPrefix("v3", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200, versions(apiBase, false))))),
            pathPrefix("auth", () -> auth(apiBase, base)),
            authenticated(token -> catalogRoutes(token, base))))));
  }

  // ------------------------------------------------------------------ tokens

  private Route auth(String apiBase, String base) {
    return concat(
        path("tokens", () -> concat(
            post(() -> body(b -> respond(() -> issue(b, apiBase)))),
            authenticated(caller -> headerValueByName("X-Subject-Token", subject -> concat(
                get(() -> respond(() -> validate(caller, subject, apiBase, true))),
                head(() -> respond(() -> validate(caller, subject, apiBase, false))),
                delete(() -> respond(() -> revoke(caller, subject)))))))),
        path("catalog", () -> get(() -> authenticated(caller -> respond(() -> catalogBody(caller, apiBase))))),
        path("projects", () -> get(() -> authenticated(caller -> respond(() -> myProjects(caller, base))))));
  }

  private CompletionStage<HttpResponse> issue(String text, String apiBase) {
    JsonNode auth = TOKEN_ISSUE.validate(Json.parseObject(text)).get("auth");
    JsonNode identityNode = auth.get("identity");
    JsonNode methods = identityNode.get("methods");
    Optional<ProjectRef> scope = scopeOf(auth.path("scope"));
    String method = methods.get(0).asText();
    CompletionStage<IdentityService.Issued> issued;
    if (method.equals("password")) {
      JsonNode user = identityNode.path("password").path("user");
      // the schema checks a user that is there; the password method needs one
      if (user.isMissingNode()) throw ApiError.badRequest("Expecting to find password.user with a password in identity.");
      JsonNode domain = user.path("domain");
      issued = identity.authenticate(new UserRef(text(user, "id"), text(user, "name"), text(domain, "id"),
          text(domain, "name")), user.path("password").asText(), scope);
    } else if (method.equals("token")) {
      String existing = identityNode.path("token").path("id").asText("");
      Token token = identity.validate(existing).orElseThrow(IdentityService::unauthorized);
      issued = identity.rescope(token, scope);
    } else {
      throw new ApiError(401, "Unsupported authentication method: " + method);
    }
    return issued.thenApply(i -> Json.response(201, KeystoneJson.token(i.token(), i.directory(), apiBase))
        .addHeader(RawHeader.create("X-Subject-Token", i.text())));
  }

  private static Optional<ProjectRef> scopeOf(JsonNode scope) {
    if (scope.isMissingNode() || scope.isNull() || (scope.isTextual() && scope.asText().equals("unscoped"))) {
      return Optional.empty();
    }
    JsonNode project = scope.path("project");
    if (!project.isObject()) throw ApiError.badRequest("Only project scope is supported.");
    JsonNode domain = project.path("domain");
    return Optional.of(new ProjectRef(text(project, "id"), text(project, "name"), text(domain, "id"), text(domain, "name")));
  }

  private CompletionStage<HttpResponse> validate(Token caller, String subject, String apiBase, boolean withBody) {
    Token token = identity.validate(subject)
        .orElseThrow(() -> ApiError.notFound("Could not find token: " + fingerprint(subject) + "."));
    policy.enforce(identity.callerOf(caller), "identity:validate_token", Map.of("target.token.user_id", token.userId()));
    return identity.directory().thenApply(d -> {
      HttpResponse r = withBody ? Json.response(200, KeystoneJson.token(token, d, apiBase)) : HttpResponse.create().withStatus(200);
      return r.addHeader(RawHeader.create("X-Subject-Token", subject));
    });
  }

  private CompletionStage<HttpResponse> revoke(Token caller, String subject) {
    Token token = identity.validate(subject)
        .orElseThrow(() -> ApiError.notFound("Could not find token: " + fingerprint(subject) + "."));
    policy.enforce(identity.callerOf(caller), "identity:revoke_token", Map.of("target.token.user_id", token.userId()));
    return identity.revoke(token).thenApply(done -> HttpResponse.create().withStatus(204));
  }

  /** A token is never echoed: errors name only a short digest of it. */
  private static String fingerprint(String token) {
    return Integer.toHexString(token.hashCode());
  }

  private CompletionStage<HttpResponse> catalogBody(Token caller, String apiBase) {
    return identity.directory().thenApply(d -> Json.response(200, Map.of(
        "catalog", caller.projectId().map(p -> KeystoneJson.catalog(d.catalog(), apiBase, p)).orElse(List.of()),
        "links", new KeystoneJson.SelfLink(apiBase + "/identity/v3/auth/catalog"))));
  }

  private CompletionStage<HttpResponse> myProjects(Token caller, String base) {
    return identity.directory().thenApply(d -> {
      return listOf("projects", d.projects().values().stream().filter(p -> !d.rolesOn(caller.userId(), p.id()).isEmpty())
          .sorted(Comparator.comparing(Project::name)).map(p -> KeystoneJson.project(p, base)), base + "/auth/projects");
    });
  }

  // ------------------------------------------------------------------ the catalog of identities

  private Route catalogRoutes(Token caller, String base) {
    return concat(
        resource("domains", caller, base, this::listDomains, this::showDomain, this::createDomain, this::updateDomain,
            id -> r -> new IdentityEntity.DeleteDomain(id, r)),
        pathPrefix("projects", () -> concat(
            pathPrefix(PathMatchers.segment().slash("users").slash(PathMatchers.segment()).slash("roles"),
                (project, user) -> grants(caller, project, user, base)),
            resourceRoutes("projects", caller, base, this::listProjects, this::showProject, this::createProject,
                this::updateProject, id -> r -> new IdentityEntity.DeleteProject(id, r)))),
        path(PathMatchers.segment("users").slash(PathMatchers.segment()).slash("projects"),
            user -> get(() -> respond(() -> identity.directory().thenApply(d -> userProjects(d, user, caller, base))))),
        resource("users", caller, base, this::listUsers, this::showUser, this::createUser, this::updateUser,
            id -> r -> new IdentityEntity.DeleteUser(id, r)),
        path(PathMatchers.segment("users").slash(PathMatchers.segment()).slash("groups"),
            user -> get(() -> respond(() -> identity.directory().thenApply(d -> userGroups(d, user, caller, base))))),
        pathPrefix(PathMatchers.segment("groups").slash(PathMatchers.segment()).slash("users"),
            group -> members(caller, group, base)),
        resource("groups", caller, base, this::listGroups, this::showGroup, this::createGroup, this::updateGroup,
            id -> r -> new IdentityEntity.DeleteGroup(id, r)),
        resource("roles", caller, base, this::listRoles, this::showRole, this::createRole, this::updateRole,
            id -> r -> new IdentityEntity.DeleteRole(id, r)),
        path(PathMatchers.segment("regions").slash(PathMatchers.segment()), id -> put(() -> body(b -> respond(() ->
            admin(caller, "create_region").thenCompose(d -> createRegion(d, id, Json.parseObject(b), base)))))),
        resource("regions", caller, base, this::listRegions, this::showRegion, this::createRegion, this::updateRegion,
            id -> r -> new IdentityEntity.DeleteRegion(id, r)),
        resource("services", caller, base, this::listServices, this::showService, this::createService,
            this::updateService, id -> r -> new IdentityEntity.DeleteService(id, r)),
        resource("endpoints", caller, base, this::listEndpoints, this::showEndpoint, this::createEndpoint,
            this::updateEndpoint, id -> r -> new IdentityEntity.DeleteEndpoint(id, r)),
        path("role_assignments", () -> get(() -> parameterMap(q -> respond(() -> assignments(caller, q, base))))));
  }

  interface Lister {
    HttpResponse list(Directory d, Map<String, String> query, Token caller, String base);
  }

  interface Shower {
    HttpResponse show(Directory d, String id, Token caller, String base);
  }

  interface Writer {
    CompletionStage<HttpResponse> write(Directory d, String id, JsonNode body, String base);
  }

  private Route resource(String name, Token caller, String base, Lister list, Shower show, Writer create,
      Writer update, Function<String, Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>>, IdentityEntity.Command>> delete) {
    return pathPrefix(name, () -> resourceRoutes(name, caller, base, list, show, create, update, delete));
  }

  private Route resourceRoutes(String name, Token caller, String base, Lister list, Shower show, Writer create,
      Writer update, Function<String, Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>>, IdentityEntity.Command>> delete) {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> identity.directory().thenApply(d -> list.list(d, q, caller, base))))),
            post(() -> body(b -> respond(() -> admin(caller, "create_" + singular(name))
                .thenCompose(d -> create.write(d, null, Json.parseObject(b), base))))))),
        path(PathMatchers.segment(), id -> concat(
            get(() -> respond(() -> identity.directory().thenApply(d -> show.show(d, id, caller, base)))),
            patch(() -> body(b -> respond(() -> admin(caller, "update_" + singular(name))
                .thenCompose(d -> update.write(d, id, Json.parseObject(b), base))))),
            delete(() -> respond(() -> admin(caller, "delete_" + singular(name))
                .thenCompose(d -> identity.change(delete.apply(id)))
                .thenApply(done -> HttpResponse.create().withStatus(204)))))));
  }

  private CompletionStage<Directory> admin(Token caller, String what) {
    requireAdmin(caller, what);
    return identity.directory();
  }

  /** Keystone's rule {@code identity:<what>}, for the caller on its own project. */
  private void requireAdmin(Token caller, String what) {
    policy.enforce(identity.callerOf(caller), "identity:" + what);
  }

  private boolean allows(Token caller, String what, Map<String, String> target) {
    return policy.allows(identity.callerOf(caller), "identity:" + what, target);
  }

  /** Keystone names its rules after one of a kind: "users" are create_user, ... */
  private static String singular(String kind) {
    return kind.substring(0, kind.length() - 1);
  }

  // domains

  private HttpResponse listDomains(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_domains");
    return listOf("domains", d.domains().values().stream().filter(x -> matches(q, "name", x.name()))
        .filter(x -> matchesBool(q, "enabled", x.enabled())).sorted(Comparator.comparing(Domain::name))
        .map(x -> KeystoneJson.domain(x, base)), base + "/domains");
  }

  private HttpResponse showDomain(Directory d, String id, Token caller, String base) {
    requireAdmin(caller, "get_domain");
    Domain x = Optional.ofNullable(d.domains().get(id)).orElseThrow(() -> notFound("domain", id));
    return one("domain", KeystoneJson.domain(x, base));
  }

  private CompletionStage<HttpResponse> createDomain(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(DOMAIN_CREATE, body, "domain");
    Domain x = new Domain(IdentityEntity.newId(), in.get("name").asText(), in.path("description").asText(""),
        in.path("enabled").asBoolean(true));
    return save(r -> new IdentityEntity.SaveDomain(x, true, r), 201, "domain", KeystoneJson.domain(x, base));
  }

  private CompletionStage<HttpResponse> updateDomain(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(DOMAIN_UPDATE, body, "domain");
    Domain old = Optional.ofNullable(d.domains().get(id)).orElseThrow(() -> notFound("domain", id));
    Domain x = new Domain(id, in.path("name").asText(old.name()), in.path("description").asText(old.description()),
        in.path("enabled").asBoolean(old.enabled()));
    return save(r -> new IdentityEntity.SaveDomain(x, false, r), 200, "domain", KeystoneJson.domain(x, base));
  }

  // projects

  /** Every project, for whom Keystone's rule allows it; a user lists its own at /auth/projects or /users/{id}/projects. */
  private HttpResponse listProjects(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_projects");
    return listOf("projects", d.projects().values().stream()
        .filter(p -> matches(q, "name", p.name()) && matches(q, "domain_id", p.domainId()))
        .filter(p -> matchesBool(q, "enabled", p.enabled()))
        .sorted(Comparator.comparing(Project::name)).map(p -> KeystoneJson.project(p, base)), base + "/projects");
  }

  private HttpResponse showProject(Directory d, String id, Token caller, String base) {
    Project p = Optional.ofNullable(d.projects().get(id))
        .filter(x -> allows(caller, "get_project", Map.of()) || !d.rolesOn(caller.userId(), x.id()).isEmpty())
        .orElseThrow(() -> notFound("project", id));
    return one("project", KeystoneJson.project(p, base));
  }

  private CompletionStage<HttpResponse> createProject(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(PROJECT_CREATE, body, "project");
    Project p = new Project(IdentityEntity.newId(), in.get("name").asText(),
        in.path("domain_id").asText(IdentityEntity.DEFAULT_DOMAIN), in.path("description").asText(""),
        in.path("enabled").asBoolean(true));
    return save(r -> new IdentityEntity.SaveProject(p, true, r), 201, "project", KeystoneJson.project(p, base));
  }

  private CompletionStage<HttpResponse> updateProject(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(PROJECT_UPDATE, body, "project");
    Project old = Optional.ofNullable(d.projects().get(id)).orElseThrow(() -> notFound("project", id));
    Project p = new Project(id, in.path("name").asText(old.name()), old.domainId(),
        in.path("description").asText(old.description()), in.path("enabled").asBoolean(old.enabled()));
    return save(r -> new IdentityEntity.SaveProject(p, false, r), 200, "project", KeystoneJson.project(p, base));
  }

  /** A user's projects: those it has a role on (Keystone's list_user_projects, the user itself or an admin). */
  private HttpResponse userProjects(Directory d, String userId, Token caller, String base) {
    policy.enforce(identity.callerOf(caller), "identity:list_user_projects", Map.of("target.user.id", userId));
    return listOf("projects", d.projects().values().stream().filter(p -> !d.rolesOn(userId, p.id()).isEmpty())
        .sorted(Comparator.comparing(Project::name)).map(p -> KeystoneJson.project(p, base)),
        base + "/users/" + userId + "/projects");
  }

  // users

  private HttpResponse listUsers(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_users");
    return listOf("users", d.users().values().stream()
        .filter(u -> matches(q, "name", u.name()) && matches(q, "domain_id", u.domainId()))
        .filter(u -> matchesBool(q, "enabled", u.enabled()))
        .sorted(Comparator.comparing(User::name)).map(u -> KeystoneJson.user(u, base)), base + "/users");
  }

  private HttpResponse showUser(Directory d, String id, Token caller, String base) {
    User u = Optional.ofNullable(d.users().get(id))
        .filter(x -> allows(caller, "get_user", Map.of("target.user.id", x.id())))
        .orElseThrow(() -> notFound("user", id));
    return one("user", KeystoneJson.user(u, base));
  }

  private CompletionStage<HttpResponse> createUser(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(USER_CREATE, body, "user");
    String name = in.get("name").asText();
    Optional<String> password = text(in, "password");
    Optional<String> project = text(in, "default_project_id");
    if (project.isPresent() && !d.projects().containsKey(project.get())) throw notFound("project", project.get());
    return CompletableFuture.supplyAsync(() -> password.map(identity::hash).orElse("!"), identity.blocking())
        .thenCompose(hash -> {
          User u = new User(IdentityEntity.newId(), name, in.path("domain_id").asText(IdentityEntity.DEFAULT_DOMAIN),
              hash, in.path("enabled").asBoolean(true), project, in.path("description").asText(""),
              ignoreLockout(in).orElse(false));
          return save(r -> new IdentityEntity.SaveUser(u, true, r), 201, "user", KeystoneJson.user(u, base));
        });
  }

  /** Keystone's user option {@code ignore_lockout_failure_attempts}, if the body sets it (a boolean: the schema says so). */
  private static Optional<Boolean> ignoreLockout(JsonNode user) {
    JsonNode value = user.path("options").path("ignore_lockout_failure_attempts");
    return value.isBoolean() ? Optional.of(value.booleanValue()) : Optional.empty();
  }

  private CompletionStage<HttpResponse> updateUser(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(USER_UPDATE, body, "user");
    User old = Optional.ofNullable(d.users().get(id)).orElseThrow(() -> notFound("user", id));
    Optional<String> password = text(in, "password");
    boolean ignoreLockout = ignoreLockout(in).orElse(old.ignoreLockout());
    // no password: an empty hash, which the catalog reads as "keep the one stored"
    return CompletableFuture.supplyAsync(() -> password.map(identity::hash).orElse(""), identity.blocking())
        .thenCompose(hash -> {
          User u = new User(id, in.path("name").asText(old.name()), old.domainId(), hash,
              in.path("enabled").asBoolean(old.enabled()),
              text(in, "default_project_id").or(old::defaultProjectId), in.path("description").asText(old.description()),
              ignoreLockout);
          return save(r -> new IdentityEntity.SaveUser(u, false, r), 200, "user", KeystoneJson.user(u, base));
        });
  }

  // roles

  private HttpResponse listRoles(Directory d, Map<String, String> q, Token caller, String base) {
    return listOf("roles", d.roles().values().stream().filter(r -> matches(q, "name", r.name()))
        .sorted(Comparator.comparing(Role::name)).map(r -> KeystoneJson.role(r, base)), base + "/roles");
  }

  private HttpResponse showRole(Directory d, String id, Token caller, String base) {
    Role r = Optional.ofNullable(d.roles().get(id)).orElseThrow(() -> notFound("role", id));
    return one("role", KeystoneJson.role(r, base));
  }

  private CompletionStage<HttpResponse> createRole(Directory d, String unused, JsonNode body, String base) {
    Role r = new Role(IdentityEntity.newId(), member(ROLE_CREATE, body, "role").get("name").asText());
    return save(x -> new IdentityEntity.SaveRole(r, true, x), 201, "role", KeystoneJson.role(r, base));
  }

  private CompletionStage<HttpResponse> updateRole(Directory d, String id, JsonNode body, String base) {
    Role old = Optional.ofNullable(d.roles().get(id)).orElseThrow(() -> notFound("role", id));
    Role r = new Role(id, member(ROLE_UPDATE, body, "role").path("name").asText(old.name()));
    return save(x -> new IdentityEntity.SaveRole(r, false, x), 200, "role", KeystoneJson.role(r, base));
  }

  // groups: users of a domain, listed together (a group holds no roles: group grants are not offered)

  private HttpResponse listGroups(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_groups");
    return listOf("groups", d.groups().values().stream()
        .filter(g -> matches(q, "name", g.name()) && matches(q, "domain_id", g.domainId()))
        .sorted(Comparator.comparing(Group::name)).map(g -> KeystoneJson.group(g, base)), base + "/groups");
  }

  private HttpResponse showGroup(Directory d, String id, Token caller, String base) {
    requireAdmin(caller, "get_group");
    return one("group", KeystoneJson.group(group(d, id), base));
  }

  private CompletionStage<HttpResponse> createGroup(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(GROUP_CREATE, body, "group");
    Group g = new Group(IdentityEntity.newId(), in.get("name").asText(),
        in.path("domain_id").asText(IdentityEntity.DEFAULT_DOMAIN), text(in, "description").orElse(""), Set.of());
    return save(r -> new IdentityEntity.SaveGroup(g, true, r), 201, "group", KeystoneJson.group(g, base));
  }

  private CompletionStage<HttpResponse> updateGroup(Directory d, String id, JsonNode body, String base) {
    Group old = group(d, id);
    JsonNode in = member(GROUP_UPDATE, body, "group");
    if (in.has("domain_id") && !in.get("domain_id").asText().equals(old.domainId())) {
      throw ApiError.badRequest("Cannot change Domain ID");
    }
    Group g = new Group(id, in.path("name").asText(old.name()), old.domainId(),
        in.has("description") ? text(in, "description").orElse("") : old.description(), old.userIds());
    return save(r -> new IdentityEntity.SaveGroup(g, false, r), 200, "group", KeystoneJson.group(g, base));
  }

  private static Group group(Directory d, String id) {
    return Optional.ofNullable(d.groups().get(id)).orElseThrow(() -> notFound("group", id));
  }

  /** {@code /groups/{group}/users[/{user}]}: the group's members, and a user's membership. */
  private Route members(Token caller, String groupId, String base) {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> respond(() -> identity.directory().thenApply(d -> {
          requireAdmin(caller, "list_users_in_group");
          Group g = group(d, groupId);
          return listOf("users", g.userIds().stream().map(d.users()::get).filter(u -> u != null)
              .sorted(Comparator.comparing(User::name)).map(u -> KeystoneJson.user(u, base)),
              base + "/groups/" + groupId + "/users");
        })))),
        path(PathMatchers.segment(), user -> concat(
            put(() -> respond(() -> admin(caller, "add_user_to_group")
                .thenCompose(d -> identity.change(r -> new IdentityEntity.SetGroupMember(groupId, user, true, r)))
                .thenApply(done -> HttpResponse.create().withStatus(204)))),
            delete(() -> respond(() -> admin(caller, "remove_user_from_group")
                .thenCompose(d -> identity.change(r -> new IdentityEntity.SetGroupMember(groupId, user, false, r)))
                .thenApply(done -> HttpResponse.create().withStatus(204)))),
            head(() -> respond(() -> identity.directory().thenApply(d -> membership(d, caller, groupId, user)))),
            get(() -> respond(() -> identity.directory().thenApply(d -> membership(d, caller, groupId, user)))))));
  }

  private HttpResponse membership(Directory d, Token caller, String groupId, String userId) {
    requireAdmin(caller, "check_user_in_group");
    if (!d.users().containsKey(userId)) throw notFound("user", userId);
    if (!group(d, groupId).userIds().contains(userId)) {
      throw ApiError.notFound("User " + userId + " is not a member of group " + groupId + ".");
    }
    return HttpResponse.create().withStatus(204);
  }

  private HttpResponse userGroups(Directory d, String userId, Token caller, String base) {
    policy.enforce(identity.callerOf(caller), "identity:list_groups_for_user", Map.of("target.user.id", userId));
    if (!d.users().containsKey(userId)) throw notFound("user", userId);
    return listOf("groups", d.groups().values().stream().filter(g -> g.userIds().contains(userId))
        .sorted(Comparator.comparing(Group::name)).map(g -> KeystoneJson.group(g, base)),
        base + "/users/" + userId + "/groups");
  }

  // the service catalog: regions, services, endpoints

  private HttpResponse listRegions(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_regions");
    return listOf("regions", d.catalog().regions().values().stream()
        .filter(r -> matches(q, "parent_region_id", r.parentRegionId().orElse(null)))
        .sorted(Comparator.comparing(ServiceCatalog.Region::id)).map(r -> KeystoneJson.region(r, base)), base + "/regions");
  }

  private HttpResponse showRegion(Directory d, String id, Token caller, String base) {
    requireAdmin(caller, "get_region");
    ServiceCatalog.Region r = Optional.ofNullable(d.catalog().regions().get(id)).orElseThrow(() -> notFound("region", id));
    return one("region", KeystoneJson.region(r, base));
  }

  /** POST (the body may name the id) or PUT /regions/{id} (the path does). */
  private CompletionStage<HttpResponse> createRegion(Directory d, String pathId, JsonNode body, String base) {
    JsonNode in = member(REGION_CREATE, body, "region");
    String id = pathId != null ? pathId : text(in, "id").orElseGet(IdentityEntity::newId);
    ServiceCatalog.Region r = new ServiceCatalog.Region(id, in.path("description").asText(""), text(in, "parent_region_id"));
    return save(x -> new IdentityEntity.SaveRegion(r, true, x), 201, "region", KeystoneJson.region(r, base));
  }

  private CompletionStage<HttpResponse> updateRegion(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(REGION_UPDATE, body, "region");
    ServiceCatalog.Region old = Optional.ofNullable(d.catalog().regions().get(id)).orElseThrow(() -> notFound("region", id));
    ServiceCatalog.Region r = new ServiceCatalog.Region(id, in.path("description").asText(old.description()),
        in.has("parent_region_id") ? text(in, "parent_region_id") : old.parentRegionId());
    return save(x -> new IdentityEntity.SaveRegion(r, false, x), 200, "region", KeystoneJson.region(r, base));
  }

  private HttpResponse listServices(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_services");
    return listOf("services", d.catalog().services().values().stream()
        .filter(s -> matches(q, "type", s.type()) && matches(q, "name", s.name().orElse(null)))
        .sorted(Comparator.comparing(ServiceCatalog.Service::type).thenComparing(ServiceCatalog.Service::id))
        .map(s -> KeystoneJson.service(s, base)), base + "/services");
  }

  private HttpResponse showService(Directory d, String id, Token caller, String base) {
    requireAdmin(caller, "get_service");
    ServiceCatalog.Service s = Optional.ofNullable(d.catalog().services().get(id)).orElseThrow(() -> notFound("service", id));
    return one("service", KeystoneJson.service(s, base));
  }

  private CompletionStage<HttpResponse> createService(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(SERVICE_CREATE, body, "service");
    ServiceCatalog.Service s = new ServiceCatalog.Service(IdentityEntity.newId(), in.get("type").asText(),
        text(in, "name"), in.path("description").asText(""), in.path("enabled").asBoolean(true));
    return save(x -> new IdentityEntity.SaveService(s, true, x), 201, "service", KeystoneJson.service(s, base));
  }

  private CompletionStage<HttpResponse> updateService(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(SERVICE_UPDATE, body, "service");
    ServiceCatalog.Service old = Optional.ofNullable(d.catalog().services().get(id)).orElseThrow(() -> notFound("service", id));
    ServiceCatalog.Service s = new ServiceCatalog.Service(id, in.path("type").asText(old.type()),
        text(in, "name").or(old::name), in.path("description").asText(old.description()),
        in.path("enabled").asBoolean(old.enabled()));
    return save(x -> new IdentityEntity.SaveService(s, false, x), 200, "service", KeystoneJson.service(s, base));
  }

  private HttpResponse listEndpoints(Directory d, Map<String, String> q, Token caller, String base) {
    requireAdmin(caller, "list_endpoints");
    return listOf("endpoints", d.catalog().endpoints().values().stream()
        .filter(e -> matches(q, "interface", e.iface()) && matches(q, "service_id", e.serviceId()))
        .filter(e -> matches(q, "region_id", e.regionId().orElse(null)))
        .sorted(Comparator.comparing(ServiceCatalog.Endpoint::id))
        .map(e -> KeystoneJson.endpoint(e, apiBaseOf(base), base)), base + "/endpoints");
  }

  private HttpResponse showEndpoint(Directory d, String id, Token caller, String base) {
    requireAdmin(caller, "get_endpoint");
    ServiceCatalog.Endpoint e = Optional.ofNullable(d.catalog().endpoints().get(id)).orElseThrow(() -> notFound("endpoint", id));
    return one("endpoint", KeystoneJson.endpoint(e, apiBaseOf(base), base));
  }

  private CompletionStage<HttpResponse> createEndpoint(Directory d, String unused, JsonNode body, String base) {
    JsonNode in = member(ENDPOINT_CREATE, body, "endpoint");
    ServiceCatalog.Endpoint e = new ServiceCatalog.Endpoint(IdentityEntity.newId(), in.get("service_id").asText(),
        in.get("interface").asText(), in.get("url").asText(), regionOf(in).orElse(Optional.empty()),
        in.path("enabled").asBoolean(true));
    return save(x -> new IdentityEntity.SaveEndpoint(e, true, x), 201, "endpoint",
        KeystoneJson.endpoint(e, apiBaseOf(base), base));
  }

  private CompletionStage<HttpResponse> updateEndpoint(Directory d, String id, JsonNode body, String base) {
    JsonNode in = member(ENDPOINT_UPDATE, body, "endpoint");
    ServiceCatalog.Endpoint old = Optional.ofNullable(d.catalog().endpoints().get(id)).orElseThrow(() -> notFound("endpoint", id));
    ServiceCatalog.Endpoint e = new ServiceCatalog.Endpoint(id, in.path("service_id").asText(old.serviceId()),
        in.path("interface").asText(old.iface()), in.path("url").asText(old.url()), regionOf(in).orElse(old.regionId()),
        in.path("enabled").asBoolean(old.enabled()));
    return save(x -> new IdentityEntity.SaveEndpoint(e, false, x), 200, "endpoint",
        KeystoneJson.endpoint(e, apiBaseOf(base), base));
  }

  /** The region a body gives (region_id, or the older region): empty if it gives none, an empty region if null. */
  private static Optional<Optional<String>> regionOf(JsonNode endpoint) {
    for (String field : List.of("region_id", "region")) {
      if (endpoint.has(field)) return Optional.of(text(endpoint, field));
    }
    return Optional.empty();
  }

  /** The API's root URL, from the identity base under it. */
  private static String apiBaseOf(String base) {
    return base.substring(0, base.length() - "/identity/v3".length());
  }

  // role assignments

  private Route grants(Token caller, String project, String user, String base) {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> respond(() -> identity.directory().thenApply(d -> {
          requireAdmin(caller, "list_grants");
          return listOf("roles", d.assignments().stream()
              .filter(a -> a.projectId().equals(project) && a.userId().equals(user))
              .map(a -> d.roles().get(a.roleId())).filter(r -> r != null)
              .map(r -> KeystoneJson.role(r, base)), base + "/projects/" + project + "/users/" + user + "/roles");
        })))),
        path(PathMatchers.segment(), role -> {
          Assignment a = new Assignment(user, project, role);
          return concat(
              put(() -> respond(() -> admin(caller, "create_grant")
                  .thenCompose(d -> identity.change(r -> new IdentityEntity.Assign(a, r)))
                  .thenApply(done -> HttpResponse.create().withStatus(204)))),
              delete(() -> respond(() -> admin(caller, "revoke_grant")
                  .thenCompose(d -> identity.change(r -> new IdentityEntity.Unassign(a, r)))
                  .thenApply(done -> HttpResponse.create().withStatus(204)))),
              head(() -> respond(() -> identity.directory().thenApply(d -> {
                requireAdmin(caller, "check_grant");
                if (!d.assignments().contains(a)) throw ApiError.notFound("Could not find role assignment.");
                return HttpResponse.create().withStatus(204);
              }))),
              get(() -> respond(() -> identity.directory().thenApply(d -> {
                requireAdmin(caller, "check_grant");
                if (!d.assignments().contains(a)) throw ApiError.notFound("Could not find role assignment.");
                return HttpResponse.create().withStatus(204);
              }))));
        }));
  }

  private CompletionStage<HttpResponse> assignments(Token caller, Map<String, String> q, String base) {
    return identity.directory().thenApply(d -> {
      // a user may list its own (Keystone's target: the user.id filter)
      policy.enforce(identity.callerOf(caller), "identity:list_role_assignments",
          q.containsKey("user.id") ? Map.of("user.id", q.get("user.id")) : Map.of());
      boolean names = q.containsKey("include_names") && !q.get("include_names").equalsIgnoreCase("false")
          && !q.get("include_names").equals("0");
      List<KeystoneJson.Assignment> items = new ArrayList<>();
      for (Assignment a : d.assignments()) {
        if (!matches(q, "user.id", a.userId()) || !matches(q, "scope.project.id", a.projectId())
            || !matches(q, "role.id", a.roleId())) {
          continue;
        }
        KeystoneJson.Ref role = new KeystoneJson.Ref(a.roleId(), Optional.empty(), Optional.empty());
        KeystoneJson.Ref user = new KeystoneJson.Ref(a.userId(), Optional.empty(), Optional.empty());
        KeystoneJson.Ref project = new KeystoneJson.Ref(a.projectId(), Optional.empty(), Optional.empty());
        if (names) {
          role = Optional.ofNullable(d.roles().get(a.roleId())).map(r -> KeystoneJson.Ref.of(r.id(), r.name())).orElse(role);
          user = Optional.ofNullable(d.users().get(a.userId())).map(u -> new KeystoneJson.Ref(u.id(),
              Optional.of(u.name()), Optional.of(KeystoneJson.domainRef(d, u.domainId())))).orElse(user);
          project = Optional.ofNullable(d.projects().get(a.projectId())).map(p -> new KeystoneJson.Ref(p.id(),
              Optional.of(p.name()), Optional.of(KeystoneJson.domainRef(d, p.domainId())))).orElse(project);
        }
        items.add(new KeystoneJson.Assignment(role, user, Map.of("project", project), Map.of("assignment",
            base + "/projects/" + a.projectId() + "/users/" + a.userId() + "/roles/" + a.roleId())));
      }
      return Json.response(200, KeystoneJson.list("role_assignments", items, base + "/role_assignments"));
    });
  }

  // ------------------------------------------------------------------ plumbing

  /** Runs {@code inner} with the caller's valid token (any scope); 401 otherwise. */
  private Route authenticated(Function<Token, Route> inner) {
    return optionalHeaderValueByName("X-Auth-Token", header -> {
      Optional<Token> token = header.flatMap(identity::validate);
      return token.map(inner).orElseGet(() -> complete(KeystoneJson.error(401, IdentityService.UNAUTHORIZED)));
    });
  }

  private CompletionStage<HttpResponse> save(
      Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>>, IdentityEntity.Command> command,
      int status, String key, Object view) {
    return identity.change(command).thenApply(done -> one(key, view).withStatus(status));
  }

  private static HttpResponse one(String key, Object view) {
    return Json.response(200, Map.of(key, view));
  }

  private static HttpResponse listOf(String key, Stream<?> items, String self) {
    return Json.response(200, KeystoneJson.list(key, items.toList(), self));
  }

  /** The body's {@code key} object, once the body matches {@code schema}. */
  private static JsonNode member(RequestSchema schema, JsonNode body, String key) {
    return schema.validate(body).get(key);
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
  }

  private static boolean matches(Map<String, String> q, String key, String value) {
    return !q.containsKey(key) || q.get(key).equals(value);
  }

  private static boolean matchesBool(Map<String, String> q, String key, boolean value) {
    return !q.containsKey(key) || Boolean.parseBoolean(q.get(key)) == value;
  }

  private static ApiError notFound(String kind, String id) {
    return ApiError.notFound("Could not find " + kind + ": " + id + ".");
  }

  private static Map<String, ?> versions(String apiBase, boolean all) {
    VersionDoc v = VersionDoc.of("v3.14", "stable", apiBase + "/identity/v3/")
        .described("2020-04-07T00:00:00Z", "application/vnd.openstack.identity-v3+json");
    return all ? Map.of("versions", Map.of("values", List.of(v))) : Map.of("version", v);
  }

}
