package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import nimbus.edge.identity.IdentityService;
import nimbus.network.NetworkQuotaEntity;
import nimbus.network.NetworkQuotaEntity.Quota;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's quotas (quotas and quota_details): a project's limits, its usage, the defaults; an
 * admin sets and resets them and lists the projects whose limits differ from the defaults. The
 * limits are those Nimbus counts (network, subnet, port, subnetpool, security_group,
 * security_group_rule), held and enforced by each
 * project's {@link NetworkQuotaEntity}.
 */
final class NeutronQuotaRoutes extends ServiceRoutes {
  private static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final RequestSchema UPDATE = RequestSchema.named("neutron-quota-update");
  private static final List<String> OPTIONS = List.of("force", "check_limit");

  private final ClusterSharding sharding;
  private final IdentityService identity;
  private final Duration timeout;
  private final NeutronPolicy policy;

  NeutronQuotaRoutes(ClusterSharding sharding, IdentityService identity, Duration timeout, NeutronPolicy policy) {
    super(NeutronErrors::response);
    this.sharding = sharding;
    this.identity = identity;
    this.timeout = timeout;
    this.policy = policy;
  }

  /** One usage of quota_details. */
  record Usage(int limit, int used, int reserved) {}

  Route route(RequestContext ctx) {
    return pathPrefix("quotas", () -> concat(
        pathEnd(() -> concat(
            get(() -> respond(() -> all(ctx))),
            post(() -> complete(NeutronErrors.response(501, "Not implemented"))))),
        path("project", () -> get(() -> complete(Json.response(200,
            Map.of("project", Map.of("project_id", ctx.projectId())))))),
        path("tenant", () -> get(() -> complete(Json.response(200,
            Map.of("tenant", Map.of("tenant_id", ctx.projectId())))))),
        pathPrefix(PathMatchers.segment(), project -> projectId(project, () -> concat(
            pathEnd(() -> concat(
                get(() -> respond(() -> readable(ctx, project).thenApply(q -> limits(q.effective())))),
                put(() -> body(b -> respond(() -> update(ctx, project, b)))),
                delete(() -> respond(() -> reset(ctx, project))))),
            path("default", () -> get(() -> respond(() -> readable(ctx, project)
                .thenApply(q -> limits(q.defaults()))))),
            path("details", () -> get(() -> respond(() -> readable(ctx, project).thenApply(q -> {
              Map<String, Usage> usage = new TreeMap<>();
              q.effective().forEach((kind, limit) -> usage.put(kind, new Usage(limit, q.used(kind), 0)));
              return Json.response(200, Map.of("quota", usage));
            })))))))));
  }

  /** The quota's entity is named by the project id: only ids Keystone could have made. */
  private Route projectId(String project, Supplier<Route> inner) {
    return PROJECT_ID.matcher(project).matches() ? inner.get()
        : complete(NeutronErrors.response(400, "HTTPBadRequest: Invalid project id " + project));
  }

  private EntityRef<NetworkQuotaEntity.Command> entity(String project) {
    return sharding.entityRefFor(NetworkQuotaEntity.TYPE_KEY, project);
  }

  private CompletionStage<Quota> quota(String project) {
    return entity(project).askWithStatus(NetworkQuotaEntity.Get::new, timeout);
  }

  private CompletionStage<Quota> readable(RequestContext ctx, String project) {
    policy.enforce(ctx, "get_quota", Map.of("project_id", project, "tenant_id", project));
    return quota(project);
  }

  private static HttpResponse limits(Map<String, Integer> limits) {
    return Json.response(200, Map.of("quota", new TreeMap<>(limits)));
  }

  /** Projects with limits of their own (Keystone's projects, each asked). */
  private CompletionStage<HttpResponse> all(RequestContext ctx) {
    // every project's: no project is the caller's own, so only admins pass
    policy.enforce(ctx, "get_quota", Map.of("project_id", ""));
    return identity.directory().thenCompose(d -> {
      List<CompletableFuture<Map<String, Object>>> asked = new ArrayList<>();
      for (String project : new TreeMap<>(d.projects()).keySet()) {
        asked.add(quota(project).thenApply(q -> {
          if (q.limits().isEmpty()) return (Map<String, Object>) null;
          Map<String, Object> row = new LinkedHashMap<>(new TreeMap<>(q.effective()));
          row.put("project_id", project);
          row.put("tenant_id", project);
          return row;
        }).toCompletableFuture());
      }
      return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> Json.response(200,
          Map.of("quotas", asked.stream().map(CompletableFuture::join).filter(r -> r != null).toList())));
    });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String project, String raw) {
    policy.enforce(ctx, "update_quota", Map.of("project_id", project));
    JsonNode body = Json.parseObject(raw);
    JsonNode quota = body.get("quota");
    if (quota != null && quota.isObject()) {
      List<String> unknown = new ArrayList<>();
      quota.fieldNames().forEachRemaining(k -> {
        if (!OPTIONS.contains(k) && !List.of("network", "subnet", "port", "subnetpool", "security_group",
            "security_group_rule", "router", "floatingip").contains(k)) unknown.add(k);
      });
      if (!unknown.isEmpty()) {
        throw NeutronErrors.badRequest("Unrecognized attribute(s) '" + String.join(", ", unknown) + "'");
      }
    }
    UPDATE.validateAsNeutron(body);
    Map<String, Integer> limits = new LinkedHashMap<>();
    quota.fields().forEachRemaining(e -> {
      if (!OPTIONS.contains(e.getKey())) {
        limits.put(e.getKey(), (int) NeutronResourceRoutes.integer(quota, e.getKey(), -1, Integer.MAX_VALUE));
      }
    });
    boolean checkLimit = NeutronResourceRoutes.bool(quota, "check_limit", false);
    return quota(project).thenCompose(q -> {
      if (checkLimit) {
        for (var l : limits.entrySet()) {
          if (l.getValue() >= 0 && l.getValue() < q.used(l.getKey())) {
            throw NeutronErrors.invalidInput("Quota limit " + l.getValue() + " for " + l.getKey()
                + " must be greater than or equal to already used and reserved " + q.used(l.getKey()));
          }
        }
      }
      return entity(project).<Quota>askWithStatus(r -> new NetworkQuotaEntity.SetLimits(limits, r), timeout);
    }).thenApply(q -> limits(q.effective()));
  }

  private CompletionStage<HttpResponse> reset(RequestContext ctx, String project) {
    policy.enforce(ctx, "delete_quota", Map.of("project_id", project));
    return quota(project).thenCompose(q -> {
      if (q.limits().isEmpty()) {
        throw NeutronErrors.error(404, "TenantQuotaNotFound", "Quota for tenant " + project + " could not be found.");
      }
      return entity(project).<Quota>askWithStatus(NetworkQuotaEntity.ResetLimits::new, timeout);
    }).thenApply(q -> HttpResponse.create().withStatus(204));
  }
}
