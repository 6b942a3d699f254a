package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.compute.ServerPort;
import nimbus.compute.ServerView;
import nimbus.network.FixedIp;
import nimbus.network.FloatingIp;
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's deprecated proxies to Neutron's floating IPs: {@code os-floating-ips} and
 * {@code os-floating-ip-pools} (gone from 2.36), and the server actions {@code addFloatingIp}
 * and {@code removeFloatingIp} (gone from 2.44). A pool is an external network, by name. Each
 * change is the Neutron request Nova would send, made by Neutron's own route class
 * ({@link FloatingIpRoutes}: the same entity and steps, with the caller's rights).
 */
final class NovaFloatingIpRoutes extends ServiceRoutes {
  private final FloatingIpRoutes neutron;
  private final NetworkListing listing;
  private final Executor blocking;
  private final Policy policy;

  NovaFloatingIpRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      Policy policy) {
    super(NovaErrors::response);
    this.neutron = new FloatingIpRoutes(sharding, listing, blocking, timeout, new NeutronPolicy(policy));
    this.listing = listing;
    this.blocking = blocking;
    this.policy = policy;
  }

  Route route(RequestContext ctx, Microversion version) {
    if (version.atLeast("2.36")) {
      return concat(pathPrefix("os-floating-ips", () -> complete(NovaSecurityGroupRoutes.gone())),
          pathPrefix("os-floating-ip-pools", () -> complete(NovaSecurityGroupRoutes.gone())));
    }
    return concat(
        pathPrefix("os-floating-ips", () -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> list(ctx))),
                post(() -> body(b -> respond(() -> allocate(ctx, b)))))),
            path(PathMatchers.segment(), id -> concat(
                get(() -> respond(() -> show(ctx, id))),
                delete(() -> respond(() -> release(ctx, id))))))),
        path("os-floating-ip-pools", () -> get(() -> respond(() -> pools(ctx)))));
  }

  // ---------------------------------------------------------------- os-floating-ips

  private CompletionStage<HttpResponse> list(RequestContext ctx) {
    policy.enforce(ctx, "os_compute_api:os-floating-ips:list");
    // Nova asks Neutron for the caller's project's floating IPs (an admin's too)
    return readSide(() -> listing.floatingIps(query(Optional.of(ctx.projectId()), Map.of())), blocking)
        .thenCompose(this::views).thenApply(views -> Json.response(200, Map.of("floating_ips", views)));
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-floating-ips:show");
    return visible(ctx, id).thenCompose(f -> views(List.of(f)))
        .thenApply(views -> Json.response(200, Map.of("floating_ip", views.get(0))));
  }

  private CompletionStage<HttpResponse> allocate(RequestContext ctx, String body) {
    policy.enforce(ctx, "os_compute_api:os-floating-ips:create");
    JsonNode request = body.isBlank() ? Json.MAPPER.createObjectNode() : Json.parseObject(body);
    // Nova's default_floating_pool is "nova"
    String pool = Optional.ofNullable(request.get("pool")).filter(p -> !p.isNull()).map(JsonNode::asText)
        .orElse("nova");
    return readSide(() -> externalNetworks(ctx), blocking).thenCompose(networks -> {
      List<Network> named = networks.stream()
          .filter(n -> Ids.isUuid(pool) ? n.id().equalsIgnoreCase(pool) : n.attributes().name().equals(pool)).toList();
      if (named.isEmpty()) throw ApiError.notFound("Floating IP pool not found.");
      if (named.size() > 1) {
        throw new ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.");
      }
      ObjectNode item = Json.MAPPER.createObjectNode();
      item.put("floating_network_id", named.get(0).id());
      return NovaSecurityGroupRoutes.nova(() -> neutron.allocated(ctx, item), Map.of()).handle((f, e) -> {
        if (e == null) return f;
        ApiError refused = Failures.toApiError(e);
        // Neutron's OverQuota
        if (refused.status == 409) throw new ApiError(403, "IP allocation over quota in pool " + pool + ".");
        throw refused;
      });
    }).thenCompose(f -> views(List.of(f))).thenApply(views -> Json.response(200, Map.of("floating_ip", views.get(0))));
  }

  private CompletionStage<HttpResponse> release(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-floating-ips:delete");
    return visible(ctx, id).thenCompose(f -> NovaSecurityGroupRoutes.nova(() -> neutron.released(ctx, f.id()),
        Map.of())).thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<HttpResponse> pools(RequestContext ctx) {
    policy.enforce(ctx, "os_compute_api:os-floating-ip-pools");
    return readSide(() -> externalNetworks(ctx), blocking).thenApply(networks -> Json.response(200,
        Map.of("floating_ip_pools", networks.stream().map(n -> Map.of("name", n.attributes().name())).toList())));
  }

  /** The floating IP Nova's get_floating_ip finds: one Neutron shows the caller. */
  private CompletionStage<FloatingIp> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) throw ApiError.badRequest("Invalid ID received " + id + ".");
    return NovaSecurityGroupRoutes.nova(() -> neutron.visible(ctx, id), Map.of()).handle((f, e) -> {
      if (e == null) return f;
      ApiError refused = Failures.toApiError(e);
      if (refused.status == 404) throw ApiError.notFound("Floating IP not found for ID " + id);
      throw refused;
    });
  }

  /** The external networks the caller sees (Nova's pools). */
  private List<Network> externalNetworks(RequestContext ctx) throws java.sql.SQLException {
    return listing.networks(query(NeutronResourceRoutes.viewer(ctx), Map.of())).stream()
        .filter(n -> n.attributes().external()).toList();
  }

  /** Nova's views: the pool by its network's name, the server by its port's device. */
  private CompletionStage<List<Map<String, Object>>> views(List<FloatingIp> floatingIps) {
    return readSide(() -> {
      List<Object> networkIds = floatingIps.stream().map(f -> (Object) f.floatingNetworkId()).distinct().toList();
      List<Object> portIds = floatingIps.stream().flatMap(f -> f.association().stream())
          .map(a -> (Object) a.portId()).distinct().toList();
      Map<String, String> names = new HashMap<>();
      if (!networkIds.isEmpty()) {
        listing.networks(query(Optional.empty(), Map.of("id", networkIds)))
            .forEach(n -> names.put(n.id(), n.attributes().name()));
      }
      Map<String, String> devices = new HashMap<>();
      if (!portIds.isEmpty()) {
        listing.ports(NovaFloatingIpRoutes.<Port>query(Optional.empty(), Map.of("id", portIds)))
            .forEach(p -> devices.put(p.id(), p.attributes().deviceId()));
      }
      return floatingIps.stream().map(f -> {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", f.id());
        view.put("ip", f.floatingIpAddress());
        String name = names.getOrDefault(f.floatingNetworkId(), "");
        view.put("pool", name.isEmpty() ? f.floatingNetworkId() : name);
        view.put("fixed_ip", f.association().map(FloatingIp.Association::fixedIpAddress).orElse(null));
        view.put("instance_id", f.association().map(a -> devices.get(a.portId())).filter(d -> !d.isEmpty())
            .orElse(null));
        return view;
      }).toList();
    }, blocking);
  }

  /**
   * The floating IPs associated with the servers' ports, by port, as Nova's {@code addresses}
   * show them (beside the fixed address each translates to). One read for the whole list.
   */
  CompletionStage<Map<String, List<ServerJson.Floating>>> ofServers(java.util.Collection<ServerView> servers) {
    List<Object> ports = servers.stream().flatMap(s -> s.ports().stream()).<Object>map(ServerPort::portId).toList();
    if (ports.isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(Map.of());
    return readSide(() -> {
      Map<String, List<ServerJson.Floating>> byPort = new HashMap<>();
      for (FloatingIp f : listing.floatingIps(query(Optional.empty(), Map.of("port_id", ports)))) {
        f.association().ifPresent(a -> byPort.computeIfAbsent(a.portId(), p -> new java.util.ArrayList<>())
            .add(new ServerJson.Floating(a.fixedIpAddress(), f.floatingIpAddress())));
      }
      return byPort;
    }, blocking);
  }

  private static <T> NetworkListing.Query<T> query(Optional<String> viewer, Map<String, List<Object>> filters) {
    return new NetworkListing.Query<T>(viewer, filters, Optional.empty(), (x, k) -> null, List.of(), 0,
        Optional.empty(), false);
  }

  /** The caller's project's floating IP of that address, as Nova finds one by address. */
  private CompletionStage<Optional<FloatingIp>> byAddress(RequestContext ctx, String address) {
    return readSide(() -> listing.floatingIps(query(Optional.of(ctx.projectId()),
        Map.of("floating_ip_address", List.<Object>of(address)))).stream()
        .filter(f -> f.projectId().equals(ctx.projectId())).findFirst(), blocking);
  }

  // ---------------------------------------------------------------- server actions

  /**
   * Nova's {@code addFloatingIp}: the caller's floating IP of {@code address} to the server's
   * port with its fixed address ({@code fixed_address}, or its first IPv4 one).
   */
  CompletionStage<HttpResponse> add(RequestContext ctx, ServerView server, JsonNode args) {
    policy.enforce(ctx, "os_compute_api:os-floating-ips:add", Map.of("project_id", server.projectId()));
    String address = address(args, "address", true);
    Optional<String> asked = Optional.ofNullable(address(args, "fixed_address", false));
    List<ServerPort> ports = server.ports();
    if (ports.stream().allMatch(p -> p.fixedIps().isEmpty())) {
      throw ApiError.badRequest("No fixed IPs associated to instance");
    }
    Optional<String> fixed = asked.isPresent() ? asked : ports.stream().flatMap(p -> p.fixedIps().stream())
        .map(FixedIp::ipAddress).filter(a -> !a.contains(":")).findFirst();
    if (fixed.isEmpty()) {
      throw ApiError.badRequest("Unable to associate floating IP " + address + " to any fixed IPs for instance "
          + server.id() + ". Instance has no fixed IPv4 addresses to associate.");
    }
    Optional<ServerPort> port = ports.stream()
        .filter(p -> p.fixedIps().stream().anyMatch(f -> f.ipAddress().equals(fixed.get()))).findFirst();
    if (port.isEmpty()) throw ApiError.badRequest("Specified fixed address not assigned to instance");
    return byAddress(ctx, address).thenCompose(f -> {
      if (f.isEmpty()) throw ApiError.notFound("floating IP not found");
      ObjectNode item = Json.MAPPER.createObjectNode();
      item.put("port_id", port.get().portId());
      item.put("fixed_ip_address", fixed.get());
      // Nova answers any refusal of Neutron's here with a 400 naming it
      return NovaSecurityGroupRoutes.nova(() -> neutron.updated(ctx, f.get().id(), item), Map.of())
          .handle((updated, e) -> {
            if (e == null) return HttpResponse.create().withStatus(202);
            throw ApiError.badRequest("Unable to associate floating IP " + address + " to fixed IP " + fixed.get()
                + " for instance " + server.id() + ". Error: " + Failures.toApiError(e).getMessage());
          });
    });
  }

  /** Nova's {@code removeFloatingIp}: the caller's floating IP of {@code address} leaves server {@code id}'s port. */
  CompletionStage<HttpResponse> remove(RequestContext ctx, String id, JsonNode args) {
    String address = address(args, "address", true);
    return byAddress(ctx, address).thenCompose(f -> {
      if (f.isEmpty()) throw ApiError.notFound("Floating IP not found for address " + address + ".");
      return views(List.of(f.get())).thenCompose(views -> {
        Object instance = views.get(0).get("instance_id");
        policy.enforce(ctx, "os_compute_api:os-floating-ips:remove",
            instance == null ? Map.of() : Map.of("project_id", ctx.projectId()));
        if (instance == null || !instance.toString().equalsIgnoreCase(id)) {
          throw new ApiError(409, "Floating IP " + address + " is not associated with instance " + id + ".");
        }
        ObjectNode item = Json.MAPPER.createObjectNode();
        item.putNull("port_id");
        return NovaSecurityGroupRoutes.nova(() -> neutron.updated(ctx, f.get().id(), item), Map.of());
      });
    }).thenApply(done -> HttpResponse.create().withStatus(202));
  }

  /** An address the action's body names, as Nova's schema checks it. */
  private static String address(JsonNode args, String field, boolean required) {
    if (args == null || !args.isObject()) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: None.");
    }
    JsonNode v = args.get(field);
    if (v == null) {
      if (required) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: "
          + args + ". '" + field + "' is a required property");
      return null;
    }
    if (!v.isTextual() || IpNet.Address.parse(v.asText()).isEmpty()) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + v.asText()
          + ". '" + v.asText() + "' is not a 'ip-address'");
    }
    return v.asText();
  }
}
