package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.compute.Placement;
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
  private static final Set<String> POLICIES = Set.of(Placement.AFFINITY, Placement.ANTI_AFFINITY);

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Policy policy;

  ServerGroupRoutes(ClusterSharding sharding, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return pathPrefix("os-server-groups", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:index");
              return groups(ctx).<ServerGroupsEntity.Groups>askWithStatus(ServerGroupsEntity.ListGroups::new, timeout)
                .thenApply(all -> {
                  ObjectNode body = Json.MAPPER.createObjectNode();
                  ArrayNode list = body.putArray("server_groups");
                  all.byId().values().forEach(g -> list.add(view(g, ctx.projectId())));
                  return Json.response(200, body);
                });
            })),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        path(PathMatchers.segment(), id -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:show");
              return find(ctx, id).thenApply(g -> one(g, ctx.projectId()));
            })),
            delete(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-server-groups:delete");
              return groups(ctx).<Done>askWithStatus(r -> new ServerGroupsEntity.Delete(id, r), timeout)
                  .thenApply(done -> HttpResponse.create().withStatus(204));
            }))))));
  }

  /** The group a create's scheduler hints name (in the caller's project), if they name one. */
  CompletionStage<Optional<Group>> hinted(RequestContext ctx, JsonNode request) {
    JsonNode hints = request.has("os:scheduler_hints") ? request.get("os:scheduler_hints")
        : request.get("OS-SCH-HNT:scheduler_hints");
    if (hints == null || hints.isNull()) return CompletableFuture.completedFuture(Optional.empty());
    if (!hints.isObject()) throw Fields.wrongType("os:scheduler_hints", hints, "object");
    JsonNode group = hints.get("group");
    if (group == null) return CompletableFuture.completedFuture(Optional.empty());
    if (!group.isTextual() || !Ids.isUuid(group.asText())) {
      throw Fields.invalid("group", group, "is not a 'uuid'");
    }
    return find(ctx, group.asText()).handle((g, e) -> {
      if (e == null) return Optional.of(g);
      if (Failures.rejection(e).kind() == Rejection.Kind.NOT_FOUND || Failures.unwrap(e) instanceof ApiError) {
        throw ApiError.badRequest("Invalid server group: " + group.asText() + " could not be found.");
      }
      throw Failures.rethrow(e);
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    policy.enforce(ctx, "os_compute_api:os-server-groups:create");
    JsonNode group = Fields.object(Json.parseObject(raw), "server_group");
    Fields.onlyKnown(group, "server_group", Set.of("name", "policies"));
    String name = Fields.name(group, "name");
    JsonNode policies = group.get("policies");
    if (policies == null) throw ApiError.badRequest("Invalid input: 'policies' is a required property");
    if (!policies.isArray()) throw Fields.wrongType("policies", policies, "array");
    if (policies.size() != 1 || !policies.get(0).isTextual() || !POLICIES.contains(policies.get(0).asText())) {
      throw Fields.invalid("policies", policies, "must hold exactly one of " + POLICIES);
    }
    Group created = new Group(UUID.randomUUID().toString(), name, policies.get(0).asText(), ctx.userId(), List.of(),
        Optional.empty());
    return groups(ctx).<Group>askWithStatus(r -> new ServerGroupsEntity.Create(created, r), timeout)
        .thenApply(g -> one(g, ctx.projectId()));
  }

  private CompletionStage<Group> find(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) throw ApiError.notFound("Instance group " + id + " could not be found.");
    return groups(ctx).askWithStatus(r -> new ServerGroupsEntity.Get(id.toLowerCase(), r), timeout);
  }

  private EntityRef<ServerGroupsEntity.Command> groups(RequestContext ctx) {
    return sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, ctx.projectId());
  }

  private static HttpResponse one(Group g, String projectId) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("server_group", view(g, projectId));
    return Json.response(200, body);
  }

  private static ObjectNode view(Group g, String projectId) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", g.id()).put("name", g.name()).put("project_id", projectId).put("user_id", g.userId());
    o.putArray("policies").add(g.policy());
    ArrayNode members = o.putArray("members");
    g.members().forEach(members::add);
    o.putObject("metadata");
    return o;
  }
}
