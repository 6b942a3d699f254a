package nimbus.compute;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import nimbus.network.Attachment;
import nimbus.network.IpRequest;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkRefusal;
import nimbus.network.Port;
import nimbus.network.PortAttributes;
import nimbus.network.PortEntity;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupEntity;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/** A server's ports as {@link PortEntity}s on their {@link NetworkEntity}s in the cluster. */
final class ShardedServerPorts implements ServerPorts {
  /** Nova's device_owner for a server's ports. */
  static final String DEVICE_OWNER = "compute:nova";

  private final ClusterSharding sharding;
  private final HostDirectory hosts;
  private final Duration timeout;

  ShardedServerPorts(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.hosts = HostDirectory.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<StatusReply<List<ServerPort>>> allocate(String serverId, String projectId,
      List<NicRequest> nics) {
    List<CompletableFuture<StatusReply<ServerPort>>> each = new ArrayList<>();
    for (int i = 0; i < nics.size(); i++) {
      each.add(allocateOne(serverId, projectId, nics.get(i), ServerPorts.portId(serverId, i)).toCompletableFuture());
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(all -> {
      List<ServerPort> ports = new ArrayList<>();
      for (CompletableFuture<StatusReply<ServerPort>> f : each) {
        StatusReply<ServerPort> r = f.join();
        if (r.isError()) return StatusReply.<List<ServerPort>>error(r.getError());
        ports.add(r.getValue());
      }
      return StatusReply.success(List.copyOf(ports));
    });
  }

  @Override
  public CompletionStage<StatusReply<ServerPort>> allocateOne(String serverId, String projectId, NicRequest nic,
      String portId) {
    return nic.portId().isPresent() ? claim(serverId, projectId, nic.portId().get()) : make(portId, serverId, projectId, nic);
  }

  /** A new port of the server on the network asked for. */
  private CompletionStage<StatusReply<ServerPort>> make(String portId, String serverId, String projectId, NicRequest nic) {
    String networkId = nic.networkId().orElseThrow();
    return network(networkId).thenCompose(n -> {
      if (n.isError()) return done(StatusReply.error(n.getError()));
      if (!n.getValue().visibleTo(projectId)) return done(NetworkRefusal.networkNotFound(networkId));
      Optional<List<IpRequest>> ips = nic.fixedIp().map(ip -> List.of(new IpRequest(Optional.empty(), Optional.of(ip))));
      boolean secured = n.getValue().attributes().portSecurityEnabled();
      // as Nova asks Neutron: the groups the server names, else the project's default group, on
      // networks with port security
      CompletionStage<List<String>> named = secured && !nic.securityGroups().isEmpty()
          ? CompletableFuture.completedFuture(nic.securityGroups()) : defaultGroup(projectId, secured);
      return named.thenCompose(groups -> {
        Port asked = Port.requested(portId, networkId, projectId, new PortAttributes("", "", true, serverId,
            DEVICE_OWNER, List.of(), secured, List.of(), groups), Optional.empty(), ips, Instant.now());
        return sharding.entityRefFor(PortEntity.TYPE_KEY, portId)
            .<StatusReply<Port>>ask(r -> new PortEntity.Create(asked, r), timeout);
      })
          .thenApply(p -> p.isError() ? StatusReply.error(p.getError()) : StatusReply.success(nicOf(p.getValue(),
              n.getValue(), true)));
    });
  }

  /** The project's default security group (made if it is not there yet), if the port is filtered. */
  private CompletionStage<List<String>> defaultGroup(String projectId, boolean secured) {
    if (!secured) return CompletableFuture.completedFuture(List.of());
    return sharding.entityRefFor(SecurityGroupEntity.TYPE_KEY, SecurityGroupEntity.defaultGroupId(projectId))
        .<StatusReply<SecurityGroup>>ask(r -> new SecurityGroupEntity.EnsureDefault(projectId, r), timeout)
        .thenApply(g -> g.isError() ? List.<String>of() : List.of(g.getValue().id()));
  }

  /** The user's port, taken as the server's NIC. */
  private CompletionStage<StatusReply<ServerPort>> claim(String serverId, String projectId, String portId) {
    return sharding.entityRefFor(PortEntity.TYPE_KEY, portId)
        .<StatusReply<Port>>ask(r -> new PortEntity.ClaimDevice(serverId, DEVICE_OWNER, r), timeout)
        .thenCompose(p -> {
          if (p.isError()) return done(StatusReply.error(p.getError()));
          if (!p.getValue().projectId().equals(projectId)) return done(NetworkRefusal.portNotFound(portId));
          return network(p.getValue().networkId()).thenApply(n -> n.isError() ? StatusReply.error(n.getError())
              : StatusReply.success(nicOf(p.getValue(), n.getValue(), false)));
        });
  }

  private static ServerPort nicOf(Port p, Network n, boolean owned) {
    return new ServerPort(p.id(), n.id(), n.attributes().name(), p.macAddress(), p.fixedIps(), owned, Optional.empty());
  }

  private CompletionStage<StatusReply<Network>> network(String networkId) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId).ask(NetworkEntity.Get::new, timeout);
  }

