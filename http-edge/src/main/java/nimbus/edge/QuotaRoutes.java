package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import nimbus.compute.ProjectQuotaEntity;
import nimbus.compute.ProjectQuotaEntity.Limits;
import nimbus.compute.ProjectQuotaEntity.Quota;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's compute quotas: {@code GET /limits} (the caller's project), and
 * {@code os-quota-sets/{project}} (show: the project's own or an admin; update: admins).
 * Instances, cores and RAM are enforced when servers are created.
 */
final class QuotaRoutes extends ServiceRoutes {
  private static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final RequestSchema UPDATE = RequestSchema.named("quota-set-update");

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Policy policy;

  QuotaRoutes(ClusterSharding sharding, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return concat(
        path("limits", () -> get(() -> respond(() -> {
          policy.enforce(ctx, "os_compute_api:limits");
          return quota(ctx.projectId()).thenApply(QuotaRoutes::limits);
        }))),
        pathPrefix("os-quota-sets", () -> pathPrefix(PathMatchers.segment(), project -> projectId(project, () -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> readable(ctx, project).thenApply(q -> set(project, q.effective())))),
                put(() -> body(b -> respond(() -> update(ctx, project, b)))),
                delete(() -> respond(() -> delete(ctx, project))))),
            path("defaults", () -> get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-quota-sets:defaults");
              return quota(project).thenApply(q -> set(project, q.defaults()));
            }))))))),
        // the default class is the cloud's defaults, the same in every project's quota; changing
        // them is the operator's configuration (no PUT yet)
        path(PathMatchers.segment("os-quota-class-sets").slash("default"), () -> get(() -> respond(() -> {
          policy.enforce(ctx, "os_compute_api:os-quota-class-sets:show");
          return quota(ctx.projectId()).thenApply(q -> Json.response(200,
              Map.of("quota_class_set", ClassSet.of(q.defaults()))));
        }))));
  }

  /**
   * A project id as Keystone makes them (at most 64 letters, digits, '-' and '_'): it names the
   * quota's entity, whose journal cannot hold a longer id or a NUL (the save failed, and the
   * request ended in a 503 when its ask timed out).
   */
  private Route projectId(String project, Supplier<Route> inner) {
    return PROJECT_ID.matcher(project).matches() ? inner.get()
        : complete(NovaErrors.response(400, "Invalid project id: at most 64 letters, digits, '-' and '_'."));
  }

  private EntityRef<ProjectQuotaEntity.Command> entity(String project) {
    return sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, project);
  }

  private CompletionStage<Quota> quota(String project) {
    return entity(project).askWithStatus(ProjectQuotaEntity.Get::new, timeout);
  }

  private CompletionStage<Quota> readable(RequestContext ctx, String project) {
    policy.enforce(ctx, "os_compute_api:os-quota-sets:show", Map.of("project_id", project));
    return quota(project);
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String project, String text) {
    policy.enforce(ctx, "os_compute_api:os-quota-sets:update", Map.of("project_id", project));
    JsonNode in = UPDATE.validate(Json.parseObject(text)).get("quota_set");
    return quota(project).thenCompose(q -> {
      Limits now = q.effective();
      Limits next = new Limits(limit(in, "instances", now.instances()), limit(in, "cores", now.cores()),
          limit(in, "ram", now.ramMb()));
      return entity(project).<Quota>askWithStatus(r -> new ProjectQuotaEntity.SetLimits(next, r), timeout)
          .thenApply(saved -> Json.response(200, Map.of("quota_set", QuotaValues.of(saved.effective()))));
    });
  }

  /** Nova's quota set delete: the project is back to the cloud's defaults (202, no body). */
  private CompletionStage<HttpResponse> delete(RequestContext ctx, String project) {
    policy.enforce(ctx, "os_compute_api:os-quota-sets:delete", Map.of("project_id", project));
    return entity(project).<Quota>askWithStatus(ProjectQuotaEntity.ClearLimits::new, timeout)
        .thenApply(cleared -> HttpResponse.create().withStatus(202));
  }

  private static int limit(JsonNode in, String field, int otherwise) {
    return Fields.integer(in, field).map(v -> v == -1 ? Integer.MAX_VALUE : v).orElse(otherwise); // -1 is Nova's "unlimited"
  }

  /**
   * Nova's nova-network quotas (fixed and floating IPs, security groups and their rules), still in
   * its 2.1 answers up to 2.35: -1, as Nova answers them now (no limit it keeps or enforces).
   */
  private static final int NOVA_NETWORK = -1;

  /** A project's quota set (microversion 2.1). */
  record QuotaSet(String id, @JsonUnwrapped QuotaValues values) {}

  /** A quota set's values; an update answers them alone, without the set's {@code id}, as Nova's. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record QuotaValues(int instances, int cores, int ram, int floatingIps, int fixedIps, int metadataItems,
      int keyPairs, int securityGroups, int securityGroupRules, int serverGroups, int serverGroupMembers,
      int injectedFiles, int injectedFileContentBytes, int injectedFilePathBytes) {
    static QuotaValues of(Limits l) {
      return new QuotaValues(shown(l.instances()), shown(l.cores()), shown(l.ramMb()), NOVA_NETWORK, NOVA_NETWORK,
          128, 100, NOVA_NETWORK, NOVA_NETWORK, 10, 10, 5, 10240, 255);
    }
  }

  /** The default quota class (2.1: as a quota set, without the server group quotas, as Nova). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ClassSet(String id, int instances, int cores, int ram, int floatingIps, int fixedIps, int metadataItems,
      int keyPairs, int securityGroups, int securityGroupRules, int injectedFiles, int injectedFileContentBytes,
      int injectedFilePathBytes) {
    static ClassSet of(Limits l) {
      return new ClassSet("default", shown(l.instances()), shown(l.cores()), shown(l.ramMb()), NOVA_NETWORK,
          NOVA_NETWORK, 128, 100, NOVA_NETWORK, NOVA_NETWORK, 5, 10240, 255);
    }
  }

  /** The absolute limits and what the project uses of them. */
  record Absolute(int maxTotalInstances, int maxTotalCores, int maxTotalRAMSize, int totalInstancesUsed,
      int totalCoresUsed, int totalRAMUsed, int maxServerMeta, int maxImageMeta, int maxPersonality,
      int maxPersonalitySize, int maxTotalKeypairs, int maxServerGroups, int maxServerGroupMembers,
      int totalServerGroupsUsed, int maxTotalFloatingIps, int totalFloatingIpsUsed, int maxSecurityGroups,
      int totalSecurityGroupsUsed, int maxSecurityGroupRules) {}

  record LimitsView(List<Object> rate, Absolute absolute) {}

  private static HttpResponse set(String project, Limits l) {
    return Json.response(200, Map.of("quota_set", new QuotaSet(project, QuotaValues.of(l))));
  }

  private static int shown(int limit) {
    return limit == Integer.MAX_VALUE ? -1 : limit;
  }

  private static HttpResponse limits(Quota q) {
    Limits l = q.effective();
    return Json.response(200, Map.of("limits", new LimitsView(List.of(), new Absolute(shown(l.instances()),
        shown(l.cores()), shown(l.ramMb()), q.instancesUsed(), q.used().vcpus(), q.used().ramMb(), 128, 128, 5,
        10240, 100, 10, 10, 0, NOVA_NETWORK, 0, NOVA_NETWORK, 0, NOVA_NETWORK))));
  }
}
