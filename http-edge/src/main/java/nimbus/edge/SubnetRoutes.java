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
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkListing;
import nimbus.network.PoolSubnet;
import nimbus.network.Subnet;
import nimbus.network.SubnetPool;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's subnets. A subnet is part of its network's state (its entity hands out the
 * addresses), so a subnet is found by its network: the read side says which one holds it, and
 * the network's entity answers. Only the network's owner (a member) or an admin makes and
 * changes subnets; projects a network is shared with see them. A subnet names its CIDR, or takes
 * one from a subnet pool it may see ({@code subnetpool_id}, or {@code use_default_subnetpool}),
 * which its network's entity asks the pool for as a step of its creation.
 */
final class SubnetRoutes extends NeutronResourceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("subnet-create");
  private static final RequestSchema UPDATE = RequestSchema.named("subnet-update");

  private final NeutronTags tags;
  private final SubnetPoolRoutes pools;

  SubnetRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy, SubnetPoolRoutes pools) {
    super(sharding, listing, blocking, timeout, policy);
    this.pools = pools;
    this.tags = new NeutronTags((ctx, id) -> visible(ctx, id).thenApply(f -> f.subnet().tags()),
        (ctx, id, next) -> owned(ctx, id, "update_subnet").thenCompose(f -> {
          Subnet s = f.subnet();
          return save(s.changed(s.name(), s.description(), s.gatewayIp(), s.allocationPools(), s.enableDhcp(),
              s.dnsNameservers(), s.hostRoutes(), next, Instant.now()));
        }).thenApply(Subnet::tags));
  }

  /** A subnet and the network that holds it. */
  private record Found(Subnet subnet, Network network) {}

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("subnets", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/subnets")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> {
                  NeutronQuery query = NeutronQuery.parse(q, SubnetJson.ATTRIBUTES, Set.of());
                  return visible(ctx, id).thenApply(f -> one(200, "subnet", shown(ctx, f.subnet(), query)));
                }))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> owned(ctx, id, "delete_subnet").thenCompose(f ->
                    sharding.entityRefFor(NetworkEntity.TYPE_KEY, f.network().id())
                        .<Done>askWithStatus(r -> new NetworkEntity.DeleteSubnet(f.subnet().id(), r), timeout))
                    .thenApply(d -> HttpResponse.create().withStatus(204)))))),
            tags.route(ctx, id)))));
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, SubnetJson.ATTRIBUTES, Set.of());
    Map<String, List<String>> tagFilters = tagFilters(q);
    var query = q.listing(viewer(ctx), attributes(SubnetJson::view), tagFilters.isEmpty() ? Optional.empty()
        : Optional.of((Subnet s) -> tagsMatch(s.tags(), tagFilters)));
    return listed(() -> listing.subnets(query)).thenApply(subnets -> page("subnets",
        subnets.stream().map(s -> shown(ctx, s, q)).toList(), q, url));
  }

  private ObjectNode shown(RequestContext ctx, Subnet s, NeutronQuery q) {
    return q.fieldsOf(policy.visible(ctx, "subnet", SubnetJson.view(s), Map.of("project_id", s.projectId())));
  }

  /** The subnet, if the caller may see it (its own, or on a shared network); otherwise as absent. */
  private CompletionStage<Found> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound(id));
    String subnetId = id.toLowerCase();
    return listed(() -> listing.networkOfSubnet(subnetId)).thenCompose(networkId -> {
      if (networkId.isEmpty()) throw notFound(id);
      return network(networkId.get()).handle((n, e) -> {
        if (e != null) throw notFound(id); // the network went meanwhile: so did its subnets
        Subnet s = n.subnet(subnetId).orElseThrow(() -> notFound(id));
        if (!policy.allows(ctx, "get_subnet", SubnetJson.target(s, n))) throw notFound(id);
        return new Found(s, n);
      });
    });
  }

  private CompletionStage<Found> owned(RequestContext ctx, String id, String action) {
    return owned(ctx, id, action, Json.MAPPER.createObjectNode());
  }

  private CompletionStage<Found> owned(RequestContext ctx, String id, String action, JsonNode set) {
    return visible(ctx, id).thenApply(f -> {
      policy.enforceChange(ctx, action, "get_subnet", SubnetJson.target(f.subnet(), f.network()), set,
          SubnetJson.ATTRIBUTES.names(), "SubnetNotFound: Subnet " + id + " could not be found.");
      return f;
    });
  }

  private static ApiError notFound(String id) {
    return notFound("SubnetNotFound", "Subnet", id);
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    List<ObjectNode> items = SubnetJson.ATTRIBUTES.created(body);
    for (ObjectNode item : items) CREATE.validateAsNeutron(item);
    return createAll(ctx, items, 0, new ArrayList<>()).thenApply(made -> created("subnet", "subnets",
        made.stream().map(s -> SubnetJson.view(s)).toList(), body.has("subnets")));
  }

  /** In order, all or nothing: if one is refused, those made before it are deleted again. */
  private CompletionStage<List<Subnet>> createAll(RequestContext ctx, List<ObjectNode> items, int next,
      List<Subnet> made) {
    if (next == items.size()) return CompletableFuture.completedFuture(made);
    ObjectNode item = items.get(next);
    String networkId = item.get("network_id").asText();
    return visibleNetwork(ctx, networkId).thenCompose(n -> {
      if (item.hasNonNull("subnetpool_id") || bool(item, "use_default_subnetpool", false)) {
        return fromPool(ctx, item, n).thenCompose(request -> sharding.entityRefFor(NetworkEntity.TYPE_KEY, n.id())
            .<Subnet>askWithStatus(r -> new NetworkEntity.AddPoolSubnet(request, r), timeout));
      }
      Subnet s = requested(ctx, item, n);
      return sharding.entityRefFor(NetworkEntity.TYPE_KEY, n.id())
          .<Subnet>askWithStatus(r -> new NetworkEntity.AddSubnet(s, r), timeout);
    }).handle((created, failure) -> {
      if (failure == null) {
        made.add(created);
        return createAll(ctx, items, next + 1, made);
      }
      made.forEach(m -> sharding.entityRefFor(NetworkEntity.TYPE_KEY, m.networkId())
          .<Done>askWithStatus(r -> new NetworkEntity.DeleteSubnet(m.id(), r), timeout));
      return CompletableFuture.<List<Subnet>>failedFuture(failure);
    }).thenCompose(x -> x);
  }

  /**
   * A subnet whose CIDR a pool gives: the pool named (one the caller may see) or the default one
   * of the subnet's IP version; a CIDR named must then come from it, else a block of
   * {@code prefixlen} (the pool's default length if not given).
   */
  private CompletionStage<PoolSubnet> fromPool(RequestContext ctx, ObjectNode item, Network n) {
    String project = creator(ctx, item, n);
    int version = (int) integer(item, "ip_version", 4, 6);
    if (item.hasNonNull("subnetpool_id") && bool(item, "use_default_subnetpool", false)) {
      throw NeutronErrors.badRequest("subnets", "subnetpool_id and use_default_subnetpool cannot both be specified");
    }
    if (item.hasNonNull("cidr") && item.hasNonNull("prefixlen")) {
      throw NeutronErrors.badRequest("subnets", "cidr and prefixlen must not be supplied together");
    }
    Optional<String> cidr = Fields.text(item, "cidr");
    if (cidr.isPresent()) {
      try {
        IpNet.parse(cidr.get());
      } catch (IllegalArgumentException e) {
        throw NeutronErrors.badRequest("Invalid input for cidr. Reason: " + e.getMessage() + ".");
      }
    }
    Optional<Integer> prefixlen = item.hasNonNull("prefixlen")
        ? Optional.of((int) integer(item, "prefixlen", 0, 128)) : Optional.empty();
    CompletionStage<SubnetPool> pool = item.hasNonNull("subnetpool_id")
        ? pools.visible(ctx, item.get("subnetpool_id").asText())
        : pools.defaultPool(version).thenApply(p -> p.orElseThrow(() -> NeutronErrors.badRequest("subnets",
            "No default subnetpool found for IPv" + version)));
    return pool.thenApply(p -> {
      if (p.ipVersion() != version) {
        throw NeutronErrors.badRequest("subnets", "Cannot allocate IPv" + version + " subnet from IPv"
            + p.ipVersion() + " subnet pool");
      }
      Instant now = Instant.now();
      Optional<String> gateway = Fields.text(item, "gateway_ip");
      List<Subnet.Pool> given = item.hasNonNull("allocation_pools") ? pools(item.get("allocation_pools")) : List.of();
      Subnet template = new Subnet(UUID.randomUUID().toString(), n.id(), project, Fields.text(item, "name").orElse(""),
          Fields.text(item, "description").orElse(""), version, "", gateway, given, bool(item, "enable_dhcp", true),
          NetworkRoutes.strings(item.get("dns_nameservers")), routes(item.get("host_routes")),
          Fields.text(item, "ipv6_ra_mode"), Fields.text(item, "ipv6_address_mode"), Optional.of(p.id()), List.of(),
          now, now, 0);
      return new PoolSubnet(template, p.id(), cidr, prefixlen, item.has("gateway_ip"), !given.isEmpty());
    });
  }

  /** The subnet's project, once the caller may create a subnet on {@code n}. */
  private String creator(RequestContext ctx, ObjectNode item, Network n) {
    String project = projectOf(ctx, item);
    Map<String, String> target = Map.of("project_id", project, "tenant_id", project, "network:tenant_id", n.projectId(),
        "shared", Boolean.toString(n.attributes().shared()));
    policy.enforceCreate(ctx, "create_subnet", target, item, SubnetJson.ATTRIBUTES.names());
    return project;
  }

  private Subnet requested(RequestContext ctx, ObjectNode item, Network n) {
    String project = creator(ctx, item, n);
    Optional<String> cidr = Fields.text(item, "cidr");
    if (cidr.isEmpty()) throw NeutronErrors.badRequest("subnets", "a subnetpool must be specified in the absence of a cidr");
    if (item.has("prefixlen")) throw NeutronErrors.badRequest("subnets", "cidr and prefixlen must not be supplied together");
    int version = (int) integer(item, "ip_version", 4, 6);
    IpNet net;
    try {
      net = IpNet.parse(cidr.get());
    } catch (IllegalArgumentException e) {
      throw NeutronErrors.badRequest("Invalid input for cidr. Reason: " + e.getMessage() + ".");
    }
    if (net.prefix() == 0) throw NeutronErrors.invalidInput("0 is not allowed as CIDR prefix length");
    for (String mode : List.of("ipv6_ra_mode", "ipv6_address_mode")) {
      if (version == 4 && Fields.text(item, mode).isPresent()) {
        throw NeutronErrors.invalidInput(mode + " is not valid when ip_version is 4");
      }
    }
    Optional<String> gateway = item.has("gateway_ip") ? Fields.text(item, "gateway_ip") : PoolSubnet.firstHost(net);
    List<Subnet.Pool> pools = item.hasNonNull("allocation_pools") ? pools(item.get("allocation_pools"))
        : Subnet.defaultPools(net, gateway.flatMap(IpNet.Address::parse));
    Instant now = Instant.now();
    Subnet s = new Subnet(UUID.randomUUID().toString(), n.id(), project, Fields.text(item, "name").orElse(""),
        Fields.text(item, "description").orElse(""), version, net.toString(), gateway, pools,
        bool(item, "enable_dhcp", true), NetworkRoutes.strings(item.get("dns_nameservers")),
        routes(item.get("host_routes")), Fields.text(item, "ipv6_ra_mode"), Fields.text(item, "ipv6_address_mode"),
        Optional.empty(), List.of(), now, now, 0);
    checked(s);
    return s;
  }

  private static List<Subnet.Pool> pools(JsonNode array) {
    List<Subnet.Pool> out = new ArrayList<>();
    array.forEach(p -> out.add(new Subnet.Pool(p.get("start").asText(), p.get("end").asText())));
    return List.copyOf(out);
  }

  private static List<Subnet.HostRoute> routes(JsonNode array) {
    List<Subnet.HostRoute> out = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(r -> out.add(new Subnet.HostRoute(r.get("destination").asText(), r.get("nexthop").asText())));
    }
    return List.copyOf(out);
  }

  /**
   * Refuses a subnet whose gateway, pools, name servers or routes do not fit, with the type and
   * status Neutron gives each of {@link Subnet#problem}'s findings (the entity checks it again).
   */
  private static void checked(Subnet s) {
    Optional<String> problem = s.problem();
    if (problem.isEmpty()) return;
    String m = problem.get();
    if (m.startsWith("Found overlapping allocation pools")) throw NeutronErrors.error(409, "OverlappingAllocationPools", m);
    if (m.startsWith("Gateway ip ")) throw NeutronErrors.error(409, "GatewayConflictWithAllocationPools", m);
    if (m.contains("spans beyond the subnet cidr")) throw NeutronErrors.error(400, "OutOfBoundsAllocationPool", m);
    if (m.startsWith("The allocation pool ")) throw NeutronErrors.error(400, "InvalidAllocationPool", m);
    if (m.startsWith("Invalid input for ")) throw NeutronErrors.badRequest(m);
    throw NeutronErrors.invalidInput(m.endsWith(".") ? m.substring(0, m.length() - 1) : m);
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    ObjectNode item = SubnetJson.ATTRIBUTES.updated(Json.parseObject(raw));
    return owned(ctx, id, "update_subnet", item).thenCompose(f -> {
      UPDATE.validateAsNeutron(item);
      Subnet s = f.subnet();
      boolean modes = s.ipv6RaMode().isPresent() || s.ipv6AddressMode().isPresent();
      if (modes && !bool(item, "enable_dhcp", s.enableDhcp())) {
        throw NeutronErrors.invalidInput("Cannot disable enable_dhcp with ipv6 attributes set");
      }
      Optional<String> gateway = item.has("gateway_ip") ? Fields.text(item, "gateway_ip") : s.gatewayIp();
      List<Subnet.Pool> pools = item.hasNonNull("allocation_pools") ? pools(item.get("allocation_pools"))
          : s.allocationPools();
      Subnet next = s.changed(Fields.text(item, "name").orElse(s.name()),
          Fields.text(item, "description").orElse(s.description()), gateway, pools,
          bool(item, "enable_dhcp", s.enableDhcp()),
          item.has("dns_nameservers") ? NetworkRoutes.strings(item.get("dns_nameservers")) : s.dnsNameservers(),
          item.has("host_routes") ? routes(item.get("host_routes")) : s.hostRoutes(), s.tags(), Instant.now());
      checked(next);
      return save(next);
    }).thenApply(s -> one(200, "subnet", SubnetJson.view(s)));
  }

  private CompletionStage<Subnet> save(Subnet next) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, next.networkId())
        .askWithStatus(r -> new NetworkEntity.UpdateSubnet(next, r), timeout);
  }
}
