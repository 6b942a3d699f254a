package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
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
                put(() -> body(b -> respond(() -> update(ctx, project, b)))))),
            path("defaults", () -> get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-quota-sets:defaults");
              return quota(project).thenApply(q -> set(project, q.defaults()));
            }))))))));
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
    JsonNode in = Fields.object(Json.parseObject(text), "quota_set");
    Fields.onlyKnown(in, "quota_set", Set.of("instances", "cores", "ram", "force", "metadata_items", "key_pairs",
        "server_groups", "server_group_members", "injected_files", "injected_file_content_bytes",
        "injected_file_path_bytes"));
    return quota(project).thenCompose(q -> {
      Limits now = q.effective();
      Limits next = new Limits(limit(in, "instances", now.instances()), limit(in, "cores", now.cores()),
          limit(in, "ram", now.ramMb()));
      return entity(project).<Quota>askWithStatus(r -> new ProjectQuotaEntity.SetLimits(next, r), timeout)
          .thenApply(saved -> set(project, saved.effective()));
    });
  }

  private static int limit(JsonNode in, String field, int otherwise) {
    JsonNode n = in.get(field);
    if (n == null) return otherwise;
    if (!n.isIntegralNumber() && !(n.isTextual() && n.asText().matches("-?[0-9]{1,9}"))) {
      throw Fields.wrongType(field, n, "integer, string");
    }
    int v = n.isIntegralNumber() ? Fields.intValue(field, n) : n.asInt();
    if (v < -1) throw Fields.invalid(field, n, v + " is less than the minimum of -1");
    return v == -1 ? Integer.MAX_VALUE : v; // -1 is Nova's "unlimited"
  }

  private static HttpResponse set(String project, Limits l) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putObject("quota_set").put("id", project).put("instances", shown(l.instances()))
        .put("cores", shown(l.cores())).put("ram", shown(l.ramMb())).put("metadata_items", 128)
        .put("key_pairs", 100).put("server_groups", 10).put("server_group_members", 10)
        .put("injected_files", 5).put("injected_file_content_bytes", 10240).put("injected_file_path_bytes", 255);
    return Json.response(200, body);
  }

  private static int shown(int limit) {
    return limit == Integer.MAX_VALUE ? -1 : limit;
  }

  private static HttpResponse limits(Quota q) {
    Limits l = q.effective();
    ObjectNode body = Json.MAPPER.createObjectNode();
    ObjectNode limits = body.putObject("limits");
    limits.putArray("rate");
    limits.putObject("absolute")
        .put("maxTotalInstances", shown(l.instances())).put("maxTotalCores", shown(l.cores()))
        .put("maxTotalRAMSize", shown(l.ramMb())).put("totalInstancesUsed", q.instancesUsed())
        .put("totalCoresUsed", q.used().vcpus()).put("totalRAMUsed", q.used().ramMb())
        .put("maxServerMeta", 128).put("maxImageMeta", 128).put("maxPersonality", 5)
        .put("maxPersonalitySize", 10240).put("maxTotalKeypairs", 100).put("maxServerGroups", 10)
        .put("maxServerGroupMembers", 10).put("totalServerGroupsUsed", 0);
    return Json.response(200, body);
  }
}
