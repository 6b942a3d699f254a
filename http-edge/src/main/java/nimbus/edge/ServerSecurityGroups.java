package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.compute.ServerPort;
import nimbus.compute.ServerView;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupEntity;
import nimbus.network.SecurityGroupRule;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * A server's security groups as Nova has them: its ports' groups (Neutron holds them, not the
 * server). Server views show their names, {@code os-security-groups} lists them with their rules,
 * and {@code addSecurityGroup} / {@code removeSecurityGroup} change every port of the server.
 */
final class ServerSecurityGroups {
  private final ClusterSharding sharding;
  private final NetworkListing listing;
  private final Executor blocking;
  private final Duration timeout;

  ServerSecurityGroups(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout) {
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
  }

  // ---------------------------------------------------------------- read

  /**
   * The names of each server's groups, by server id, for a whole page of servers: two read-side
   * queries (its ports, then their groups), whatever the page's size. Only the ports the server
   * itself holds count, so a port another project points at a server (its {@code device_id})
   * shows nothing of its groups. A server in no group is absent (Nova then shows no key).
   */
  CompletionStage<Map<String, List<String>>> names(Collection<ServerView> servers) {
    return groupsByServer(servers).thenApply(byServer -> {
      Map<String, List<String>> names = new HashMap<>();
      byServer.forEach((server, groups) -> names.put(server,
          groups.stream().map(g -> g.name().isEmpty() ? g.id() : g.name()).distinct().toList()));
      return names;
    });
  }

  /** Nova's {@code GET /servers/{id}/os-security-groups}: its groups with their ingress rules, by project and name. */
  CompletionStage<HttpResponse> list(ServerView server) {
    return groupsByServer(List.of(server)).thenCompose(byServer -> {
      List<SecurityGroup> groups = byServer.getOrDefault(server.id(), List.of());
      Set<String> remotes = new LinkedHashSet<>();
      groups.forEach(g -> g.rules().forEach(r -> r.remoteGroupId().ifPresent(remotes::add)));
      return ServiceRoutes.readSide(() -> byId(remotes), blocking).thenApply(remote -> {
        groups.forEach(g -> remote.put(g.id(), g));
        List<Map<String, Object>> shown = new ArrayList<>(groups.stream().map(g -> novaGroup(g, remote)).toList());
        shown.sort(Comparator.comparing((Map<String, Object> g) -> (String) g.get("tenant_id"))
            .thenComparing(g -> (String) g.get("name")));
        return Json.response(200, Map.of("security_groups", shown));
      });
    });
  }

  /**
   * The groups as Nova's API shows them ({@link #novaGroup}), with what the groups their rules
   * name are called, in the order given.
   */
  CompletionStage<List<Map<String, Object>>> shown(List<SecurityGroup> groups) {
    Set<String> remotes = new LinkedHashSet<>();
    groups.forEach(g -> g.rules().forEach(r -> r.remoteGroupId().ifPresent(remotes::add)));
    return ServiceRoutes.readSide(() -> byId(remotes), blocking).thenApply(remote -> {
      groups.forEach(g -> remote.put(g.id(), g));
      return groups.stream().map(g -> novaGroup(g, remote)).toList();
    });
  }

  private CompletionStage<Map<String, List<SecurityGroup>>> groupsByServer(Collection<ServerView> servers) {
    Map<String, String> serverOfPort = new HashMap<>();
    servers.forEach(s -> s.ports().forEach(p -> serverOfPort.put(p.portId(), s.id())));
    if (serverOfPort.isEmpty()) return CompletableFuture.completedFuture(Map.of());
    return ServiceRoutes.readSide(() -> {
      List<Port> ports = listing.ports(new NetworkListing.Query<>(Optional.empty(),
          Map.of("id", List.copyOf(serverOfPort.keySet())), Optional.empty(), (p, k) -> null, List.of(), 0,
          Optional.empty(), false));
      Set<String> ids = new LinkedHashSet<>();
      ports.forEach(p -> ids.addAll(p.attributes().securityGroups()));
      Map<String, SecurityGroup> groups = byId(ids);
      Map<String, List<SecurityGroup>> byServer = new LinkedHashMap<>();
      for (Port p : ports) {
        String server = serverOfPort.get(p.id());
        if (!server.equals(p.attributes().deviceId())) continue;
        for (String g : p.attributes().securityGroups()) {
          if (groups.containsKey(g)) byServer.computeIfAbsent(server, s -> new ArrayList<>()).add(groups.get(g));
        }
      }
      return byServer;
    }, blocking);
  }

