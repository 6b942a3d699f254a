package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  private static final RequestSchema CREATE = RequestSchema.named("flavor-create");
  private static final RequestSchema EXTRA_SPECS = RequestSchema.named("flavor-extra-specs-create");
  private static final RequestSchema EXTRA_SPEC = RequestSchema.named("flavor-extra-specs-update");
  private static final RequestSchema GRANT = RequestSchema.named("flavor-action-addTenantAccess");
  private static final RequestSchema REVOKE = RequestSchema.named("flavor-action-removeTenantAccess");

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
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, baseUrl, false)))),
            post(() -> body(b -> respond(() -> create(ctx, b, baseUrl)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, baseUrl, true))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> visible(ctx, id).thenApply(e -> one("flavor", detail(e, baseUrl))))),
                delete(() -> respond(() -> admin(ctx, "os_compute_api:os-flavor-manage:delete").thenCompose(x ->
                    catalog.<Done>askWithStatus(r -> new FlavorCatalogEntity.Delete(id, r), timeout))
                    .thenApply(d -> HttpResponse.create().withStatus(202)))))),
            pathPrefix("os-extra_specs", () -> concat(
                pathEndOrSingleSlash(() -> concat(
                    get(() -> respond(() -> visible(ctx, id).thenApply(FlavorRoutes::specs))),
                    post(() -> body(b -> respond(() -> setSpecs(ctx, id, b)))))),
                path(PathMatchers.segment(), key -> concat(
                    get(() -> respond(() -> spec(ctx, id, key))),
                    put(() -> body(b -> respond(() -> setSpec(ctx, id, key, b)))),
                    delete(() -> respond(() -> unsetSpec(ctx, id, key))))))),
            path("os-flavor-access", () -> get(() -> respond(() -> admin(ctx, "os_compute_api:os-flavor-access")
                .thenCompose(x -> visible(ctx, id)).thenApply(FlavorRoutes::accessList)))),
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

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q, String baseUrl,
      boolean detail) {
    FlavorQuery query = FlavorQuery.of(q, ctx.projectId(), seesAll(ctx));
    return catalog().thenApply(c -> {
      List<Entry> page = query.run(c);
      List<Object> flavors = new ArrayList<>();
      page.forEach(e -> flavors.add(detail ? detail(e, baseUrl) : summary(e.flavor(), baseUrl)));
      Map<String, Object> body = new java.util.LinkedHashMap<>();
      body.put("flavors", flavors);
      if (!page.isEmpty() && page.size() == query.limit()) { // Nova's next link: a full page may have a next
        body.put("flavors_links", List.of(new Link("next", baseUrl + "/v2.1/flavors" + (detail ? "/detail" : "")
            + "?limit=" + query.limit() + "&marker="
            + java.net.URLEncoder.encode(page.get(page.size() - 1).flavor().id(), java.nio.charset.StandardCharsets.UTF_8))));
      }
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
      JsonNode in = CREATE.validate(Json.parseObject(text)).get("flavor");
      String name = in.get("name").asText();
      String id = Fields.text(in, "id").orElse(UUID.randomUUID().toString());
      Flavor flavor = new Flavor(id, name, Fields.integer(in, "vcpus").orElseThrow(),
          Fields.integer(in, "ram").orElseThrow(), Fields.integer(in, "disk").orElseThrow());
      boolean isPublic = !in.has("os-flavor-access:is_public") || Fields.isTrue(in, "os-flavor-access:is_public");
      Entry entry = new Entry(flavor, isPublic, Set.of(), Map.of());
      return catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.Create(entry, r), timeout)
          .thenApply(e -> one("flavor", detail(e, baseUrl)));
    });
  }

  private CompletionStage<HttpResponse> setSpecs(RequestContext ctx, String id, String text) {
    return admin(ctx, "os_compute_api:os-flavor-extra-specs:create").thenCompose(x -> {
      Map<String, String> values = Fields.metadata(EXTRA_SPECS.validate(Json.parseObject(text)), "extra_specs");
      return catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.SetExtraSpecs(id, values, r), timeout)
          .thenApply(FlavorRoutes::specs);
    });
  }

  /** Nova's one extra spec: {@code {key: value}}. */
  private CompletionStage<HttpResponse> spec(RequestContext ctx, String id, String key) {
    policy.enforce(ctx, "os_compute_api:os-flavor-extra-specs:show");
    return visible(ctx, id).thenApply(e -> {
      String value = e.extraSpecs().get(key);
      if (value == null) throw ApiError.notFound(FlavorCatalogEntity.noSuchSpec(id, key));
      return Json.response(200, Map.of(key, value));
    });
  }

  /** Sets one extra spec: the body is that one item, its key the path's (Nova's update). */
  private CompletionStage<HttpResponse> setSpec(RequestContext ctx, String id, String key, String text) {
    return admin(ctx, "os_compute_api:os-flavor-extra-specs:update").thenCompose(x -> {
      JsonNode item = EXTRA_SPEC.validate(Json.parseObject(text));
      if (!item.has(key)) throw ApiError.badRequest("Request body and URI mismatch");
      Map<String, String> value = Map.of(key, item.get(key).asText());
      return catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.SetExtraSpecs(id, value, r), timeout)
          .thenApply(e -> Json.response(200, value));
    });
  }

  /** Nova answers the delete of an extra spec with 200 and no body. */
  private CompletionStage<HttpResponse> unsetSpec(RequestContext ctx, String id, String key) {
    return admin(ctx, "os_compute_api:os-flavor-extra-specs:delete").thenCompose(x ->
        catalog.<Entry>askWithStatus(r -> new FlavorCatalogEntity.UnsetExtraSpec(id, key, r), timeout))
        .thenApply(e -> HttpResponse.create().withStatus(200));
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String text) {
    JsonNode body = Json.parseObject(text);
    boolean grant = body.has("addTenantAccess");
    if (!grant && !body.has("removeTenantAccess")) throw ApiError.badRequest("There is no such action");
    String project = (grant ? GRANT : REVOKE).validate(body).path(grant ? "addTenantAccess" : "removeTenantAccess")
        .get("tenant").asText();
    Function<ActorRef<StatusReply<Entry>>, FlavorCatalogEntity.Command> command =
        r -> new FlavorCatalogEntity.Access(id, project, grant, r);
    String rule = "os_compute_api:os-flavor-access:" + (grant ? "add_tenant_access" : "remove_tenant_access");
    return admin(ctx, rule).thenCompose(x -> catalog.<Entry>askWithStatus(command::apply, timeout))
        .thenApply(FlavorRoutes::access);
  }

  /** A flavor in lists: id, name, links. */
  record Summary(String id, String name, List<Link> links) {}

  /** A flavor in full (microversion 2.1). */
  record Detail(String id, String name, List<Link> links, int ram, int vcpus, int disk,
      @JsonProperty("OS-FLV-EXT-DATA:ephemeral") int ephemeral, String swap,
      @JsonProperty("rxtx_factor") double rxtxFactor, @JsonProperty("os-flavor-access:is_public") boolean isPublic,
      @JsonProperty("OS-FLV-DISABLED:disabled") boolean disabled) {}

  record Access(@JsonProperty("flavor_id") String flavorId, @JsonProperty("tenant_id") String tenantId) {}

  /** A public flavor has no access list: Nova answers 404. */
  private static HttpResponse accessList(Entry e) {
    if (e.isPublic()) return NovaErrors.response(404, "Access list not available for public flavors.");
    return access(e);
  }

  private static HttpResponse access(Entry e) {
    return Json.response(200, Map.of("flavor_access",
        e.projects().stream().sorted().map(p -> new Access(e.flavor().id(), p)).toList()));
  }

  private static HttpResponse specs(Entry e) {
    return Json.response(200, Map.of("extra_specs", e.extraSpecs()));
  }

  private static HttpResponse one(String key, Object view) {
    return Json.response(200, Map.of(key, view));
  }

  private static Summary summary(Flavor f, String baseUrl) {
    return new Summary(f.id(), f.name(), ServerJson.links(baseUrl, "flavors", f.id()));
  }

  private static Detail detail(Entry e, String baseUrl) {
    Flavor f = e.flavor();
    return new Detail(f.id(), f.name(), ServerJson.links(baseUrl, "flavors", f.id()), f.ramMb(), f.vcpus(),
        f.diskGb(), 0, "", 1.0, e.isPublic(), false);
  }
}
