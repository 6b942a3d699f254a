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
import java.util.function.Predicate;
import nimbus.network.FixedIp;
import nimbus.network.IpRequest;
import nimbus.network.Network;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.PortAttributes;
import nimbus.network.PortEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's ports. A port is made on a network the caller may see; its entity holds its quota
 * and gets its MAC and addresses from the network's entity, one port at a time, so no address
 * goes to two ports. Its project sees it, and so does the owner of its network. Changing a port's
 * addresses or MAC is not there yet (400).
 */
final class PortRoutes extends NeutronResourceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("port-create");

  private final NeutronTags tags;
  private final SecurityGroupRoutes securityGroups;

  PortRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout,
      NeutronPolicy policy, SecurityGroupRoutes securityGroups) {
    super(sharding, listing, blocking, timeout, policy);
    this.securityGroups = securityGroups;
    this.tags = new NeutronTags((ctx, id) -> visible(ctx, id).thenApply(f -> f.port().attributes().tags()),
        (ctx, id, next) -> owned(ctx, id, "update_port", Json.MAPPER.createObjectNode())
            .thenCompose(f -> save(f.port(), withTags(f.port().attributes(), next), Optional.empty()))
            .thenApply(p -> p.attributes().tags()));
  }

  /** A port, and its network's owner and sharing (what its policy rules read). */
  private record Found(Port port, String networkOwner, boolean shared) {
    Map<String, String> target() {
      return PortJson.target(port, networkOwner, shared);
    }
  }

  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("ports", () -> concat(
        pathEnd(() -> concat(
            get(() -> query(q -> respond(() -> list(ctx, q, baseUrl + "/ports")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> query(q -> respond(() -> {
                  NeutronQuery query = NeutronQuery.parse(q, PortJson.ATTRIBUTES, Set.of());
                  return visible(ctx, id).thenApply(f -> one(200, "port", shown(ctx, f, query)));
                }))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> delete(ctx, id))))),
            tags.route(ctx, id)))));
  }

  private ObjectNode shown(RequestContext ctx, Found f, NeutronQuery q) {
    return q.fieldsOf(policy.visible(ctx, "port", PortJson.view(f.port()), f.target()));
  }

  // ---------------------------------------------------------------- list

  private CompletionStage<HttpResponse> list(RequestContext ctx, List<Map.Entry<String, String>> params, String url) {
    NeutronQuery q = NeutronQuery.parse(params, PortJson.ATTRIBUTES, Set.of("fixed_ips", "ip_address_substr"));
    Optional<Predicate<Port>> matches = matches(q);
    var query = q.listing(viewer(ctx), attributes(PortJson::view), matches);
    return listed(() -> listing.ports(query)).thenApply(ports -> page("ports", ports.stream()
        // binding:* are the admin's, whatever the port: no other target value matters to them
        .map(p -> q.fieldsOf(policy.visible(ctx, "port", PortJson.view(p), PortJson.target(p, "", false))))
        .toList(), q, url));
  }

  /**
   * Address and tag filters: {@code fixed_ips=ip_address=A&fixed_ips=subnet_id=S} (all of them
   * of one address), {@code ip_address_substr=10.0} (ip-substring-filtering), tags.
   */
  private static Optional<Predicate<Port>> matches(NeutronQuery q) {
    List<Predicate<Port>> all = new ArrayList<>();
    List<String> fixed = q.special().getOrDefault("fixed_ips", List.of());
    if (!fixed.isEmpty()) {
      List<Predicate<FixedIp>> conditions = new ArrayList<>();
      for (String c : fixed) {
        int eq = c.indexOf('=');
        String key = eq < 0 ? c : c.substring(0, eq);
        String value = eq < 0 ? "" : c.substring(eq + 1);
        conditions.add(switch (key) {
          case "ip_address" -> ip -> ip.ipAddress().equals(value);
          case "subnet_id" -> ip -> ip.subnetId().equals(value);
          case "ip_address_substr" -> ip -> ip.ipAddress().contains(value);
          default -> throw NeutronErrors.badRequest("Invalid fixed_ips filter " + c);
        });
      }
      all.add(p -> p.fixedIps().stream().anyMatch(ip -> conditions.stream().allMatch(c -> c.test(ip))));
    }
    for (String sub : q.special().getOrDefault("ip_address_substr", List.of())) {
      all.add(p -> p.fixedIps().stream().anyMatch(ip -> ip.ipAddress().contains(sub)));
    }
    Map<String, List<String>> tagFilters = tagFilters(q);
    if (!tagFilters.isEmpty()) all.add(p -> tagsMatch(p.attributes().tags(), tagFilters));
    return all.stream().reduce(Predicate::and);
  }

  // ---------------------------------------------------------------- one port

  /** The port, if the caller may see it (its own, or on its network); otherwise as absent. */
  private CompletionStage<Found> visible(RequestContext ctx, String id) {
    return port(id).thenCompose(p -> network(p.networkId()).handle((n, e) -> {
      Found f = new Found(p, n == null ? "" : n.projectId(), n != null && n.attributes().shared());
      if (!policy.allows(ctx, "get_port", f.target())) throw notFound("PortNotFound", "Port", id);
      return f;
    }));
  }

  private CompletionStage<Found> owned(RequestContext ctx, String id, String action, JsonNode set) {
    return visible(ctx, id).thenApply(f -> {
      policy.enforceChange(ctx, action, "get_port", f.target(), set, PortJson.ATTRIBUTES.names(),
          "PortNotFound: Port " + id + " could not be found.");
      return f;
    });
  }

  private EntityRef<PortEntity.Command> entity(String id) {
    return sharding.entityRefFor(PortEntity.TYPE_KEY, id);
  }

  // ---------------------------------------------------------------- create

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    JsonNode body = Json.parseObject(raw);
    List<ObjectNode> items = PortJson.ATTRIBUTES.created(body);
    for (ObjectNode item : items) CREATE.validateAsNeutron(item);
    return createAll(ctx, items, 0, new ArrayList<>()).thenApply(made -> created("port", "ports",
        made.stream().map(f -> policy.visible(ctx, "port", PortJson.view(f.port()), f.target())).toList(),
        body.has("ports")));
  }

  /** In order, all or nothing: if one is refused, those made before it are deleted again. */
  private CompletionStage<List<Found>> createAll(RequestContext ctx, List<ObjectNode> items, int next,
      List<Found> made) {
    if (next == items.size()) return CompletableFuture.completedFuture(made);
    ObjectNode item = items.get(next);
    return visibleNetwork(ctx, item.get("network_id").asText()).thenCompose(n -> {
      Port asked = requested(ctx, item, n);
      return groupsOnCreate(asked, item).thenCompose(groups -> {
        Port p = Port.requested(asked.id(), asked.networkId(), asked.projectId(),
            asked.attributes().withSecurityGroups(groups), asked.requestedMac(), asked.requestedIps(), asked.createdAt());
        return entity(p.id()).<Port>askWithStatus(r -> new PortEntity.Create(p, r), timeout);
      })
          .thenCompose(created -> bound(created, Fields.text(item, "binding:host_id").filter(h -> !h.isEmpty())))
          .thenApply(created -> new Found(created, n.projectId(), n.attributes().shared()));
    }).handle((created, failure) -> {
      if (failure == null) {
        made.add(created);
        return createAll(ctx, items, next + 1, made);
      }
      made.forEach(f -> deleted(f.port()));
      return CompletableFuture.<List<Found>>failedFuture(failure);
    }).thenCompose(x -> x);
  }

  private Port requested(RequestContext ctx, ObjectNode item, Network n) {
    String project = projectOf(ctx, item);
    String deviceOwner = Fields.text(item, "device_owner").orElse("");
    Map<String, String> target = Map.of("project_id", project, "tenant_id", project, "network:tenant_id",
        n.projectId(), "shared", Boolean.toString(n.attributes().shared()), "device_owner", deviceOwner);
    ObjectNode set = item.deepCopy();
    if (deviceOwner.isEmpty()) set.remove("device_owner"); // its default: no rule to pass
    policy.enforceCreate(ctx, "create_port", target, set, PortJson.ATTRIBUTES.names());
    binding(item);
    Optional<List<IpRequest>> ips = ipRequests(item, n);
    PortAttributes attributes = new PortAttributes(Fields.text(item, "name").orElse(""),
        Fields.text(item, "description").orElse(""), bool(item, "admin_state_up", true),
        Fields.text(item, "device_id").orElse(""), deviceOwner, pairs(item.get("allowed_address_pairs")),
        // a port's security follows its network's unless asked
        bool(item, "port_security_enabled", n.attributes().portSecurityEnabled()), List.of());
    Optional<String> mac = Fields.text(item, "mac_address").map(m -> m.replace('-', ':').toLowerCase());
    return Port.requested(UUID.randomUUID().toString(), n.id(), project, attributes, mac, ips, Instant.now());
  }

  // ---------------------------------------------------------------- security groups

  /**
   * A new port's security groups: those it names (its project's), else its project's default
   * group; none for a port without port security, and none for Neutron's own ports (never filtered).
   */
  private CompletionStage<List<String>> groupsOnCreate(Port p, JsonNode item) {
    PortAttributes a = p.attributes();
    Optional<List<String>> named = groupIds(item);
    checkPortSecurity(a.portSecurityEnabled(), named.orElse(List.of()), a.allowedAddressPairs(), false);
    if (a.exemptFromFiltering() || !a.portSecurityEnabled()) return CompletableFuture.completedFuture(List.of());
    if (named.isPresent()) return groupsOf(p.projectId(), named.get());
    return securityGroups.defaultGroup(p.projectId()).thenApply(g -> List.of(g.id()));
  }

  /** The groups an update leaves the port in. */
  private CompletionStage<List<String>> groupsOnUpdate(Port p, PortAttributes next, JsonNode item) {
    Optional<List<String>> named = groupIds(item);
    List<String> groups = named.orElse(p.attributes().securityGroups());
    checkPortSecurity(next.portSecurityEnabled(), groups, next.allowedAddressPairs(), named.isEmpty());
    if (next.exemptFromFiltering()) return CompletableFuture.completedFuture(List.of());
    return named.isPresent() ? groupsOf(p.projectId(), named.get()) : CompletableFuture.completedFuture(groups);
  }

  /** {@code security_groups} as a request names them (null: none), if it does. */
  private static Optional<List<String>> groupIds(JsonNode item) {
    if (!item.has("security_groups")) return Optional.empty();
    JsonNode v = item.get("security_groups");
    if (v.isNull()) return Optional.of(List.of());
    List<String> ids = new ArrayList<>();
    if (v.isArray()) v.forEach(g -> ids.add(g.asText().toLowerCase()));
    return Optional.of(ids.stream().distinct().toList());
  }

  /** Neutron's rules of port security: no groups and no address pairs on a port it is off for. */
  private static void checkPortSecurity(boolean enabled, List<String> groups, List<PortAttributes.AddressPair> pairs,
      boolean groupsKept) {
    if (enabled) return;
    if (!groups.isEmpty()) {
      if (groupsKept) {
        throw NeutronErrors.error(409, "PortSecurityPortHasSecurityGroup", "Port has security group associated. "
            + "Cannot disable port security or IP address until security group is removed.");
      }
      throw NeutronErrors.error(400, "PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled "
          + "and port must have an IP address in order to use security groups.");
    }
    if (!pairs.isEmpty()) {
      throw NeutronErrors.error(409, "AddressPairAndPortSecurityRequired",
          "Port Security must be enabled in order to have allowed address pairs on a port.");
    }
  }

  /** The groups by id, each the port's project's: another project's is as absent (404). */
  private CompletionStage<List<String>> groupsOf(String projectId, List<String> ids) {
    CompletionStage<List<String>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (String id : ids) {
      all = all.thenCombine(securityGroups.ofProject(projectId, id), (list, g) -> {
        list.add(g.id());
        return list;
      });
    }
    return all.thenApply(List::copyOf);
  }

  /** The addresses a create or update asks for ({@code fixed_ips}), if it names them. */
  private static Optional<List<IpRequest>> ipRequests(JsonNode item, Network n) {
    if (!item.has("fixed_ips") || item.get("fixed_ips").isNull()) return Optional.empty();
    List<IpRequest> asked = new ArrayList<>();
    for (JsonNode ip : item.get("fixed_ips")) {
      Optional<String> subnet = Fields.text(ip, "subnet_id");
      Optional<String> address = Fields.text(ip, "ip_address");
      if (subnet.isEmpty() && address.isEmpty()) {
        throw NeutronErrors.invalidInput("IP allocation requires subnet_id or ip_address");
      }
      asked.add(new IpRequest(subnet, address));
    }
    if (!asked.isEmpty() && n.subnets().isEmpty()) {
      throw NeutronErrors.invalidInput("IP allocation requires subnets for network");
    }
    return Optional.of(List.copyOf(asked));
  }

  /** Hosts plug ports of the normal VNIC type only, and take no binding profile. */
  private static void binding(JsonNode item) {
    Optional<String> vnic = Fields.text(item, "binding:vnic_type");
    if (vnic.isPresent() && !vnic.get().equals("normal")) {
      throw NeutronErrors.invalidInput("binding:vnic_type '" + vnic.get() + "' is not supported: only normal is");
    }
    JsonNode profile = item.get("binding:profile");
    if (profile != null && !profile.isNull() && !profile.isEmpty()) {
      throw NeutronErrors.invalidInput("binding:profile is not supported");
    }
  }

  private static List<PortAttributes.AddressPair> pairs(JsonNode array) {
    List<PortAttributes.AddressPair> out = new ArrayList<>();
    if (array != null && array.isArray()) {
      // a pair without a MAC stands for the port's own, which it may not have yet: filled in by the view
      array.forEach(p -> out.add(new PortAttributes.AddressPair(p.get("ip_address").asText(),
          Fields.text(p, "mac_address").map(m -> m.replace('-', ':').toLowerCase()).orElse(""))));
    }
    return List.copyOf(out);
  }

  /** The port bound to {@code host} if one is asked (empty string: unbound). */
  private CompletionStage<Port> bound(Port p, Optional<String> host) {
    if (host.isEmpty()) return CompletableFuture.completedFuture(p);
    Optional<String> to = host.filter(h -> !h.isEmpty());
    return entity(p.id()).askWithStatus(r -> new PortEntity.Bind(to, r), timeout);
  }

  // ---------------------------------------------------------------- update, delete

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    ObjectNode item = PortJson.ATTRIBUTES.updated(Json.parseObject(raw));
    return owned(ctx, id, "update_port", item).thenCompose(f -> {
      CREATE.validateAsNeutron(item);
      binding(item);
      PortAttributes a = f.port().attributes();
      PortAttributes next = new PortAttributes(Fields.text(item, "name").orElse(a.name()),
          Fields.text(item, "description").orElse(a.description()), bool(item, "admin_state_up", a.adminStateUp()),
          Fields.text(item, "device_id").orElse(a.deviceId()), Fields.text(item, "device_owner").orElse(a.deviceOwner()),
          item.has("allowed_address_pairs") ? pairs(item.get("allowed_address_pairs")) : a.allowedAddressPairs(),
          bool(item, "port_security_enabled", a.portSecurityEnabled()), a.tags(), a.securityGroups());
      return groupsOnUpdate(f.port(), next, item).thenCompose(groups -> readdressed(f.port(), item)
          .thenCompose(p -> save(p, next.withSecurityGroups(groups),
              Optional.ofNullable(item.get("binding:host_id")).map(JsonNode::asText))))
          .thenApply(p -> new Found(p, f.networkOwner(), f.shared()));
    }).thenApply(f -> one(200, "port", policy.visible(ctx, "port", PortJson.view(f.port()), f.target())));
  }

  /**
   * The port with the addresses and MAC the update asks for, taken from its network by the port's
   * entity (all or nothing); unchanged if it asks for neither. Neutron changes a MAC only while the
   * port is bound to no host (the host has plugged the old one).
   */
  private CompletionStage<Port> readdressed(Port p, JsonNode item) {
    Optional<String> mac = Fields.text(item, "mac_address").map(m -> m.replace('-', ':').toLowerCase())
        .filter(m -> !m.equals(p.macAddress()));
    if (!item.hasNonNull("fixed_ips") && mac.isEmpty()) return CompletableFuture.completedFuture(p);
    if (mac.isPresent() && p.hostId().isPresent()) {
      throw NeutronErrors.error(409, "PortBound", "Unable to complete operation on port " + p.id()
          + ", port is already bound, port type: bridge, old_mac " + p.macAddress() + ", new_mac " + mac.get() + ".");
    }
    return network(p.networkId()).thenCompose(n -> {
      Optional<List<IpRequest>> ips = ipRequests(item, n);
      return entity(p.id()).<Port>askWithStatus(r -> new PortEntity.ChangeAddresses(mac, ips, r), timeout);
    });
  }

  private CompletionStage<Port> save(Port p, PortAttributes next, Optional<String> host) {
    return entity(p.id()).<Port>askWithStatus(r -> new PortEntity.Update(next, r), timeout)
        .thenCompose(updated -> bound(updated, host));
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    return owned(ctx, id, "delete_port", Json.MAPPER.createObjectNode())
        .thenCompose(f -> deleted(f.port()))
        .thenApply(done -> HttpResponse.create().withStatus(204));
  }

  /**
   * Deletes the port: the port answers once it is gone (out of its groups, its floating IPs let go,
   * its addresses and quota given back, each a persisted step of its own), so a delete answered is
   * done, as in Neutron: the network or the group can be deleted and the quota used at once.
   */
  private CompletionStage<Done> deleted(Port p) {
    return entity(p.id()).askWithStatus(PortEntity.Delete::new, timeout);
  }

  private static PortAttributes withTags(PortAttributes a, List<String> tags) {
    return new PortAttributes(a.name(), a.description(), a.adminStateUp(), a.deviceId(), a.deviceOwner(),
        a.allowedAddressPairs(), a.portSecurityEnabled(), tags, a.securityGroups());
  }
}
