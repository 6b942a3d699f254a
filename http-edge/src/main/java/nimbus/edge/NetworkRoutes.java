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
import nimbus.config.NetworkSettings;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkListing;
import nimbus.network.NetworkType;
import nimbus.network.Segment;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's networks: create (one or in bulk), list, show, update, delete. A project's network
 * is of the cloud's tenant type with a segmentation id from its ranges; an admin may name the
 * type, physical network and id ({@code provider:*}). Its MTU is the underlay's less the type's
 * headers. Networks are seen by their project, and by all when shared or external.
 */
final class NetworkRoutes extends NeutronResourceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("network-create");
  private static final RequestSchema UPDATE = RequestSchema.named("network-update");
  private static final List<String> PROVIDER = List.of("provider:network_type", "provider:physical_network",
      "provider:segmentation_id");

  private final NetworkSettings settings;
  private final NeutronTags tags;

  NetworkRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy, NetworkSettings settings) {
    super(sharding, listing, blocking, timeout, policy);
    this.settings = settings;
    this.tags = new NeutronTags((ctx, id) -> visibleNetwork(ctx, id).thenApply(n -> n.attributes().tags()),
        (ctx, id, next) -> owned(ctx, id, Json.MAPPER.createObjectNode(), "update_network")
            .thenCompose(n -> update(id, withTags(n.attributes(), next)))
            .thenApply(n -> n.attributes().tags()));
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("networks", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/networks")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> show(ctx, id, q)))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> delete(ctx, id))))),
            tags.route(ctx, id)))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, NetworkJson.ATTRIBUTES, Set.of());
    Map<String, List<String>> tagFilters = tagFilters(q);
    var query = q.listing(viewer(ctx), attributes(NetworkJson::view), tagFilters.isEmpty() ? Optional.empty()
        : Optional.of((Network n) -> tagsMatch(n.attributes().tags(), tagFilters)));
    return listed(() -> listing.networks(query)).thenApply(networks -> page("networks",
        networks.stream().map(n -> shown(ctx, n, q)).toList(), q, url));
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, String id, List<Map.Entry<String, String>> params) {
    NeutronQuery q = NeutronQuery.parse(params, NetworkJson.ATTRIBUTES, Set.of());
    return visibleNetwork(ctx, id).thenApply(n -> one(200, "network", shown(ctx, n, q)));
  }

  /** The view less what the caller's policy hides ({@code provider:*} for all but admins), then the asked fields. */
  private ObjectNode shown(RequestContext ctx, Network n, NeutronQuery q) {
    return q.fieldsOf(policy.visible(ctx, "network", NetworkJson.view(n), NetworkJson.target(n)));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    List<ObjectNode> items = NetworkJson.ATTRIBUTES.created(body);
    List<Network> requested = new ArrayList<>();
    // every item is checked before any is made
    for (ObjectNode item : items) requested.add(requested(ctx, item));
    return createAll(requested, 0, new ArrayList<>()).thenApply(made -> created("network", "networks",
        made.stream().map(n -> policy.visible(ctx, "network", NetworkJson.view(n), NetworkJson.target(n))).toList(),
        body.has("networks")));
  }

  /** Creates them in order; if one is refused, those made before it are deleted again (all or nothing). */
  private CompletionStage<List<Network>> createAll(List<Network> todo, int next, List<Network> made) {
    if (next == todo.size()) return CompletableFuture.completedFuture(made);
    Network n = todo.get(next);
    return entity(n.id()).<Network>askWithStatus(r -> new NetworkEntity.Create(n, r), timeout)
        .handle((created, failure) -> {
          if (failure == null) {
            made.add(created);
            return createAll(todo, next + 1, made);
          }
          made.forEach(m -> entity(m.id()).<Done>askWithStatus(NetworkEntity.Delete::new, timeout));
          return CompletableFuture.<List<Network>>failedFuture(failure);
        }).thenCompose(x -> x);
  }

  private Network requested(RequestContext ctx, ObjectNode item) {
    String project = projectOf(ctx, item);
    Map<String, String> target = Map.of("project_id", project, "tenant_id", project, "network:tenant_id", project,
        "shared", Boolean.toString(bool(item, "shared", false)),
        "router:external", Boolean.toString(bool(item, "router:external", false)));
    policy.enforceCreate(ctx, "create_network", target, explicitlySet(item), NetworkJson.ATTRIBUTES.names());
    CREATE.validateAsNeutron(item);
    Segment segment = segment(item);
    NetworkAttributes attributes = new NetworkAttributes(Fields.text(item, "name").orElse(""),
        Fields.text(item, "description").orElse(""), bool(item, "admin_state_up", true), bool(item, "shared", false),
        bool(item, "router:external", false), bool(item, "port_security_enabled", true),
        strings(item.get("availability_zone_hints")), List.of());
    return Network.requested(UUID.randomUUID().toString(), project, attributes, segment,
        segment.type().mtu(settings.underlayMtu()), Instant.now());
  }

  /** What a create sets away from its defaults: what Neutron's attribute rules are checked for. */
  private static ObjectNode explicitlySet(ObjectNode item) {
    ObjectNode set = item.deepCopy();
    if (!bool(item, "shared", false)) set.remove("shared");
    if (bool(item, "port_security_enabled", true)) set.remove("port_security_enabled");
    PROVIDER.forEach(p -> {
      if (set.has(p) && set.get(p).isNull()) set.remove(p);
    });
    return set;
  }

  /** The tenant type unless an admin named one (policy has let only admins name one). */
  private Segment segment(ObjectNode item) {
    Optional<String> typeName = Fields.text(item, "provider:network_type");
    Optional<String> physnet = Fields.text(item, "provider:physical_network");
    Optional<Integer> id = Fields.text(item, "provider:segmentation_id")
        .map(t -> integer(item, "provider:segmentation_id", 0, 4294967295L))
        .map(v -> v > Integer.MAX_VALUE ? -1 : v.intValue()); // beyond any type's range: refused below
    if (typeName.isEmpty()) {
      if (physnet.isPresent() || id.isPresent()) throw NeutronErrors.invalidInput("network_type required");
      return new Segment(NetworkType.fromApi(settings.tenantNetworkType()).orElseThrow(), Optional.empty(),
          Optional.empty());
    }
    NetworkType type = NetworkType.fromApi(typeName.get()).orElseThrow(() -> NeutronErrors.invalidInput(
        "network_type value '" + typeName.get() + "' not supported"));
    String kind = switch (type) {
      case FLAT -> "flat";
      case VLAN -> "VLAN";
      default -> type.apiName();
    };
    switch (type) {
      case LOCAL -> {
        if (physnet.isPresent()) throw NeutronErrors.invalidInput("physical_network prohibited for local provider network");
        if (id.isPresent()) throw NeutronErrors.invalidInput("segmentation_id prohibited for local provider network");
      }
      case FLAT -> {
        if (physnet.isEmpty()) throw NeutronErrors.invalidInput("physical_network required for flat provider network");
        if (id.isPresent()) throw NeutronErrors.invalidInput("segmentation_id prohibited for flat provider network");
      }
      case VLAN -> {
        if (physnet.isEmpty()) {
          throw NeutronErrors.invalidInput(id.isPresent() ? "segmentation_id requires physical_network for VLAN "
              + "provider network" : "physical_network required for VLAN provider network");
        }
        if (!settings.vlanRanges().containsKey(physnet.get())) {
          throw NeutronErrors.invalidInput("physical_network '" + physnet.get() + "' unknown for " + kind
              + " provider network");
        }
        if (id.isPresent() && (id.get() < 1 || id.get() > 4094)) {
          throw NeutronErrors.invalidInput("segmentation_id out of range (1 through 4094)");
        }
      }
      default -> {
        if (physnet.isPresent()) throw NeutronErrors.invalidInput("provider:physical_network specified for " + kind
            + " network");
        if (id.isPresent() && (id.get() < 1 || id.get() > type.maxSegmentationId())) {
          throw NeutronErrors.invalidInput("segmentation_id out of range (1 through " + type.maxSegmentationId() + ")");
        }
      }
    }
    return new Segment(type, physnet, id);
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    ObjectNode item = NetworkJson.ATTRIBUTES.updated(Json.parseObject(raw));
    return owned(ctx, id, item, "update_network").thenCompose(n -> {
      if (PROVIDER.stream().anyMatch(item::has)) {
        throw NeutronErrors.invalidInput("Plugin does not support updating provider attributes");
      }
      UPDATE.validateAsNeutron(item);
      NetworkAttributes a = n.attributes();
      NetworkAttributes next = new NetworkAttributes(Fields.text(item, "name").orElse(a.name()),
          Fields.text(item, "description").orElse(a.description()), bool(item, "admin_state_up", a.adminStateUp()),
          bool(item, "shared", a.shared()), bool(item, "router:external", a.external()),
          bool(item, "port_security_enabled", a.portSecurityEnabled()), a.availabilityZoneHints(), a.tags());
      return update(id, next);
    }).thenApply(n -> one(200, "network", policy.visible(ctx, "network", NetworkJson.view(n), NetworkJson.target(n))));
  }

  private CompletionStage<Network> update(String id, NetworkAttributes next) {
    return entity(id).askWithStatus(r -> new NetworkEntity.Update(next, r), timeout);
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return owned(ctx, id, Json.MAPPER.createObjectNode(), "delete_network").thenCompose(n -> entity(n.id())
        .<Done>askWithStatus(NetworkEntity.Delete::new, timeout))
        .thenApply(done -> HttpResponse.create().withStatus(204));
  }

  /** The network, if the caller may {@code action} it ({@code update_network}, and the rules of what {@code set} sets). */
  private CompletionStage<Network> owned(RequestContext ctx, String id, JsonNode set, String action) {
    return visibleNetwork(ctx, id).thenApply(n -> {
      policy.enforceChange(ctx, action, "get_network", NetworkJson.target(n), set, NetworkJson.ATTRIBUTES.names(),
          "NetworkNotFound: Network " + id + " could not be found.");
      return n;
    });
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<NetworkEntity.Command> entity(String id) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, id.toLowerCase());
  }

  private static NetworkAttributes withTags(NetworkAttributes a, List<String> tags) {
    return new NetworkAttributes(a.name(), a.description(), a.adminStateUp(), a.shared(), a.external(),
        a.portSecurityEnabled(), a.availabilityZoneHints(), tags);
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null && array.isArray()) array.forEach(e -> out.add(e.asText()));
    return List.copyOf(out);
  }
}
