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
import nimbus.network.SubnetPool;
import nimbus.network.SubnetPoolEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's subnet pools ({@code subnet_allocation}, {@code default-subnetpools}): create (one or
 * in bulk), list, show, update, delete. A pool is its project's; a shared one (only admins share
 * or make a default one) is seen and used by every project but changed by its own only. Subnets
 * take CIDRs from it through their network ({@link SubnetRoutes}); its entity keeps them apart.
 */
final class SubnetPoolRoutes extends NeutronResourceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("subnetpool-create");
  private static final RequestSchema UPDATE = RequestSchema.named("subnetpool-update");

  private final NeutronTags tags;

  SubnetPoolRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy) {
    super(sharding, listing, blocking, timeout, policy);
    this.tags = new NeutronTags((ctx, id) -> visible(ctx, id).thenApply(SubnetPool::tags),
        (ctx, id, next) -> owned(ctx, id, "update_subnetpool", Json.MAPPER.createObjectNode())
            .thenCompose(p -> change(p.id(), new SubnetPool.Changes(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), false, Optional.of(next))))
            .thenApply(SubnetPool::tags));
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("subnetpools", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/subnetpools")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> {
                  NeutronQuery query = NeutronQuery.parse(q, SubnetPoolJson.ATTRIBUTES, Set.of());
                  return visible(ctx, id).thenApply(p -> one(200, "subnetpool", query.fieldsOf(SubnetPoolJson.view(p))));
                }))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> owned(ctx, id, "delete_subnetpool", Json.MAPPER.createObjectNode())
                    .thenCompose(p -> entity(p.id()).<Done>askWithStatus(SubnetPoolEntity.Delete::new, timeout))
                    .thenApply(d -> HttpResponse.create().withStatus(204)))))),
            tags.route(ctx, id)))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, SubnetPoolJson.ATTRIBUTES, Set.of());
    Map<String, List<String>> tagFilters = tagFilters(q);
    var query = q.listing(viewer(ctx), attributes(SubnetPoolJson::view), tagFilters.isEmpty() ? Optional.empty()
        : Optional.of((SubnetPool p) -> tagsMatch(p.tags(), tagFilters)));
    return listed(() -> listing.subnetPools(query)).thenApply(pools -> page("subnetpools",
        pools.stream().map(p -> q.fieldsOf(SubnetPoolJson.view(p))).toList(), q, url));
  }

  /** The pool, if it exists and the caller may see it (its own, or shared); otherwise as absent. */
  CompletionStage<SubnetPool> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound(id));
    return entity(id).<SubnetPool>askWithStatus(SubnetPoolEntity.Get::new, timeout).thenApply(p -> {
      if (!policy.allows(ctx, "get_subnetpool", SubnetPoolJson.target(p))) throw notFound(id);
      return p;
    });
  }

  private CompletionStage<SubnetPool> owned(RequestContext ctx, String id, String action, JsonNode set) {
    return visible(ctx, id).thenApply(p -> {
      policy.enforceChange(ctx, action, "get_subnetpool", SubnetPoolJson.target(p), set,
          SubnetPoolJson.ATTRIBUTES.names(), "SubnetPoolNotFound: Subnet pool " + id + " could not be found.");
      return p;
    });
  }

  static ApiError notFound(String id) {
    return notFound("SubnetPoolNotFound", "Subnet pool", id);
  }

  private EntityRef<SubnetPoolEntity.Command> entity(String id) {
    return sharding.entityRefFor(SubnetPoolEntity.TYPE_KEY, id.toLowerCase());
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    List<ObjectNode> items = SubnetPoolJson.ATTRIBUTES.created(body);
    List<SubnetPool> requested = new ArrayList<>();
    for (ObjectNode item : items) requested.add(requested(ctx, item));
    return defaultsFree(requested, Optional.empty()).thenCompose(ok -> createAll(requested, 0, new ArrayList<>()))
        .thenApply(made -> created("subnetpool", "subnetpools", made.stream().map(SubnetPoolJson::view).toList(),
            body.has("subnetpools")));
  }

  private SubnetPool requested(RequestContext ctx, ObjectNode item) {
    String project = projectOf(ctx, item);
    boolean shared = bool(item, "shared", false);
    boolean isDefault = bool(item, "is_default", false);
    ObjectNode set = item.deepCopy();
    if (!shared) set.remove("shared");
    if (!isDefault) set.remove("is_default");
    policy.enforceCreate(ctx, "create_subnetpool", Map.of("project_id", project, "tenant_id", project, "shared",
        Boolean.toString(shared)), set, SubnetPoolJson.ATTRIBUTES.names());
    CREATE.validateAsNeutron(item);
    return refusedAsNeutron(() -> SubnetPool.checked(UUID.randomUUID().toString(), project,
        Fields.text(item, "name").orElse(""), Fields.text(item, "description").orElse(""),
        NetworkRoutes.strings(item.get("prefixes")), length(item, "default_prefixlen"), length(item, "min_prefixlen"),
        length(item, "max_prefixlen"), shared, isDefault, length(item, "default_quota"), Instant.now()));
  }

  private static Optional<Integer> length(JsonNode item, String field) {
    return item.hasNonNull(field) ? Optional.of((int) integer(item, field, 0, 128)) : Optional.empty();
  }

  /** Runs a pure check of {@link SubnetPool}, its refusal as Neutron's error. */
  private static <T> T refusedAsNeutron(java.util.function.Supplier<T> check) {
    try {
      return check.get();
    } catch (SubnetPool.Refused refused) {
      throw new ApiError(refused.rejection.kind().httpStatus, refused.rejection.message());
    }
  }

  /** Neutron allows one default pool per IP version. */
  private CompletionStage<Void> defaultsFree(List<SubnetPool> pools, Optional<String> except) {
    List<SubnetPool> defaults = pools.stream().filter(SubnetPool::isDefault).toList();
    if (defaults.isEmpty()) return CompletableFuture.completedFuture(null);
    return listed(() -> listing.subnetPools(new NetworkListing.Query<SubnetPool>(Optional.empty(),
        Map.of("is_default", List.of(true)), Optional.empty(), (p, k) -> null, List.of(), 0, Optional.empty(), false)))
        .thenApply(existing -> {
          for (SubnetPool d : defaults) {
            boolean taken = existing.stream().anyMatch(e -> e.ipVersion() == d.ipVersion()
                && !except.equals(Optional.of(e.id())))
                || defaults.stream().filter(o -> o.ipVersion() == d.ipVersion()).count() > 1;
            if (taken) {
              throw NeutronErrors.invalidInput("A default subnetpool for this IP family has already been set. "
                  + "Only one default may exist per IP family");
            }
          }
          return null;
        });
  }

  /** In order, all or nothing: if one is refused, those made before it are deleted again. */
  private CompletionStage<List<SubnetPool>> createAll(List<SubnetPool> todo, int next, List<SubnetPool> made) {
    if (next == todo.size()) return CompletableFuture.completedFuture(made);
    SubnetPool p = todo.get(next);
    return entity(p.id()).<SubnetPool>askWithStatus(r -> new SubnetPoolEntity.Create(p, r), timeout)
        .handle((created, failure) -> {
          if (failure == null) {
            made.add(created);
            return createAll(todo, next + 1, made);
          }
          made.forEach(m -> entity(m.id()).<Done>askWithStatus(SubnetPoolEntity.Delete::new, timeout));
          return CompletableFuture.<List<SubnetPool>>failedFuture(failure);
        }).thenCompose(x -> x);
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    ObjectNode item = SubnetPoolJson.ATTRIBUTES.updated(Json.parseObject(raw));
    ObjectNode set = item.deepCopy();
    return owned(ctx, id, "update_subnetpool", set).thenCompose(p -> {
      UPDATE.validateAsNeutron(item);
      SubnetPool.Changes changes = new SubnetPool.Changes(Fields.text(item, "name"), Fields.text(item, "description"),
          item.has("prefixes") ? Optional.of(NetworkRoutes.strings(item.get("prefixes"))) : Optional.empty(),
          length(item, "default_prefixlen"), length(item, "min_prefixlen"), length(item, "max_prefixlen"),
          item.has("is_default") ? Optional.of(bool(item, "is_default", false)) : Optional.empty(),
          length(item, "default_quota"), item.has("default_quota") && item.get("default_quota").isNull(),
          Optional.empty());
      // checked here too, for Neutron's status; the entity checks again against its own state
      SubnetPool next = refusedAsNeutron(() -> p.changed(changes, Instant.now()));
      return defaultsFree(next.isDefault() && !p.isDefault() ? List.of(next) : List.of(), Optional.of(p.id()))
          .thenCompose(ok -> change(p.id(), changes));
    }).thenApply(p -> one(200, "subnetpool", SubnetPoolJson.view(p)));
  }

  private CompletionStage<SubnetPool> change(String id, SubnetPool.Changes changes) {
    return entity(id).askWithStatus(r -> new SubnetPoolEntity.Update(changes, r), timeout);
  }

  /** The default pool of {@code ipVersion} (for {@code use_default_subnetpool}), if there is one. */
  CompletionStage<Optional<SubnetPool>> defaultPool(int ipVersion) {
    return listed(() -> listing.subnetPools(new NetworkListing.Query<SubnetPool>(Optional.empty(),
        Map.of("is_default", List.of(true), "ip_version", List.of(ipVersion)), Optional.empty(), (p, k) -> null,
        List.of(), 0, Optional.empty(), false))).thenApply(l -> l.stream().findFirst());
  }
}
