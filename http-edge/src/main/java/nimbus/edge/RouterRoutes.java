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
import nimbus.compute.HostDirectory;
import nimbus.network.IpRequest;
import nimbus.network.Network;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.Router;
import nimbus.network.RouterEntity;
import nimbus.network.RouterState;
import nimbus.network.Subnet;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's routers (router, ext-gw-mode, extraroute, extraroute-atomic, router_availability_zone:
 * a router's zone hints are zones hosts report, and its zone that of its host). The edge finds and
 * checks what a request names (the gateway's external network, the subnet or port of an
 * interface, each as the caller may see it) and sends the router's entity one command; the entity
 * makes or takes the ports as its own steps. A project sees only its own routers.
 */
final class RouterRoutes extends NeutronResourceRoutes {

  /** Neutron keeps a router's hints as one comma-joined column of this many characters. */
  private static final int HINTS_LENGTH = 255;
  private final HostDirectory directory;

  RouterRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy, HostDirectory directory) {
    super(sharding, listing, blocking, timeout, policy);
    this.directory = directory;
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("routers", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/routers")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> {
                  NeutronQuery query = NeutronQuery.parse(q, RouterJson.ATTRIBUTES, Set.of());
                  return visible(ctx, id).thenApply(r -> one(200, "router", query.fieldsOf(view(r))));
                }))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> delete(ctx, id))))),
            path("add_router_interface", () -> put(() -> body(b -> respond(() -> addInterface(ctx, id, b))))),
            path("remove_router_interface", () -> put(() -> body(b -> respond(() -> removeInterface(ctx, id, b))))),
            path("add_extraroutes", () -> put(() -> body(b -> respond(() ->
                extraRoutes(ctx, id, b, "add_extraroutes", RouterEntity.RouteChange.ADD))))),
            path("remove_extraroutes", () -> put(() -> body(b -> respond(() ->
                extraRoutes(ctx, id, b, "remove_extraroutes", RouterEntity.RouteChange.REMOVE)))))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, RouterJson.ATTRIBUTES, Set.of());
    Map<String, List<String>> tags = tagFilters(q);
    var query = q.listing(viewer(ctx), attributes((RouterState r) -> view(r.router())),
        tags.isEmpty() ? Optional.empty() : Optional.of(r -> tagsMatch(r.router().tags(), tags)));
    return listed(() -> listing.routers(query)).thenApply(routers -> page("routers",
        routers.stream().map(r -> q.fieldsOf(view(r.router()))).toList(), q, url));
  }

  private ObjectNode view(Router r) {
    return RouterJson.view(r, directory::zoneOf);
  }

  private EntityRef<RouterEntity.Command> entity(String id) {
    return sharding.entityRefFor(RouterEntity.TYPE_KEY, id.toLowerCase());
  }

  /** The router, if the caller may see it (its project's); otherwise as absent. */
  private CompletionStage<Router> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound("RouterNotFound", "Router", id));
    return entity(id).<RouterState>askWithStatus(RouterEntity.Get::new, timeout).thenApply(s -> {
      if (!policy.allows(ctx, "get_router", RouterJson.target(s.router()))) {
        throw notFound("RouterNotFound", "Router", id);
      }
      return s.router();
    });
  }

  private CompletionStage<Router> owned(RequestContext ctx, String id, String action, JsonNode set) {
    return visible(ctx, id).thenApply(r -> {
      policy.enforceChange(ctx, action, "get_router", RouterJson.target(r), set, RouterJson.ATTRIBUTES.names(),
          "RouterNotFound: Router " + id + " could not be found.");
      return r;
    });
  }

  // ---------------------------------------------------------------- create, update, delete

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    List<ObjectNode> items = RouterJson.ATTRIBUTES.created(Json.parseObject(raw));
    if (items.size() != 1) throw NeutronErrors.badRequest("Bulk operation not supported for routers");
    ObjectNode item = items.get(0);
    String project = projectOf(ctx, item);
    policy.enforceCreate(ctx, "create_router", Map.of("project_id", project, "tenant_id", project), item,
        RouterJson.ATTRIBUTES.names());
    gatewayPolicy(ctx, "create_router", item, project);
    if (item.hasNonNull("routes") && !item.get("routes").isEmpty()) {
      throw NeutronErrors.badRequest("Invalid input for routes: a new router has no subnet for a next hop");
    }
    String name = text(item, "name", "");
    String description = text(item, "description", "");
    List<String> hints = zoneHints(item);
    Instant now = Instant.now();
    Router router = new Router(UUID.randomUUID().toString(), project, name, description,
        bool(item, "admin_state_up", true), "BUILD", Optional.empty(), Optional.empty(), List.of(), List.of(),
        List.of(), hints, List.of(), now, now, 0, false);
    return gateway(ctx, item.get("external_gateway_info"))
        .thenCompose(g -> entity(router.id()).<Router>askWithStatus(r -> new RouterEntity.Create(router, g, r), timeout))
        .thenApply(r -> one(201, "router", view(r)));
  }

  /**
   * The availability zones a new router asks for, as Neutron checks them: a list of distinct
   * strings that fits its column (400), each the zone of a host (404 otherwise).
   */
  private List<String> zoneHints(JsonNode item) {
    JsonNode given = item.get("availability_zone_hints");
    if (given == null) return List.of();
    String invalid = "Invalid input for availability_zone_hints. Reason: ";
    if (!given.isArray()) throw NeutronErrors.badRequest(invalid + "'" + given + "' is not a list.");
    List<String> hints = new ArrayList<>();
    for (JsonNode h : given) {
      if (!h.isTextual()) throw NeutronErrors.badRequest(invalid + "'" + h + "' is not a valid string.");
      if (hints.contains(h.asText())) throw NeutronErrors.badRequest(invalid + "Duplicate items in the list: '" + h.asText() + "'");
      hints.add(h.asText());
    }
    if (String.join(",", hints).length() > HINTS_LENGTH) {
      throw NeutronErrors.error(400, "InvalidInput", "Invalid input for operation: Too many availability_zone_hints specified.");
    }
    Set<String> zones = directory.zones().keySet();
    hints.stream().filter(h -> !zones.contains(h)).findFirst().ifPresent(h -> {
      throw NeutronErrors.error(404, "AvailabilityZoneNotFound", "AvailabilityZone " + h + " could not be found.");
    });
    return List.copyOf(hints);
  }

  /** Only admins pick SNAT or the gateway's addresses (Neutron's policy). */
  private void gatewayPolicy(RequestContext ctx, String action, JsonNode item, String project) {
    JsonNode g = item.get("external_gateway_info");
    if (g == null || !g.isObject()) return;
    Map<String, String> target = Map.of("project_id", project, "tenant_id", project);
    for (String attr : new String[] {"enable_snat", "external_fixed_ips"}) {
      if (g.has(attr)) policy.enforce(ctx, action + ":external_gateway_info:" + attr, target);
    }
  }

  /** The gateway a body asks for: an external network the caller may see, SNAT, addresses. */
  private CompletionStage<Optional<RouterEntity.GatewayRequest>> gateway(RequestContext ctx, JsonNode g) {
    if (g == null || g.isNull() || (g.isObject() && g.isEmpty())) return CompletableFuture.completedFuture(Optional.empty());
    if (!g.isObject() || !g.hasNonNull("network_id")) {
      throw NeutronErrors.badRequest("Invalid input for external_gateway_info. Reason: network_id is required.");
    }
    for (var names = g.fieldNames(); names.hasNext(); ) {
      String n = names.next();
      if (!List.of("network_id", "enable_snat", "external_fixed_ips").contains(n)) {
        throw NeutronErrors.badRequest("Invalid input for external_gateway_info. Reason: Unexpected keys supplied: " + n + ".");
      }
    }
    String networkId = g.get("network_id").asText();
    Optional<List<IpRequest>> ips = Optional.empty();
    if (g.hasNonNull("external_fixed_ips")) {
      List<IpRequest> asked = new ArrayList<>();
      for (JsonNode ip : g.get("external_fixed_ips")) {
        asked.add(new IpRequest(Fields.text(ip, "subnet_id"), Fields.text(ip, "ip_address")));
      }
      ips = Optional.of(List.copyOf(asked));
    }
    boolean snat = bool(g, "enable_snat", true);
    Optional<List<IpRequest>> wanted = ips;
    return visibleNetwork(ctx, networkId).thenApply(n -> {
      if (!n.attributes().external()) {
        throw NeutronErrors.error(400, "BadRequest", "Bad router request: Network " + n.id()
            + " is not a valid external network.");
      }
      return Optional.of(new RouterEntity.GatewayRequest(n.id(), snat, wanted));
    });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    ObjectNode item = RouterJson.ATTRIBUTES.updated(Json.parseObject(raw));
    return owned(ctx, id, "update_router", item).thenCompose(r -> {
      gatewayPolicy(ctx, "update_router", item, r.projectId());
      CompletionStage<Router> next = entity(id).askWithStatus(c -> new RouterEntity.Update(text(item, "name", r.name()),
          text(item, "description", r.description()), bool(item, "admin_state_up", r.adminStateUp()), c), timeout);
      if (item.has("external_gateway_info")) {
        JsonNode g = item.get("external_gateway_info");
        next = next.thenCompose(x -> gateway(ctx, g)).thenCompose(asked -> asked.isEmpty()
            ? entity(id).<Router>askWithStatus(RouterEntity.ClearGateway::new, timeout)
            : entity(id).<Router>askWithStatus(c -> new RouterEntity.SetGateway(asked.get(), c), timeout));
      }
      if (item.has("routes")) {
        List<Router.Route> routes = routes(item.get("routes"));
        next = next.thenCompose(x -> entity(id).<Router>askWithStatus(c ->
            new RouterEntity.ChangeRoutes(routes, RouterEntity.RouteChange.REPLACE, c), timeout));
      }
      return next;
    }).thenApply(r -> one(200, "router", view(r)));
  }

  private static List<Router.Route> routes(JsonNode routes) {
    if (routes == null || routes.isNull()) return List.of();
    if (!routes.isArray()) throw NeutronErrors.badRequest("Invalid input for routes. Reason: '" + routes + "' is not a list.");
    List<Router.Route> out = new ArrayList<>();
    for (JsonNode r : routes) {
      if (!r.isObject() || !r.hasNonNull("destination") || !r.hasNonNull("nexthop") || r.size() != 2) {
        throw NeutronErrors.badRequest("Invalid input for routes. Reason: '" + r + "' is not a valid route "
            + "(destination and nexthop).");
      }
      out.add(new Router.Route(r.get("destination").asText(), r.get("nexthop").asText()));
    }
    return List.copyOf(out);
  }

  private CompletionStage<HttpResponse> extraRoutes(RequestContext ctx, String id, String raw, String action,
      RouterEntity.RouteChange change) {
    JsonNode body = Json.parseObject(raw);
    JsonNode router = body.get("router");
    if (router == null || !router.isObject() || !router.has("routes")) {
      throw NeutronErrors.badRequest("Unable to find 'routes' in 'router' in request body");
    }
    List<Router.Route> routes = routes(router.get("routes"));
    return owned(ctx, id, action, Json.MAPPER.createObjectNode())
        .thenCompose(r -> entity(id).<Router>askWithStatus(c -> new RouterEntity.ChangeRoutes(routes, change, c), timeout))
        .thenApply(r -> one(200, "router", view(r)));
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return owned(ctx, id, "delete_router", Json.MAPPER.createObjectNode())
        .thenCompose(r -> entity(id).<Done>askWithStatus(RouterEntity.Delete::new, timeout))
        .thenApply(done -> HttpResponse.create().withStatus(204));
  }

  // ---------------------------------------------------------------- interfaces

  /** {@code {"subnet_id": ...}} or {@code {"port_id": ...}}, not both. */
  private record InterfaceBody(Optional<String> subnetId, Optional<String> portId) {
    static InterfaceBody of(String raw) {
      JsonNode body = Json.parseObject(raw);
      Optional<String> subnet = Fields.text(body, "subnet_id");
      Optional<String> port = Fields.text(body, "port_id");
      if (subnet.isPresent() && port.isPresent()) {
        throw NeutronErrors.error(400, "BadRequest", "Bad router request: Cannot specify both subnet-id and port-id.");
      }
      if (subnet.isEmpty() && port.isEmpty()) {
        throw NeutronErrors.error(400, "BadRequest", "Bad router request: Either subnet_id or port_id must be specified.");
      }
      return new InterfaceBody(subnet, port);
    }
  }

  private CompletionStage<HttpResponse> addInterface(RequestContext ctx, String id, String raw) {
    InterfaceBody asked = InterfaceBody.of(raw);
    return owned(ctx, id, "add_router_interface", Json.MAPPER.createObjectNode()).thenCompose(r -> {
      if (asked.portId().isPresent()) {
        return userPort(ctx, asked.portId().get()).thenCompose(p -> {
          if (p.fixedIps().isEmpty()) {
            throw NeutronErrors.error(400, "BadRequest", "Bad router request: Router port must have at least one fixed IP.");
          }
          if (p.fixedIps().size() > 1) {
            throw NeutronErrors.error(400, "BadRequest", "Bad router request: Cannot have multiple IPv4 subnets on router port.");
          }
          String subnetId = p.fixedIps().get(0).subnetId();
          return network(p.networkId()).thenCompose(n -> entity(id).<Router.Interface>askWithStatus(c ->
              new RouterEntity.AddInterface(n.id(), subnetId, subnetOf(n, subnetId).cidr(), Optional.empty(),
                  Optional.of(p.id()), c), timeout));
        }).thenApply(i -> Json.response(200, RouterJson.interfaceInfo(r, i)));
      }
      String subnetId = asked.subnetId().get();
      return visibleSubnet(ctx, subnetId).thenCompose(s -> {
        if (s.gatewayIp().isEmpty()) {
          throw NeutronErrors.error(400, "BadRequest", "Bad router request: Subnet for router interface must have a gateway IP.");
        }
        return entity(id).<Router.Interface>askWithStatus(c -> new RouterEntity.AddInterface(s.networkId(), s.id(),
            s.cidr(), s.gatewayIp(), Optional.empty(), c), timeout);
      }).thenApply(i -> Json.response(200, RouterJson.interfaceInfo(r, i)));
    });
  }

  private CompletionStage<HttpResponse> removeInterface(RequestContext ctx, String id, String raw) {
    InterfaceBody asked = InterfaceBody.of(raw);
    return owned(ctx, id, "remove_router_interface", Json.MAPPER.createObjectNode()).thenCompose(r -> {
      CompletionStage<Optional<String>> subnetId = asked.subnetId().isPresent()
          ? visibleSubnet(ctx, asked.subnetId().get()).thenApply(s -> Optional.of(s.id()))
          : CompletableFuture.completedFuture(Optional.empty());
      return subnetId.thenCompose(s -> entity(id).<Router.Interface>askWithStatus(c ->
              new RouterEntity.RemoveInterface(s, asked.portId(), c), timeout))
          .thenApply(i -> Json.response(200, RouterJson.interfaceInfo(r, i)));
    });
  }

  /** The user's port, if the caller may see it (its own; an admin any). */
  private CompletionStage<Port> userPort(RequestContext ctx, String portId) {
    return port(portId).thenApply(p -> {
      if (!ctx.isAdmin() && !p.projectId().equals(ctx.projectId())) throw notFound("PortNotFound", "Port", portId);
      return p;
    });
  }

  /** The subnet, if the caller may see it (its own, or of a shared network; an admin any). */
  private CompletionStage<Subnet> visibleSubnet(RequestContext ctx, String subnetId) {
    if (!Ids.isUuid(subnetId)) return CompletableFuture.failedFuture(notFound("SubnetNotFound", "Subnet", subnetId));
    return listed(() -> listing.networkOfSubnet(subnetId.toLowerCase())).thenCompose(networkId -> {
      if (networkId.isEmpty()) throw notFound("SubnetNotFound", "Subnet", subnetId);
      return network(networkId.get());
    }).thenApply(n -> {
      Subnet s = subnetOf(n, subnetId.toLowerCase());
      if (!policy.allows(ctx, "get_subnet", SubnetJson.target(s, n))) throw notFound("SubnetNotFound", "Subnet", subnetId);
      return s;
    });
  }

  private static Subnet subnetOf(Network n, String subnetId) {
    return n.subnet(subnetId).orElseThrow(() -> notFound("SubnetNotFound", "Subnet", subnetId));
  }

  private static String text(JsonNode item, String field, String otherwise) {
    return Fields.text(item, field).orElse(otherwise);
  }
}
