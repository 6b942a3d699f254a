package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import nimbus.compute.Flavor;
import nimbus.compute.FlavorCatalogEntity;
import nimbus.compute.FlavorCatalogEntity.Catalog;
import nimbus.compute.FlavorCatalogEntity.Entry;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Nova's {@code /flavors}: list, detail, show, create and delete (admin), access to private
 * flavors ({@code os-flavor-access}, {@code addTenantAccess}/{@code removeTenantAccess}) and extra
 * specs. A project sees public flavors and the private ones it has access to; admins see all.
 */
final class FlavorRoutes extends ServiceRoutes {
  private final EntityRef<FlavorCatalogEntity.Command> catalog;
  private final Duration timeout;
  private final Policy policy;

  FlavorRoutes(ClusterSharding sharding, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.catalog = sharding.entityRefFor(FlavorCatalogEntity.TYPE_KEY, FlavorCatalogEntity.ENTITY_ID);
    this.timeout = timeout;
    this.policy = policy;
  }

  /** The flavor a server of {@code ctx}'s project may be created with (400 otherwise). */
  CompletionStage<Flavor> usable(RequestContext ctx, String id) {
    return catalog().thenApply(c -> {
      Entry e = c.byId().get(id);
      if (e == null || !(e.usableBy(ctx.projectId()) || seesAll(ctx))) {
        throw ApiError.badRequest("Flavor " + id + " could not be found.");
      }
      return e.flavor();
    });
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("flavors", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, baseUrl, false))),
            post(() -> body(b -> respond(() -> create(ctx, b, baseUrl)))))),
        path("detail", () -> get(() -> respond(() -> list(ctx, baseUrl, true)))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> visible(ctx, id).thenApply(e -> one("flavor", detail(e, baseUrl))))),
                delete(() -> respond(() -> admin(ctx, "os_compute_api:os-flavor-manage:delete").thenCompose(x ->
                    catalog.<Done>askWithStatus(r -> new FlavorCatalogEntity.Delete(id, r), timeout))
                    .thenApply(d -> HttpResponse.create().withStatus(202)))))),
            path("os-extra_specs", () -> concat(
                get(() -> respond(() -> visible(ctx, id).thenApply(FlavorRoutes::specs))),
                post(() -> body(b -> respond(() -> setSpecs(ctx, id, b)))))),
            path("os-flavor-access", () -> get(() -> respond(() -> admin(ctx, "os_compute_api:os-flavor-access")
                .thenCompose(x -> visible(ctx, id)).thenApply(FlavorRoutes::access)))),
            path("action", () -> post(() -> body(b -> respond(() -> action(ctx, id, b)))))))));
  }

  private CompletionStage<Catalog> catalog() {
    return catalog.askWithStatus(FlavorCatalogEntity.Get::new, timeout);
  }

  private CompletionStage<Entry> visible(RequestContext ctx, String id) {
    return catalog().thenApply(c -> {
      Entry e = c.byId().get(id);
      if (e == null || !(seesAll(ctx) || e.usableBy(ctx.projectId()))) {
        throw ApiError.notFound("Flavor " + id + " could not be found.");
      }
      return e;
    });
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, String baseUrl, boolean detail) {
    return catalog().thenApply(c -> {
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode flavors = body.putArray("flavors");
      boolean all = seesAll(ctx);
      c.sorted().stream().filter(e -> all || e.usableBy(ctx.projectId()))
          .forEach(e -> flavors.add(detail ? detail(e, baseUrl) : summary(e.flavor(), baseUrl)));
      return Json.response(200, body);
    });
  }

  /** Nova shows private flavors to admins (its context's is_admin). */
  private boolean seesAll(RequestContext ctx) {
    return policy.allows(ctx, "context_is_admin");
  }

  private CompletionStage<Void> admin(RequestContext ctx, String rule) {
    policy.enforce(ctx, rule);
    return java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text, String baseUrl) {
    return admin(ctx, "os_compute_api:os-flavor-manage:create").thenCompose(x -> {
      JsonNode in = Fields.object(Json.parseObject(text), "flavor");
      Fields.onlyKnown(in, "flavor", Set.of("name", "ram", "vcpus", "disk", "id", "swap", "rxtx_factor",
          "OS-FLV-EXT-DATA:ephemeral", "os-flavor-access:is_public", "description"));
      String name = Fields.name(in, "name");
      String id = Fields.optionalString(in, "id", 255).orElse(UUID.randomUUID().toString());
      Flavor flavor = new Flavor(id, name, positive(in, "vcpus", 1), positive(in, "ram", 1), positive(in, "disk", 0));
      boolean isPublic = !in.has("os-flavor-access:is_public") || in.get("os-flavor-access:is_public").asBoolean(true);
      Entry entry = new Entry(flavor, isPublic, Set.of(), Map.of());
      return catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.Create(entry, r), timeout)
          .thenApply(e -> one("flavor", detail(e, baseUrl)));
    });
  }

  private static int positive(JsonNode in, String field, int min) {
    JsonNode n = in.get(field);
    if (n == null) throw ApiError.badRequest("Invalid input: '" + field + "' is a required property");
    int v;
    if (n.isIntegralNumber()) {
      v = Fields.intValue(field, n);
    } else if (n.isTextual() && n.asText().matches("[0-9]{1,9}")) {
      v = Integer.parseInt(n.asText());
    } else {
      throw Fields.wrongType(field, n, "integer, string");
    }
    if (v < min) throw Fields.invalid(field, n, v + " is less than the minimum of " + min);
    return v;
  }

  private CompletionStage<HttpResponse> setSpecs(RequestContext ctx, String id, String text) {
    return admin(ctx, "os_compute_api:os-flavor-extra-specs:create").thenCompose(x -> {
      JsonNode specs = Fields.object(Json.parseObject(text), "extra_specs");
      Map<String, String> values = Fields.metadata(Json.MAPPER.createObjectNode().set("extra_specs", specs), "extra_specs");
      return catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.SetExtraSpecs(id, values, r), timeout)
          .thenApply(FlavorRoutes::specs);
    });
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String text) {
    JsonNode body = Json.parseObject(text);
    boolean grant = body.has("addTenantAccess");
    if (!grant && !body.has("removeTenantAccess")) throw ApiError.badRequest("There is no such action");
    JsonNode args = Fields.object(body, grant ? "addTenantAccess" : "removeTenantAccess");
    String project = Fields.requiredString(args, "tenant", 255);
    Function<ActorRef<StatusReply<Entry>>, FlavorCatalogEntity.Command> command =
        r -> new FlavorCatalogEntity.Access(id, project, grant, r);
    String rule = "os_compute_api:os-flavor-access:" + (grant ? "add_tenant_access" : "remove_tenant_access");
    return admin(ctx, rule).thenCompose(x -> catalog.<Entry>askWithStatus(command::apply, timeout))
        .thenApply(FlavorRoutes::access);
  }

  private static HttpResponse access(Entry e) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode list = body.putArray("flavor_access");
    e.projects().stream().sorted().forEach(p -> list.addObject().put("flavor_id", e.flavor().id()).put("tenant_id", p));
    return Json.response(200, body);
  }

  private static HttpResponse specs(Entry e) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("extra_specs", Json.MAPPER.valueToTree(e.extraSpecs()));
    return Json.response(200, body);
  }

  private static HttpResponse one(String key, ObjectNode view) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set(key, view);
    return Json.response(200, body);
  }

  private static ObjectNode summary(Flavor f, String baseUrl) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", f.id()).put("name", f.name());
    o.set("links", ServerJson.links(baseUrl, "flavors", f.id()));
    return o;
  }

  private static ObjectNode detail(Entry e, String baseUrl) {
    Flavor f = e.flavor();
    ObjectNode o = summary(f, baseUrl);
    o.put("ram", f.ramMb()).put("vcpus", f.vcpus()).put("disk", f.diskGb())
        .put("OS-FLV-EXT-DATA:ephemeral", 0).put("swap", "").put("rxtx_factor", 1.0)
        .put("os-flavor-access:is_public", e.isPublic()).put("OS-FLV-DISABLED:disabled", false);
    return o;
  }
}