  private Map<String, SecurityGroup> byId(Collection<String> ids) throws SQLException {
    Map<String, SecurityGroup> groups = new HashMap<>();
    if (ids.isEmpty()) return groups;
    listing.securityGroups(new NetworkListing.Query<>(Optional.empty(), Map.of("id", List.copyOf(ids)),
        Optional.empty(), (r, k) -> null, List.of(), 0, Optional.empty(), false)).forEach(g -> groups.put(g.id(), g));
    return groups;
  }

  /** A group as Nova's API shows it: its ingress rules only, a rule naming a group that is gone left out. */
  static Map<String, Object> novaGroup(SecurityGroup g, Map<String, SecurityGroup> remote) {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (SecurityGroupRule r : g.rules()) {
      if (!r.ingress()) continue;
      if (r.remoteGroupId().isPresent() && !remote.containsKey(r.remoteGroupId().get())) continue;
      rules.add(novaRule(r, remote));
    }
    Map<String, Object> shown = new LinkedHashMap<>();
    shown.put("id", g.id());
    shown.put("description", g.description());
    shown.put("name", g.name());
    shown.put("tenant_id", g.projectId());
    shown.put("rules", rules);
    return shown;
  }

  /**
   * A rule as Nova's API shows it: a protocol without ports as its whole range, the group it
   * names ({@code remote} holds it) by name and project, else its address range.
   */
  static Map<String, Object> novaRule(SecurityGroupRule r, Map<String, SecurityGroup> remote) {
    Map<String, Object> rule = new LinkedHashMap<>();
    rule.put("id", r.id());
    rule.put("parent_group_id", r.securityGroupId());
    rule.put("ip_protocol", r.protocol().orElse(null));
    rule.put("from_port", novaPort(r, true));
    rule.put("to_port", novaPort(r, false));
    Map<String, Object> from = new LinkedHashMap<>();
    Map<String, Object> range = new LinkedHashMap<>();
    if (r.remoteGroupId().isPresent()) {
      SecurityGroup source = remote.get(r.remoteGroupId().get());
      from.put("name", source.name());
      from.put("tenant_id", source.projectId());
    } else {
      range.put("cidr", r.remoteIpPrefix().orElse("0.0.0.0/0"));
    }
    rule.put("group", from);
    rule.put("ip_range", range);
    return rule;
  }

  /** A rule's first or last port as Nova shows it: a protocol without ports is its whole range (ICMP: -1). */
  static Integer novaPort(SecurityGroupRule r, boolean from) {
    boolean anyPort = r.protocol().isPresent() && r.portRangeMin().isEmpty() && r.portRangeMax().isEmpty();
    if (!anyPort) return (from ? r.portRangeMin() : r.portRangeMax()).orElse(null);
    boolean tcpOrUdp = r.protocol().filter(p -> p.equalsIgnoreCase("tcp") || p.equalsIgnoreCase("udp")).isPresent();
    return tcpOrUdp ? (from ? 1 : 65535) : -1;
  }

  // ---------------------------------------------------------------- add, remove

  /**
   * Nova's {@code addSecurityGroup}: the group (by name or id, the caller's project's) joins every
   * port of the server that is not in it yet. Each port's change is its own persisted update, as
   * the Neutron API makes it, and the port's entity then joins the group by its own steps: a
   * change cut short leaves some ports in the group, which a retry completes (ports already in
   * it are passed over), as Nova's port by port updates would.
   */
  CompletionStage<HttpResponse> add(RequestContext ctx, ServerView server, JsonNode args) {
    String name = groupName(args);
    return group(ctx, name).thenCompose(g -> ports(server).thenCompose(ports -> {
      for (Port p : ports) {
        if (!p.attributes().portSecurityEnabled() || p.fixedIps().isEmpty()) {
          throw ApiError.badRequest("Network requires port_security_enabled and subnet associated in order to "
              + "apply security groups.");
        }
      }
      List<Port> outside = ports.stream().filter(p -> !p.attributes().securityGroups().contains(g)).toList();
      // Neutron refuses the group twice on a port (Nova passes its 400 on)
      if (outside.isEmpty()) throw ApiError.badRequest("Duplicate items in the list: '" + g + "'");
      return updated(outside, groups -> {
        List<String> next = new ArrayList<>(groups);
        next.add(g);
        return next;
      });
    }));
  }

