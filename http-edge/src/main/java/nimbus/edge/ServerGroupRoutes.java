package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerGroupsEntity;
import nimbus.compute.ServerGroupsEntity.Group;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's {@code os-server-groups} (microversion 2.1 shapes: a {@code policies} list of one),
 * and the {@code group} scheduler hint a server create names one with. Groups belong to their
 * project.
 */
final class ServerGroupRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("server-group-create");

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Policy policy;

  ServerGroupRoutes(ClusterSharding sharding, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx, Microversion version) {
    return pathPrefix("os-server-groups", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:index");
              return groups(ctx).<ServerGroupsEntity.Groups>askWithStatus(ServerGroupsEntity.ListGroups::new, timeout)
                .thenApply(all -> {
                  return Json.response(200, Map.of("server_groups",
                      all.byId().values().stream().map(g -> view(g, ctx.projectId(), version)).toList()));
                });
            })),
            post(() -> body(b -> respond(() -> create(ctx, b, version)))))),
        path(PathMatchers.segment(), id -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:show");
              return find(ctx, id).thenApply(g -> one(g, ctx.projectId(), version));
            })),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:delete");
              return groups(ctx).<Done>askWithStatus(r -> new ServerGroupsEntity.Delete(id, r), timeout)
                  .thenApply(done -> HttpResponse.create().withStatus(204));
            }))))));
  }

  /** The group a create's scheduler hints name (in the caller's project), if they name one. */
  CompletionStage<Optional<Group>> hinted(RequestContext ctx, JsonNode request) {
    // checked by server-create.json: hints are an object, a group is a uuid
    JsonNode hints = request.has("os:scheduler_hints") ? request.get("os:scheduler_hints")
        : request.path("OS-SCH-HNT:scheduler_hints");
    JsonNode group = hints.get("group");
    if (group == null) return CompletableFuture.completedFuture(Optional.empty());
    return find(ctx, group.asText()).handle((g, e) -> {
      if (e == null) return Optional.of(g);
      if (Failures.rejection(e).kind() == Rejection.Kind.NOT_FOUND || Failures.unwrap(e) instanceof ApiError) {
        throw ApiError.badRequest("Invalid server group: " + group.asText() + " could not be found.");
      }
      throw Failures.rethrow(e);
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw, Microversion version) {
    policy.enforce(ctx, "os_compute_api:os-server-groups:create");
    JsonNode group = CREATE.validate(Json.parseObject(raw)).get("server_group");
    String name = group.get("name").asText();
    String policyName = group.get("policies").get(0).asText(); // as Placement names them
    if (policyName.startsWith("soft-") && !version.atLeast("2.15")) {
      // the soft policies are 2.15's; before, Nova's schema knows only the two others
      throw ApiError.badRequest("Invalid input for field/attribute 0. Value: " + policyName
          + ". '" + policyName + "' is not one of ['anti-affinity', 'affinity']");
    }
    Group created = new Group(UUID.randomUUID().toString(), name, policyName, ctx.userId(), List.of(),
        Optional.empty());
    return groups(ctx).<Group>askWithStatus(r -> new ServerGroupsEntity.Create(created, r), timeout)
        .thenApply(g -> one(g, ctx.projectId(), version));
  }

  private CompletionStage<Group> find(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) throw ApiError.notFound("Instance group " + id + " could not be found.");
    return groups(ctx).askWithStatus(r -> new ServerGroupsEntity.Get(id.toLowerCase(), r), timeout);
  }

  private EntityRef<ServerGroupsEntity.Command> groups(RequestContext ctx) {
    return sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, ctx.projectId());
  }

  /** A server group (its policies as a list, as up to 2.63); its owners only from 2.13, as Nova. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record View(String id, String name, @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> projectId,
      @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> userId, List<String> policies,
      List<String> members, Map<String, String> metadata) {}

  private static HttpResponse one(Group g, String projectId, Microversion version) {
    return Json.response(200, Map.of("server_group", view(g, projectId, version)));
  }

  static View view(Group g, String projectId, Microversion version) {
    boolean owners = version.atLeast("2.13");
    return new View(g.id(), g.name(), Optional.of(projectId).filter(p -> owners),
        Optional.of(g.userId()).filter(u -> owners), List.of(g.policy()), g.members(), Map.of());
  }
}
