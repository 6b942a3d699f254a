package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import nimbus.network.NetworkListing;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupListProjection;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's deprecated proxies to Neutron's security groups ({@code os-security-groups},
 * {@code os-security-group-rules}), gone from microversion 2.36. Each request is Nova's
 * checks, then the Neutron request Nova would send, made by Neutron's own route class
 * ({@link SecurityGroupRoutes}: the same entities and steps, with the caller's rights), and
 * Neutron's answer or refusal turned into Nova's as {@code nova/network/security_group_api.py}
 * turns them.
 */
final class NovaSecurityGroupRoutes extends ServiceRoutes {
  private final SecurityGroupRoutes neutron;
  private final ServerSecurityGroups views;
  private final NetworkListing listing;
  private final Executor blocking;
  private final Policy policy;

  NovaSecurityGroupRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      Policy policy) {
    super(NovaErrors::response);
    this.neutron = new SecurityGroupRoutes(sharding, listing, blocking, timeout, new NeutronPolicy(policy));
    this.views = new ServerSecurityGroups(sharding, listing, blocking, timeout);
    this.listing = listing;
    this.blocking = blocking;
    this.policy = policy;
  }

  Route route(RequestContext ctx, Microversion version) {
    return concat(
        pathPrefix("os-security-groups", () -> proxied(version, concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> parameterMap(q -> respond(() -> list(ctx, q)))),
                post(() -> body(b -> respond(() -> create(ctx, b)))),
                // Nova has no route for a delete without an id
                delete(() -> complete(NovaErrors.response(404, "The resource could not be found."))))),
            path(PathMatchers.segment(), id -> concat(
                get(() -> respond(() -> show(ctx, id))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> delete(ctx, id)))))))),
        pathPrefix("os-security-group-rules", () -> proxied(version, concat(
            pathEndOrSingleSlash(() -> post(() -> body(b -> respond(() -> createRule(ctx, b))))),
            path(PathMatchers.segment(), id -> delete(() -> respond(() -> deleteRule(ctx, id))))))));
  }

  /** Nova's proxies to Neutron are gone from 2.36. */
  private Route proxied(Microversion version, Route inner) {
    return version.atLeast("2.36") ? complete(gone()) : inner;
  }

  static HttpResponse gone() {
    return NovaErrors.response(404, "The resource could not be found.");
  }

  // ---------------------------------------------------------------- groups

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:get");
    int offset = nonNegative(q, "offset").orElse(0);
    Optional<Integer> limit = nonNegative(q, "limit");
    // Nova asks Neutron for the caller's project's groups; an admin's all_tenants: everyone's
    boolean everyone = ctx.isAdmin() && q.containsKey("all_tenants");
    Optional<String> project = everyone ? Optional.empty() : Optional.of(ctx.projectId());
    return neutron.defaultGroup(ctx.projectId())
        .thenCompose(d -> readSide(() -> listing.securityGroups(new NetworkListing.Query<SecurityGroupListProjection.Row>(
            project, Map.of(), Optional.empty(), (r, k) -> null, List.of(), 0, Optional.empty(), false)), blocking))
        .thenApply(groups -> groups.stream().skip(offset).limit(limit.orElse(Integer.MAX_VALUE)).toList())
        .thenCompose(views::shown)
        .thenApply(shown -> Json.response(200, Map.of("security_groups", shown.stream()
            .sorted(Comparator.comparing((Map<String, Object> g) -> (String) g.get("tenant_id"))
                .thenComparing(g -> (String) g.get("name"))).toList())));
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:show");
    return group(ctx, id).thenCompose(g -> one(g));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String body) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:create");
    ObjectNode item = groupItem(body);
    return nova(() -> neutron.created(ctx, List.of(item)), Map.of(409, 403))
        .thenCompose(made -> one(made.get(0)));
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String body) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:update");
    return group(ctx, id).thenCompose(g -> {
      ObjectNode item = groupItem(body);
      return nova(() -> neutron.updated(ctx, g.id(), item), Map.of());
    }).thenCompose(this::one);
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:delete");
    // Neutron's 409 (the default group, a group in use) is Nova's Invalid, a 400
    return group(ctx, id).thenCompose(g -> nova(() -> neutron.removed(ctx, g.id()), Map.of(409, 400)))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  /** The group Nova's {@code security_group_api.get} finds: an id Neutron shows the caller, else 404. */
  private CompletionStage<SecurityGroup> group(RequestContext ctx, String id) {
    String valid = validId(id);
    return nova(() -> neutron.visible(ctx, valid), Map.of());
  }

  private CompletionStage<HttpResponse> one(SecurityGroup g) {
    return views.shown(List.of(g)).thenApply(shown -> Json.response(200, Map.of("security_group", shown.get(0))));
  }

  /** The Neutron group a Nova body asks for: its name and description, checked as Nova checks them. */
  private static ObjectNode groupItem(String body) {
    JsonNode group = from(body, "security_group");
    ObjectNode item = Json.MAPPER.createObjectNode();
    item.set("name", checkedText(group.get("name"), "name"));
    item.set("description", checkedText(group.get("description"), "description"));
    return item;
  }

  /** oslo's check_string_length as Nova's validate_property calls it: a string of at most 255 characters. */
  private static JsonNode checkedText(JsonNode value, String name) {
    if (value == null || !value.isTextual()) throw ApiError.badRequest(name + " is not a string or unicode");
    int length = value.asText().length();
    if (length > 255) {
      throw ApiError.badRequest(name + " has " + length + " characters, more than 255.");
    }
    return value;
  }

  /** Nova's _from_body: the body's object under {@code key}. */
  static JsonNode from(String body, String key) {
    JsonNode parsed = body.isBlank() ? null : Json.parseObject(body);
    if (parsed == null || parsed.isEmpty()) throw ApiError.badRequest("The request body can't be empty");
    JsonNode value = parsed.get(key);
    if (value == null || value.isNull()) throw ApiError.badRequest("Missing parameter " + key);
    if (!value.isObject()) throw ApiError.badRequest("Invalid input for field/attribute " + key + ".");
    return value;
  }

  static String validId(String id) {
    if (!Ids.isUuid(id)) throw ApiError.badRequest("Security group id should be uuid");
    return id;
  }

  private static Optional<Integer> nonNegative(Map<String, String> q, String name) {
    if (!q.containsKey(name)) return Optional.empty();
    String v = q.get(name);
    if (!v.matches("[0-9]{1,9}")) {
      throw ApiError.badRequest("Invalid input for query parameters " + name + ". Value: " + v + ". '" + v
          + "' does not match '^[0-9]*$'");
    }
    return Optional.of(Integer.parseInt(v));
  }

  /**
   * Neutron's answer, or its refusal as Nova passes it on: Neutron's message without its type,
   * with the status Nova gives each Neutron status ({@code statuses}; others unchanged).
   */
  static <T> CompletionStage<T> nova(Supplier<CompletionStage<T>> neutron, Map<Integer, Integer> statuses) {
    CompletionStage<T> answer;
    try {
      answer = neutron.get();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.handle((v, e) -> {
      if (e == null) return v;
      ApiError refused = Failures.toApiError(e);
      String message = refused.getMessage().replaceFirst("^[A-Z][A-Za-z0-9]+: ", "");
      throw new ApiError(statuses.getOrDefault(refused.status, refused.status), message);
    });
  }

  // ---------------------------------------------------------------- rules

  private CompletionStage<HttpResponse> createRule(RequestContext ctx, String body) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:rule:create");
    JsonNode asked = from(body, "security_group_rule");
    String parentId = validId(text(asked.get("parent_group_id")));
    Optional<String> groupId = Optional.ofNullable(asked.get("group_id")).filter(v -> !v.isNull())
        .map(v -> validId(v.asText()));
    return group(ctx, parentId).thenCompose(parent -> (groupId.isEmpty()
        ? CompletableFuture.completedFuture(Optional.<SecurityGroup>empty())
        : group(ctx, groupId.get()).thenApply(Optional::of)).thenCompose(source -> {
          NovaRules.Rule rule = NovaRules.asked(asked, groupId);
          if (NovaRules.exists(parent, rule)) {
            throw ApiError.badRequest("This rule already exists in group " + parent.id());
          }
          ObjectNode item = NovaRules.neutronItem(parent.id(), rule);
          return nova(() -> neutron.rulesCreated(ctx, List.of(item), true), Map.of(409, 403))
              .thenApply(made -> {
                Map<String, SecurityGroup> remote = new java.util.HashMap<>();
                source.ifPresent(s -> remote.put(s.id(), s));
                return Json.response(200, Map.of("security_group_rule", ServerSecurityGroups.novaRule(made.get(0),
                    remote)));
              });
        }));
  }

  private CompletionStage<HttpResponse> deleteRule(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-security-groups:rule:delete");
    String valid = validId(id);
    return nova(() -> neutron.visibleRule(ctx, valid), Map.of())
        .thenCompose(rule -> nova(() -> neutron.ruleRemoved(ctx, rule.id()), Map.of()))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private static String text(JsonNode v) {
    return v == null || v.isNull() ? "" : v.asText();
  }
}