  /** Nova's {@code removeSecurityGroup}: the group leaves every port of the server that is in it; none is: 404. */
  CompletionStage<HttpResponse> remove(RequestContext ctx, ServerView server, JsonNode args) {
    String name = groupName(args);
    return group(ctx, name).thenCompose(g -> ports(server).thenCompose(ports -> {
      List<Port> inside = ports.stream().filter(p -> p.attributes().securityGroups().contains(g)).toList();
      if (inside.isEmpty()) {
        throw ApiError.notFound("Security group " + name + " not associated with the instance " + server.id());
      }
      return updated(inside, groups -> groups.stream().filter(id -> !id.equals(g)).toList());
    }));
  }

  private CompletionStage<HttpResponse> updated(List<Port> ports, Function<List<String>, List<String>> change) {
    List<CompletableFuture<Port>> each = ports.stream().map(p -> port(p.id())
        .<Port>askWithStatus(r -> new PortEntity.Update(
            p.attributes().withSecurityGroups(change.apply(p.attributes().securityGroups())), r), timeout)
        .toCompletableFuture()).toList();
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  /** The server's ports as their entities hold them now; a server without any: Nova's 404. */
  private CompletionStage<List<Port>> ports(ServerView server) {
    if (server.ports().isEmpty()) {
      throw ApiError.notFound("instance_id " + server.id() + " could not be found as device id on any ports");
    }
    List<CompletableFuture<Port>> each = new ArrayList<>();
    for (ServerPort p : server.ports()) {
      each.add(port(p.portId()).<Port>askWithStatus(PortEntity.Get::new, timeout).toCompletableFuture());
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
  }

  /** Nova's checks of the action's body. */
  private static String groupName(JsonNode args) {
    if (args == null || !args.isObject()) throw ApiError.badRequest("Missing parameter dict");
    if (!args.has("name")) throw ApiError.badRequest("Security group not specified");
    JsonNode name = args.get("name");
    if (name.isNull() || name.asText().isBlank()) throw ApiError.badRequest("Security group name cannot be empty");
    return name.asText();
  }

  /**
   * The group's id: by id if the caller's project has it (an admin: any), else the caller's
   * project's group of that name (Nova looks in the caller's project). None: 404; several: 409.
   */
  private CompletionStage<String> group(RequestContext ctx, String name) {
    String project = ctx.projectId();
    if (name.equals(SecurityGroupEntity.DEFAULT)) {
      return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, SecurityGroupEntity.defaultGroupId(project))
          .<SecurityGroup>askWithStatus(r -> new SecurityGroupEntity.EnsureDefault(project, r), timeout)
          .thenApply(SecurityGroup::id);
    }
    CompletionStage<Optional<String>> byId = !Ids.isUuid(name) ? CompletableFuture.completedFuture(Optional.empty())
        : sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, name.toLowerCase())
            .<SecurityGroup>askWithStatus(SecurityGroupEntity.Get::new, timeout)
            .handle((g, e) -> g != null && (g.projectId().equals(project) || ctx.isAdmin())
                ? Optional.of(g.id()) : Optional.empty());
    return byId.thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get())
        : ServiceRoutes.readSide(() -> listing.securityGroups(new NetworkListing.Query<>(Optional.of(project),
            Map.of("name", List.of(name)), Optional.empty(), (r, k) -> null, List.of(), 0, Optional.empty(), false)),
            blocking).thenApply(groups -> {
              if (groups.isEmpty()) {
                throw ApiError.notFound("Security group " + name + " is not found for project " + project);
              }
              if (groups.size() > 1) {
                throw new ApiError(409, "Multiple security_group matches found for name '" + name
                    + "', use an ID to be more specific.");
              }
              return groups.get(0).id();
            }));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<PortEntity.Command> port(String id) {
    return sharding.entityRefFor(PortEntity.TYPE_KEY, id);
  }
}
