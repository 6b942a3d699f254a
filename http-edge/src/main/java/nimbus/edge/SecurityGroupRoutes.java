package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.network.NetworkListing;
import nimbus.network.NetworkQuotaEntity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupEntity;
import nimbus.network.SecurityGroupRule;
import nimbus.network.SecurityGroupRules;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's security groups and their rules ({@code security-group}): groups created (one or in
 * bulk), listed, shown, renamed, tagged and deleted; rules created (one or in bulk), listed, shown
 * and deleted. A group is its project's alone: another project's group is as absent, also as a
 * rule's {@code remote_group_id} or in a port's {@code security_groups}. A project's
 * {@code default} group is made on its first list, group or port ({@link #defaultGroup}).
 */
final class SecurityGroupRoutes extends NeutronResourceRoutes {
  private final NeutronTags tags;

  SecurityGroupRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy) {
    super(sharding, listing, blocking, timeout, policy);
    this.tags = new NeutronTags((ctx, id) -> visible(ctx, id).thenApply(SecurityGroup::tags),
        (ctx, id, next) -> owned(ctx, id, "update_security_group").thenCompose(g -> entity(g.id())
            .<SecurityGroup>askWithStatus(r -> new SecurityGroupEntity.Update(Optional.empty(), Optional.empty(),
                Optional.of(next), r), timeout)).thenApply(SecurityGroup::tags));
  }

  Route route(RequestContext ctx, String baseUrl) {
    return concat(
        pathPrefix("security-groups", () -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/security-groups")))),
                post(() -> body(b -> respond(() -> create(ctx, b)))))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEnd(() -> concat(
                    get(() -> query(q -> respond(() -> {
                      NeutronQuery query = NeutronQuery.parse(q, SecurityGroupJson.GROUPS, Set.of());
                      return visible(ctx, id).thenApply(g -> one(200, "security_group",
                          query.fieldsOf(SecurityGroupJson.view(g))));
                    }))),
                    put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                    delete(() -> respond(() -> delete(ctx, id))))),
                tags.route(ctx, id))))),
        pathPrefix("security-group-rules", () -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> listRules(ctx, q, baseUrl + "/security-group-rules")))),
                post(() -> body(b -> respond(() -> createRules(ctx, b)))))),
            path(PathMatchers.segment(), id -> concat(
                get(() -> query(q -> respond(() -> {
                  NeutronQuery query = NeutronQuery.parse(q, SecurityGroupJson.RULES, Set.of());
                  return visibleRule(ctx, id).thenApply(r -> one(200, "security_group_rule",
                      query.fieldsOf(SecurityGroupJson.rule(r))));
                }))),
                delete(() -> respond(() -> deleteRule(ctx, id))))))));
  }

  // ---------------------------------------------------------------- groups

  private EntityRef<SecurityGroupEntity.Command> entity(String id) {
    return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, id.toLowerCase());
  }

  /** The project's {@code default} group, made if it is not there yet (its id is the project's, so all agree). */
  CompletionStage<SecurityGroup> defaultGroup(String projectId) {
    return entity(SecurityGroupEntity.defaultGroupId(projectId))
        .askWithStatus(r -> new SecurityGroupEntity.EnsureDefault(projectId, r), timeout);
  }

  /** The group, if it exists and the caller may see it; otherwise as absent (404). */
  CompletionStage<SecurityGroup> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound(id));
    return entity(id).<SecurityGroup>askWithStatus(SecurityGroupEntity.Get::new, timeout).thenApply(g -> {
      if (!policy.allows(ctx, "get_security_group", SecurityGroupJson.target(g))) throw notFound(id);
      return g;
    });
  }

  /** The group, if it is project {@code projectId}'s: what a port or a rule of that project may name. */
  CompletionStage<SecurityGroup> ofProject(String projectId, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound(id));
    return entity(id).<SecurityGroup>askWithStatus(SecurityGroupEntity.Get::new, timeout).thenApply(g -> {
      if (!g.projectId().equals(projectId)) throw notFound(id);
      return g;
    });
  }

  private CompletionStage<SecurityGroup> owned(RequestContext ctx, String id, String action) {
    return visible(ctx, id).thenApply(g -> {
      policy.enforceChange(ctx, action, "get_security_group", SecurityGroupJson.target(g),
          Json.MAPPER.createObjectNode(), SecurityGroupJson.GROUPS.names(),
          "SecurityGroupNotFound: Security group " + id + " does not exist");
      return g;
    });
  }

  static ApiError notFound(String id) {
    return NeutronErrors.error(404, "SecurityGroupNotFound", "Security group " + id + " does not exist");
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, SecurityGroupJson.GROUPS, Set.of());
    Map<String, List<String>> tagFilters = tagFilters(q);
    var query = q.listing(viewer(ctx), attributes(
        (nimbus.network.SecurityGroupListProjection.Row row) -> SecurityGroupJson.view(row.group())),
        tagFilters.isEmpty() ? Optional.empty()
            : Optional.of(row -> tagsMatch(row.group().tags(), tagFilters)));
    // Neutron makes the caller's default group when it first lists groups
    return defaultGroup(ctx.projectId()).thenCompose(d -> listed(() -> listing.securityGroups(query)))
        .thenApply(groups -> page("security_groups",
            groups.stream().map(g -> q.fieldsOf(SecurityGroupJson.view(g))).toList(), q, url));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    return created(ctx, SecurityGroupJson.GROUPS.created(body)).thenApply(made -> created("security_group",
        "security_groups", made.stream().map(SecurityGroupJson::view).toList(), body.has("security_groups")));
  }

  /** The groups a create asks for ({@code items}: Neutron's attributes), made as Neutron's API makes them. */
  CompletionStage<List<SecurityGroup>> created(RequestContext ctx, List<ObjectNode> items) {
    List<SecurityGroup> requested = new ArrayList<>();
    for (ObjectNode item : items) {
      String project = projectOf(ctx, item);
      policy.enforceCreate(ctx, "create_security_group", Map.of("project_id", project, "tenant_id", project), item,
          SecurityGroupJson.GROUPS.names());
      String name = name(item).orElse("");
      if (!bool(item, "stateful", true)) {
        // the hosts' filter is built on connection tracking (replies pass as established): a group
        // said to be stateless would still be stateful, so none is taken (no stateful-security-group)
        throw NeutronErrors.badRequest("Stateless security groups are not supported by this cloud.");
      }
      requested.add(SecurityGroupEntity.requested(UUID.randomUUID().toString(), project, name,
          text(item, "description", 255).orElse(""), true, List.of(), Instant.now()));
    }
    return createAll(requested, 0, new ArrayList<>());
  }

  /** A name Neutron takes (a string of at most 255, never {@code default}: there is one of those per project). */
  private static Optional<String> name(JsonNode item) {
    Optional<String> name = text(item, "name", 255);
    if (name.isPresent() && name.get().equalsIgnoreCase(SecurityGroupEntity.DEFAULT)) {
      throw NeutronErrors.error(409, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.");
    }
    return name;
  }

  private static Optional<String> text(JsonNode item, String field, int max) {
    JsonNode v = item.get(field);
    if (v == null || v.isNull()) return Optional.empty();
    if (!v.isTextual()) {
      throw NeutronErrors.badRequest("Invalid input for " + field + ". Reason: '" + v + "' is not a valid string.");
    }
    if (v.asText().length() > max) {
      throw NeutronErrors.badRequest("Invalid input for " + field + ". Reason: '" + v.asText() + "' exceeds maximum "
          + "length of " + max + ".");
    }
    return Optional.of(v.asText());
  }

  /** In order, all or nothing: if one is refused, those made before it are deleted again. */
  private CompletionStage<List<SecurityGroup>> createAll(List<SecurityGroup> todo, int next, List<SecurityGroup> made) {
    if (next == todo.size()) return CompletableFuture.completedFuture(made);
    SecurityGroup g = todo.get(next);
    // Neutron makes the project's default group before its first other one
    return defaultGroup(g.projectId())
        .thenCompose(d -> entity(g.id()).<SecurityGroup>askWithStatus(r -> new SecurityGroupEntity.Create(g, r), timeout))
        .handle((created, failure) -> {
          if (failure == null) {
            made.add(created);
            return createAll(todo, next + 1, made);
          }
          made.forEach(m -> deleted(m));
          return CompletableFuture.<List<SecurityGroup>>failedFuture(failure);
        }).thenCompose(x -> x);
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    return updated(ctx, id, SecurityGroupJson.GROUPS.updated(Json.parseObject(raw)))
        .thenApply(g -> one(200, "security_group", SecurityGroupJson.view(g)));
  }

  /** The group renamed or described anew ({@code item}: Neutron's attributes), if the caller may change it. */
  CompletionStage<SecurityGroup> updated(RequestContext ctx, String id, ObjectNode item) {
    return owned(ctx, id, "update_security_group").thenCompose(g -> {
      Optional<String> name = name(item);
      Optional<String> description = text(item, "description", 255);
      return entity(g.id()).<SecurityGroup>askWithStatus(r -> new SecurityGroupEntity.Update(name, description,
          Optional.empty(), r), timeout);
    });
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return removed(ctx, id).thenApply(d -> HttpResponse.create().withStatus(204));
  }

  /** Deletes the group if the caller may (a project's default group: only an admin). */
  CompletionStage<Done> removed(RequestContext ctx, String id) {
    return owned(ctx, id, "delete_security_group").thenCompose(g -> {
      if (g.id().equals(SecurityGroupEntity.defaultGroupId(g.projectId())) && !ctx.isAdmin()) {
        throw NeutronErrors.error(409, "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.");
      }
      return deleted(g);
    });
  }

  /**
   * Deletes the group and gives its quota back before answering (the group's own step then finds
   * it given back), so the quota can be used again at once, as in Neutron.
   */
  private CompletionStage<Done> deleted(SecurityGroup g) {
    List<String> ids = new ArrayList<>(List.of(g.id()));
    g.rules().forEach(r -> ids.add(r.id()));
    return entity(g.id()).<Done>askWithStatus(SecurityGroupEntity.Delete::new, timeout)
        .thenCompose(d -> sharding.entityRefFor(NetworkQuotaEntity.TYPE_KEY, g.projectId())
            .<Done>askWithStatus(r -> new NetworkQuotaEntity.Release(ids, r), timeout));
  }

  // ---------------------------------------------------------------- rules

  private CompletionStage<HttpResponse> listRules(RequestContext ctx, List<Map.Entry<String, String>> params,
      String url) {
    NeutronQuery q = NeutronQuery.parse(params, SecurityGroupJson.RULES, Set.of());
    var query = q.listing(viewer(ctx), attributes(SecurityGroupJson::rule), Optional.empty());
    return defaultGroup(ctx.projectId()).thenCompose(d -> listed(() -> listing.securityGroupRules(query)))
        .thenApply(rules -> page("security_group_rules",
            rules.stream().map(r -> q.fieldsOf(SecurityGroupJson.rule(r))).toList(), q, url));
  }

  private static ApiError ruleNotFound(String id) {
    return NeutronErrors.error(404, "SecurityGroupRuleNotFound", "Security group rule " + id + " does not exist");
  }

  /** The rule, if its group is one the caller may see. */
  CompletionStage<SecurityGroupRule> visibleRule(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(ruleNotFound(id));
    return listed(() -> listing.groupOfRule(id.toLowerCase())).thenCompose(group -> {
      if (group.isEmpty()) throw ruleNotFound(id);
      return visible(ctx, group.get());
    }).handle((g, failure) -> {
      Optional<SecurityGroupRule> r = g == null ? Optional.empty()
          : g.rules().stream().filter(x -> x.id().equals(id.toLowerCase())).findFirst();
      if (r.isEmpty()) throw ruleNotFound(id);
      return r.get();
    });
  }

  private CompletionStage<HttpResponse> deleteRule(RequestContext ctx, String id) {
    return ruleRemoved(ctx, id).thenApply(d -> HttpResponse.create().withStatus(204));
  }

  /** Deletes the rule if the caller may change its group. */
  CompletionStage<Done> ruleRemoved(RequestContext ctx, String id) {
    return visibleRule(ctx, id).thenCompose(r -> {
      policy.enforceChange(ctx, "delete_security_group_rule", "get_security_group_rule",
          Map.of("project_id", r.projectId(), "tenant_id", r.projectId()), Json.MAPPER.createObjectNode(),
          SecurityGroupJson.RULES.names(), "SecurityGroupRuleNotFound: Security group rule " + id + " does not exist");
      return entity(r.securityGroupId()).<Done>askWithStatus(to -> new SecurityGroupEntity.RemoveRule(r.id(), to),
          timeout).thenCompose(d -> sharding.entityRefFor(NetworkQuotaEntity.TYPE_KEY, r.projectId())
              .<Done>askWithStatus(to -> new NetworkQuotaEntity.Release(List.of(r.id()), to), timeout));
    });
  }

  private CompletionStage<HttpResponse> createRules(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    boolean bulk = body.has("security_group_rules");
    return rulesCreated(ctx, SecurityGroupJson.RULES.created(body), bulk)
        .thenApply(made -> created("security_group_rule", "security_group_rules",
            made.stream().map(SecurityGroupJson::rule).toList(), bulk));
  }

  /**
   * The rules a create asks for ({@code items}: Neutron's attributes; {@code bulk}: as a list),
   * checked and added as Neutron's API adds them.
   */
  CompletionStage<List<SecurityGroupRule>> rulesCreated(RequestContext ctx, List<ObjectNode> items, boolean bulk) {
    List<SecurityGroupRule> rules = new ArrayList<>();
    for (ObjectNode item : items) {
      String project = projectOf(ctx, item);
      policy.enforceCreate(ctx, "create_security_group_rule", Map.of("project_id", project, "tenant_id", project),
          item, SecurityGroupJson.RULES.names());
      rules.add(asked(item, project));
    }
    if (bulk) {
      if (rules.stream().map(SecurityGroupRule::securityGroupId).distinct().count() > 1) {
        throw NeutronErrors.badRequest("Only allowed to update rules for one security profile at a time");
      }
      if (rules.stream().map(SecurityGroupRules::key).distinct().count() < rules.size()) {
        throw NeutronErrors.error(409, "DuplicateSecurityGroupRuleInPost", "Duplicate Security Group Rule in POST.");
      }
    }
    return checkedGroups(ctx, rules).thenCompose(ok -> addAll(rules, 0, new ArrayList<>()));
  }

  /** The rule a create asks for, checked as Neutron checks it. */
  private static SecurityGroupRule asked(JsonNode item, String project) {
    Optional<String> group = text(item, "security_group_id", 36);
    Optional<String> direction = text(item, "direction", 16);
    if (group.isEmpty() || direction.isEmpty()) {
      throw NeutronErrors.badRequest("Failed to parse request. Required attribute '"
          + (group.isEmpty() ? "security_group_id" : "direction") + "' not specified");
    }
    JsonNode protocol = item.get("protocol");
    Optional<String> remoteGroup = text(item, "remote_group_id", 36);
    if (remoteGroup.isPresent() && !Ids.isUuid(remoteGroup.get())) throw notFound(remoteGroup.get());
    if (item.hasNonNull("remote_address_group_id")) {
      throw NeutronErrors.badRequest("Unrecognized attribute(s) 'remote_address_group_id'");
    }
    try {
      return SecurityGroupRules.checked(UUID.randomUUID().toString(), new SecurityGroupRules.Asked(
          group.get().toLowerCase(), project, direction.get(), text(item, "ethertype", 40),
          protocol == null || protocol.isNull() ? Optional.empty() : Optional.of(protocol.asText()),
          port(item, "port_range_min"), port(item, "port_range_max"), text(item, "remote_ip_prefix", 64),
          remoteGroup.map(String::toLowerCase), text(item, "description", 255).orElse("")), Instant.now());
    } catch (SecurityGroupRules.Refused refused) {
      throw new ApiError(refused.rejection.kind().httpStatus, refused.rejection.message());
    }
  }

  /** neutron's convert_validate_port_value: an integer 0-65535, written as a number or a string. */
  private static Optional<Integer> port(JsonNode item, String field) {
    JsonNode v = item.get(field);
    if (v == null || v.isNull()) return Optional.empty();
    String text = v.asText().trim();
    if ((v.isIntegralNumber() || v.isTextual() && text.matches("[0-9]{1,5}")) && v.asLong(-1) >= 0
        && Long.parseLong(text) <= 65535) {
      return Optional.of(Integer.parseInt(text));
    }
    throw NeutronErrors.error(400, "SecurityGroupInvalidPortValue", "Invalid value for port " + v.asText());
  }

  /** Each rule's group and remote group are the rule's project's (others' are as absent). */
  private CompletionStage<Void> checkedGroups(RequestContext ctx, List<SecurityGroupRule> rules) {
    CompletionStage<Void> all = CompletableFuture.completedFuture(null);
    for (SecurityGroupRule r : rules) {
      all = all.thenCompose(x -> visible(ctx, r.securityGroupId()))
          .thenCompose(g -> {
            if (!g.projectId().equals(r.projectId()) && !ctx.isAdmin()) throw notFound(g.id());
            return r.remoteGroupId().isEmpty() ? CompletableFuture.completedFuture(g)
                : ofProject(g.projectId(), r.remoteGroupId().get());
          })
          .thenApply(g -> null);
    }
    return all;
  }

  private CompletionStage<List<SecurityGroupRule>> addAll(List<SecurityGroupRule> todo, int next,
      List<SecurityGroupRule> made) {
    if (next == todo.size()) return CompletableFuture.completedFuture(made);
    SecurityGroupRule r = todo.get(next);
    return entity(r.securityGroupId()).<SecurityGroupRule>askWithStatus(to -> new SecurityGroupEntity.AddRule(r, to),
        timeout).handle((added, failure) -> {
          if (failure == null) {
            made.add(added);
            return addAll(todo, next + 1, made);
          }
          made.forEach(m -> entity(m.securityGroupId()).<Done>askWithStatus(
              to -> new SecurityGroupEntity.RemoveRule(m.id(), to), timeout));
          return CompletableFuture.<List<SecurityGroupRule>>failedFuture(failure);
        }).thenCompose(x -> x);
  }
}
