package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.network.FixedIp;
import nimbus.network.FloatingIp;
import nimbus.network.FloatingIpEntity;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.RouterState;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's floating IPs. The edge finds what an association names (the caller's port, its fixed
 * address, and the router that joins that address's subnet to the floating IP's external
 * network) and sends the floating IP's entity one command; the entity tells the routers as its
 * own steps. A project sees only its own floating IPs.
 */
final class FloatingIpRoutes extends NeutronResourceRoutes {

  FloatingIpRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy) {
    super(sharding, listing, blocking, timeout, policy);
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("floatingips", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/floatingips")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        path(PathMatchers.segment(), id -> concat(
            get(() -> query(q -> respond(() -> {
              NeutronQuery query = NeutronQuery.parse(q, FloatingIpJson.ATTRIBUTES, Set.of());
              return visible(ctx, id).thenApply(f -> one(200, "floatingip", query.fieldsOf(FloatingIpJson.view(f))));
            }))),
            put(() -> body(b -> respond(() -> update(ctx, id, b)))),
            delete(() -> respond(() -> release(ctx, id)))))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, FloatingIpJson.ATTRIBUTES, Set.of());
    var query = q.listing(viewer(ctx), attributes(FloatingIpJson::view), Optional.empty());
    return listed(() -> listing.floatingIps(query)).thenApply(all -> page("floatingips",
        all.stream().map(f -> q.fieldsOf(FloatingIpJson.view(f))).toList(), q, url));
  }

  private EntityRef<FloatingIpEntity.Command> entity(String id) {
    return sharding.entityRefFor(FloatingIpEntity.TYPE_KEY, id.toLowerCase());
  }

  /** The floating IP, if the caller may see it; otherwise as absent (404). */
  CompletionStage<FloatingIp> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound("FloatingIPNotFound", "Floating IP", id));
    return entity(id).<FloatingIp>askWithStatus(FloatingIpEntity.Get::new, timeout).thenApply(f -> {
      if (!policy.allows(ctx, "get_floatingip", FloatingIpJson.target(f))) {
        throw notFound("FloatingIPNotFound", "Floating IP", id);
      }
      return f;
    });
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    List<ObjectNode> items = FloatingIpJson.ATTRIBUTES.created(Json.parseObject(raw));
    if (items.size() != 1) throw NeutronErrors.badRequest("Bulk operation not supported for floating IPs");
    return allocated(ctx, items.get(0)).thenApply(f -> one(201, "floatingip", FloatingIpJson.view(f)));
  }

  /** The floating IP a create asks for ({@code item}: Neutron's attributes), allocated as Neutron's API does. */
  CompletionStage<FloatingIp> allocated(RequestContext ctx, ObjectNode item) {
    String project = projectOf(ctx, item);
    policy.enforceCreate(ctx, "create_floatingip", Map.of("project_id", project, "tenant_id", project), item,
        FloatingIpJson.ATTRIBUTES.names());
    String networkId = item.get("floating_network_id").asText();
    Optional<String> portId = Fields.text(item, "port_id");
    return visibleNetwork(ctx, networkId).thenCompose(n -> {
      if (!n.attributes().external()) {
        throw NeutronErrors.error(400, "BadRequest", "Bad floatingip request: Network " + n.id()
            + " is not a valid external network.");
      }
      return portId.isEmpty() ? CompletableFuture.completedFuture(Optional.<FloatingIp.Association>empty())
          : association(ctx, portId.get(), Fields.text(item, "fixed_ip_address"), n.id(), Optional.empty())
              .thenApply(Optional::of);
    }).thenCompose(wanted -> {
      FloatingIp f = FloatingIp.requested(UUID.randomUUID().toString(), project, networkId.toLowerCase(),
          Fields.text(item, "subnet_id"), Fields.text(item, "floating_ip_address"),
          Fields.text(item, "description").orElse(""), wanted, Instant.now());
      return entity(f.id()).<FloatingIp>askWithStatus(r -> new FloatingIpEntity.Create(f, r), timeout);
    });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    return updated(ctx, id, FloatingIpJson.ATTRIBUTES.updated(Json.parseObject(raw)))
        .thenApply(f -> one(200, "floatingip", FloatingIpJson.view(f)));
  }

  /** The floating IP described or (dis)associated anew ({@code item}: Neutron's attributes), if the caller may. */
  CompletionStage<FloatingIp> updated(RequestContext ctx, String id, ObjectNode item) {
    return visible(ctx, id).thenCompose(f -> {
      policy.enforceChange(ctx, "update_floatingip", "get_floatingip", FloatingIpJson.target(f), item,
          FloatingIpJson.ATTRIBUTES.names(), "FloatingIPNotFound: Floating IP " + id + " could not be found.");
      CompletionStage<FloatingIp> next = CompletableFuture.completedFuture(f);
      if (item.has("description")) {
        String description = Fields.text(item, "description").orElse("");
        next = next.thenCompose(x -> entity(id).<FloatingIp>askWithStatus(r ->
            new FloatingIpEntity.Describe(description, r), timeout));
      }
      if (item.has("port_id")) {
        Optional<String> port = Fields.text(item, "port_id");
        next = next.thenCompose(x -> port.isEmpty()
            ? CompletableFuture.completedFuture(Optional.<FloatingIp.Association>empty())
            : association(ctx, port.get(), Fields.text(item, "fixed_ip_address"), f.floatingNetworkId(),
                Optional.of(id)).thenApply(Optional::of))
            .thenCompose(wanted -> entity(id).<FloatingIp>askWithStatus(r ->
                new FloatingIpEntity.Associate(wanted, r), timeout));
      }
      return next;
    });
  }

  private CompletionStage<HttpResponse> release(RequestContext ctx, String id) {
    return released(ctx, id).thenApply(done -> HttpResponse.create().withStatus(204));
  }

  /** Releases the floating IP if the caller may. */
  CompletionStage<Done> released(RequestContext ctx, String id) {
    return visible(ctx, id).thenCompose(f -> {
      policy.enforceChange(ctx, "delete_floatingip", "get_floatingip", FloatingIpJson.target(f),
          Json.MAPPER.createObjectNode(), List.of(), "FloatingIPNotFound: Floating IP " + id + " could not be found.");
      return entity(id).<Done>askWithStatus(FloatingIpEntity.Release::new, timeout);
    });
  }

  /**
   * The association a request asks for: the caller's port, one of its addresses (its first IPv4
   * one unless named), and the router with an interface on that address's subnet and a gateway on
   * {@code networkId}; a port another floating IP ({@code self} aside) has is a 409.
   */
  private CompletionStage<FloatingIp.Association> association(RequestContext ctx, String portId,
      Optional<String> fixedIp, String networkId, Optional<String> self) {
    return port(portId).thenCompose(p -> {
      if (!ctx.isAdmin() && !p.projectId().equals(ctx.projectId())) throw notFound("PortNotFound", "Port", portId);
      FixedIp ip = fixedIpOf(p, fixedIp);
      return listed(() -> {
        var everyone = new NetworkListing.Query<RouterState>(Optional.empty(), Map.of(), Optional.empty(),
            (r, k) -> null, List.of(), 0, Optional.empty(), false);
        Optional<RouterState> router = listing.routers(everyone).stream()
            .filter(r -> r.router().gateway().map(g -> g.networkId().equals(networkId)).orElse(false)
                && r.interfaceOn(ip.subnetId()).isPresent())
            .findFirst();
        var byPort = new NetworkListing.Query<FloatingIp>(Optional.empty(), Map.of("port_id", List.<Object>of(p.id())),
            Optional.empty(), (f, k) -> null, List.of(), 0, Optional.empty(), false);
        Optional<FloatingIp> taken = listing.floatingIps(byPort).stream()
            .filter(f -> self.map(s -> !s.equals(f.id())).orElse(true)).findFirst();
        if (taken.isPresent()) {
          throw NeutronErrors.error(409, "FloatingIPPortAlreadyAssociated", "Cannot associate floating IP "
              + taken.get().floatingIpAddress() + " (" + taken.get().id() + ") with port " + p.id() + " using fixed IP "
              + ip.ipAddress() + ", as that fixed IP already has a floating IP on external network " + networkId + ".");
        }
        return router.map(r -> new FloatingIp.Association(p.id(), ip.ipAddress(), r.router().id()))
            .orElseThrow(() -> NeutronErrors.error(404, "ExternalGatewayForFloatingIPNotFound", "External network "
                + networkId + " is not reachable from subnet " + ip.subnetId()
                + ".  Therefore, cannot associate Port " + p.id() + " with a Floating IP."));
      });
    });
  }

  private static FixedIp fixedIpOf(Port p, Optional<String> fixedIp) {
    if (fixedIp.isPresent()) {
      return p.fixedIps().stream().filter(f -> f.ipAddress().equals(fixedIp.get())).findFirst()
          .orElseThrow(() -> NeutronErrors.error(400, "BadRequest", "Bad floatingip request: Port " + p.id()
              + " does not have fixed ip " + fixedIp.get() + "."));
    }
    return p.fixedIps().stream().filter(f -> !f.ipAddress().contains(":")).findFirst()
        .orElseThrow(() -> NeutronErrors.error(400, "BadRequest", "Bad floatingip request: Port " + p.id()
            + " does not have any IPv4 address. Therefore, cannot associate it with a Floating IP."));
  }
}
