package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.compute.NicRequest;
import nimbus.compute.ServerNetworks;
import nimbus.network.IpNet;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * A server create's {@code networks}, checked as Nova checks them before it answers: each network
 * exists and the project may use it, each port is the project's and free, a fixed address is
 * an address; the same port twice is refused. Without {@code networks} (or {@code auto}, or an
 * empty list) a server gets the one network its project may use, and a project with several must
 * name one (Nova's rule); a project with none gets its host's local network. {@code none} gets no NIC.
 */
final class RequestedNetworks {
  private final ClusterSharding sharding;
  private final NetworkListing listing;
  private final Executor blocking;
  private final Duration timeout;

  RequestedNetworks(ClusterSharding sharding, NetworkListing listing, Executor blocking, Duration timeout) {
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
  }

  /**
   * The security groups a server create names ({@code [{"name": ...}]}, by name or id, the
   * project's), as ids; none named: none here (its ports get the default group). Unknown: Nova's 400.
   */
  CompletionStage<List<String>> securityGroups(RequestContext ctx, Optional<JsonNode> named) {
    CompletionStage<List<String>> all = CompletableFuture.completedFuture(new ArrayList<>());
    if (named.isEmpty() || !named.get().isArray()) return all;
    for (JsonNode entry : named.get()) {
      String name = entry.path("name").asText();
      all = all.thenCompose(ids -> securityGroup(ctx.projectId(), name).thenApply(id -> {
        if (!ids.contains(id)) ids.add(id);
        return ids;
      }));
    }
    return all.thenApply(List::copyOf);
  }

  private CompletionStage<String> securityGroup(String projectId, String name) {
    ApiError unknown = ApiError.badRequest("Security group " + name + " not found for project " + projectId + ".");
    if (name.equals(SecurityGroupEntity.DEFAULT)) {
      return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, SecurityGroupEntity.defaultGroupId(projectId))
          .<SecurityGroup>askWithStatus(r -> new SecurityGroupEntity.EnsureDefault(projectId, r), timeout)
          .thenApply(SecurityGroup::id);
    }
    CompletionStage<Optional<String>> byId = !Ids.isUuid(name) ? CompletableFuture.completedFuture(Optional.empty())
        : sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, name.toLowerCase())
            .<SecurityGroup>askWithStatus(SecurityGroupEntity.Get::new, timeout)
            .handle((g, e) -> g != null && g.projectId().equals(projectId) ? Optional.of(g.id()) : Optional.empty());
    return byId.thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get())
        : CompletableFuture.supplyAsync(() -> {
          try {
            List<SecurityGroup> groups = listing.securityGroups(new NetworkListing.Query<>(Optional.of(projectId),
                Map.of("name", List.of(name)), Optional.empty(), (row, key) -> null, List.of(), 0, Optional.empty(),
                false));
            if (groups.size() != 1) throw unknown;
            return groups.get(0).id();
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException("read-side query failed", e);
          }
        }, blocking));
  }

  /** {@code count}: how many servers the request makes (a port or fixed address fits one only). */
  CompletionStage<ServerNetworks> resolve(RequestContext ctx, Optional<JsonNode> networks, int count) {
    if (networks.isEmpty() || networks.get().isTextual() && networks.get().asText().equals("auto")
        || networks.get().isArray() && networks.get().isEmpty()) {
      return available(ctx).thenCompose(ids -> {
        if (ids.isEmpty()) return CompletableFuture.completedFuture(ServerNetworks.HOST_LOCAL);
        if (ids.size() > 1) {
          throw new ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.");
        }
        NicRequest only = NicRequest.onNetwork(ids.get(0), Optional.empty());
        return check(ctx, only, 400).thenApply(ok -> ServerNetworks.of(List.of(only)));
      });
    }
    if (networks.get().isTextual()) return CompletableFuture.completedFuture(ServerNetworks.NONE);
    List<NicRequest> nics = new ArrayList<>();
    Set<String> ports = new HashSet<>();
    for (JsonNode n : networks.get()) {
      Optional<String> port = Fields.text(n, "port");
      Optional<String> uuid = Fields.text(n, "uuid");
      Optional<String> fixedIp = Fields.text(n, "fixed_ip");
      if (port.isPresent()) {
        if (fixedIp.isPresent()) {
          throw ApiError.badRequest("Specified Fixed IP '" + fixedIp.get() + "' cannot be used with port '" + port.get()
              + "': the two cannot be specified together.");
        }
        if (!ports.add(port.get())) {
          throw ApiError.badRequest("Port ID '" + port.get() + "' was specified twice: you cannot attach a port multiple times.");
        }
        if (count > 1) {
          throw ApiError.badRequest("Failed to launch instances: Unable to launch multiple instances with a single "
              + "configured port ID. Please launch your instance one by one with different ports.");
        }
        nics.add(NicRequest.port(port.get()));
        continue;
      }
      if (uuid.isEmpty()) throw ApiError.badRequest("Bad network format: missing 'uuid'");
      if (!Ids.isUuid(uuid.get())) {
        throw ApiError.badRequest("Bad networks format: network uuid is not in proper format (" + uuid.get() + ")");
      }
      if (fixedIp.isPresent() && IpNet.Address.parse(fixedIp.get()).isEmpty()) {
        throw ApiError.badRequest("Invalid fixed IP address (" + fixedIp.get() + ")");
      }
      if (fixedIp.isPresent() && count > 1) {
        throw ApiError.badRequest("Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.");
      }
      nics.add(NicRequest.onNetwork(uuid.get(), fixedIp));
    }
    List<CompletableFuture<Void>> checks = nics.stream().map(nic -> check(ctx, nic, 400).toCompletableFuture()).toList();
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenApply(done -> ServerNetworks.of(nics));
  }

  /** The networks a project may put servers on (Nova's: its own and the shared ones, not others' external ones). */
  private CompletionStage<List<String>> available(RequestContext ctx) {
    var query = new NetworkListing.Query<Network>(Optional.of(ctx.projectId()), Map.of(), Optional.empty(),
        (n, key) -> null, List.of(), 0, Optional.empty(), false);
    return CompletableFuture.supplyAsync(() -> {
      try {
        return listing.networks(query).stream().filter(n -> n.attributes().shared() || !n.attributes().external())
            .map(Network::id).toList();
      } catch (java.sql.SQLException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking);
  }

  /**
   * Whether the NIC can be had: its port the project's, free and with an address, or its network
   * usable by the project and with a subnet; {@code missing}: the status of an unknown one (a
   * create's is 400, an attach's 404).
   */
  CompletionStage<Void> check(RequestContext ctx, NicRequest nic, int missing) {
    if (nic.portId().isPresent()) {
      String id = nic.portId().get();
      return sharding.entityRefFor(PortEntity.TYPE_KEY, id).<StatusReply<Port>>ask(PortEntity.Get::new, timeout)
          .thenAccept(r -> {
            if (r.isError() || !r.getValue().projectId().equals(ctx.projectId())) {
              throw new ApiError(missing, "Port id " + id + " could not be found.");
            }
            if (!r.getValue().attributes().deviceId().isEmpty()) throw new ApiError(409, "Port " + id + " is still in use.");
            if (r.getValue().fixedIps().isEmpty()) {
              throw ApiError.badRequest("Port " + id + " requires a FixedIP in order to be used.");
            }
          });
    }
    String id = nic.networkId().orElseThrow();
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, id).<StatusReply<Network>>ask(NetworkEntity.Get::new, timeout)
        .thenAccept(r -> {
          if (r.isError() || !r.getValue().visibleTo(ctx.projectId())) {
            throw new ApiError(missing, "Network " + id + " could not be found.");
          }
          if (r.getValue().subnets().isEmpty()) {
            throw ApiError.badRequest("Network " + id + " requires a subnet in order to boot instances on.");
          }
        });
  }
}