  private static <T> CompletionStage<StatusReply<T>> done(StatusReply<T> reply) {
    return CompletableFuture.completedFuture(reply);
  }

  /** Each port is bound on its own entity, and placed on its network (whose hosts build tunnels to it). */
  @Override
  public CompletionStage<StatusReply<Done>> bind(List<ServerPort> ports, String host) {
    Optional<String> underlay = hosts.hosts().stream().filter(h -> h.host().equals(host))
        .map(h -> h.inventory().hostIp()).findFirst();
    if (underlay.isEmpty()) {
      return done(Rejection.unavailable("Host " + host + " has not reported its underlay address"));
    }
    var placement = Optional.of(new Attachment.Placement(host, underlay.get()));
    List<CompletableFuture<? extends StatusReply<?>>> each = new ArrayList<>();
    for (ServerPort p : ports) {
      each.add(sharding.entityRefFor(PortEntity.TYPE_KEY, p.portId())
          .<StatusReply<Port>>ask(r -> new PortEntity.Bind(Optional.of(host), r), timeout).toCompletableFuture());
      each.add(place(p.networkId(), p.portId(), placement).toCompletableFuture());
    }
    return allAcknowledged(each);
  }

  private CompletionStage<StatusReply<Done>> place(String networkId, String portId,
      Optional<Attachment.Placement> placement) {
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, networkId)
        .ask(r -> new NetworkEntity.PlacePort(portId, placement, r), timeout);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String serverId, List<PortRef> ports) {
    List<CompletableFuture<? extends StatusReply<?>>> each = new ArrayList<>();
    for (PortRef ref : ports) {
      var port = sharding.entityRefFor(PortEntity.TYPE_KEY, ref.portId());
      each.add(ref.owned()
          // a port never made, or gone already, is as good as deleted
          ? port.<StatusReply<Done>>ask(PortEntity.Delete::new, timeout)
              .thenApply(r -> r.isError() && Rejection.from(r.getError()).kind() == Rejection.Kind.NOT_FOUND
                  ? StatusReply.<Done>ack() : r).toCompletableFuture()
          : port.<StatusReply<Done>>ask(r -> new PortEntity.ReleaseDevice(serverId, r), timeout).toCompletableFuture()
              .thenCompose(r -> r.isError() || ref.networkId().isEmpty() ? done(r)
                  : place(ref.networkId().get(), ref.portId(), Optional.empty())));
    }
    return allAcknowledged(each);
  }

  private static CompletionStage<StatusReply<Done>> allAcknowledged(List<? extends CompletableFuture<? extends StatusReply<?>>> each) {
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(all -> {
      for (CompletableFuture<? extends StatusReply<?>> f : each) {
        if (f.join().isError()) return StatusReply.<Done>error(f.join().getError());
      }
      return StatusReply.<Done>ack();
    });
  }
}
