package nimbus.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.network.RouterEntity.Event;

/**
 * A router as its entity keeps it: the {@link Router} it shows and publishes, and where its
 * workflow stands (quota held, the one port it is making or taking, the ports it must still
 * delete, the CIDR of each attached subnet). {@link #after} is the one function that says what an
 * event does to it, used by the entity and by the read side.
 */
public record RouterState(Router router, Phase phase, boolean quotaHeld, Optional<PortWork> making,
    List<PortRef> portsToDelete, Map<String, String> cidrs) implements CborSerializable {

  public RouterState {
    if (making == null) making = Optional.empty();
    portsToDelete = portsToDelete == null ? List.of() : List.copyOf(portsToDelete);
    cidrs = cidrs == null ? Map.of() : Map.copyOf(cidrs);
  }

  /** Where a router is in its life. */
  public enum Phase {
    /** Its quota (and the gateway port asked with it) is being claimed. */
    CREATING,
    ACTIVE,
    /** Refused or deleted: its ports and quota are being given back. */
    DELETING,
    GONE
  }

  /**
   * A port the router is making on a network (its gateway, or an interface holding a subnet's
   * gateway address), or the user's port it takes as an interface ({@code userPort}).
   */
  public record PortWork(String portId, String networkId, boolean gateway, boolean userPort,
      Optional<String> subnetId, Optional<List<IpRequest>> ips, String cidr, boolean enableSnat)
      implements CborSerializable {}

  /** A port of the router's that must go, and the network that holds its addresses. */
  public record PortRef(String portId, String networkId) implements CborSerializable {}

  /** A router just asked for, its gateway port (if any) still to make. */
  public static RouterState requested(Router router, Optional<PortWork> gateway) {
    return new RouterState(withStatus(router, Phase.CREATING), Phase.CREATING, false, gateway, List.of(), Map.of());
  }

  /** The interface on {@code subnetId}, if the router has one there. */
  public Optional<Router.Interface> interfaceOn(String subnetId) {
    return router.interfaces().stream().filter(i -> i.subnetId().equals(subnetId)).findFirst();
  }

  public Optional<Router.Interface> interfaceWithPort(String portId) {
    return router.interfaces().stream().filter(i -> i.portId().equals(portId)).findFirst();
  }

  /** Neutron's status: {@code DOWN} when set down, {@code ACTIVE} once on a host, {@code BUILD} before. */
  static String status(Router r, Phase phase) {
    if (!r.adminStateUp()) return "DOWN";
    return phase == Phase.ACTIVE && r.host().isPresent() ? "ACTIVE" : "BUILD";
  }

  public RouterState after(Event event) {
    Instant at = event.at();
    Router r = router;
    if (event instanceof RouterEntity.RouterRequested e) return requested(e.router(), e.gateway());
    if (event instanceof RouterEntity.RouterQuotaHeld) {
      return with(r, making.isPresent() ? phase : Phase.ACTIVE, true, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.RouterRefused || event instanceof RouterEntity.RouterDeleted) {
      List<PortRef> drop = new ArrayList<>(portsToDelete);
      r.gateway().ifPresent(g -> drop.add(new PortRef(g.portId(), g.networkId())));
      r.interfaces().forEach(i -> drop.add(new PortRef(i.portId(), i.networkId())));
      Router emptied = new Router(r.id(), r.projectId(), r.name(), r.description(), r.adminStateUp(), r.status(),
          r.host(), Optional.empty(), List.of(), List.of(), List.of(), r.availabilityZoneHints(), r.tags(),
          r.createdAt(), at, r.revisionNumber() + 1, false);
      return gone(with(emptied, Phase.DELETING, quotaHeld, Optional.empty(), drop, Map.of(), at));
    }
    if (event instanceof RouterEntity.RouterPlaced e) {
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), Optional.of(e.host()), r.gateway(),
          r.interfaces(), r.routes(), r.floatingIps()), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.RouterUpdated e) {
      return with(copy(r, e.name(), e.description(), e.adminStateUp(), r.host(), r.gateway(), r.interfaces(),
          r.routes(), r.floatingIps()), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.RoutesSet e) {
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), r.gateway(), r.interfaces(),
          e.routes(), r.floatingIps()), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.GatewayRequested e) {
      // the old gateway goes once the new one is asked for (its floating IPs with it)
      List<PortRef> drop = plus(portsToDelete, r.gateway());
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), Optional.empty(), r.interfaces(),
          r.routes(), List.of()), phase, quotaHeld, Optional.of(e.work()), drop, cidrs, at);
    }
    if (event instanceof RouterEntity.GatewayCleared) {
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), Optional.empty(), r.interfaces(),
          r.routes(), List.of()), phase, quotaHeld, making, plus(portsToDelete, r.gateway()), cidrs, at);
    }
    if (event instanceof RouterEntity.SnatSet e) {
      Optional<Router.Gateway> g = r.gateway().map(x -> new Router.Gateway(x.networkId(), x.portId(), e.enableSnat(),
          x.fixedIps()));
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), g, r.interfaces(), r.routes(),
          r.floatingIps()), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.InterfaceRequested e) {
      return with(r, phase, quotaHeld, Optional.of(e.work()), portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.PortMade e) return made(e.port(), at);
    if (event instanceof RouterEntity.PortWorkRefused) {
      Phase next = phase == Phase.CREATING ? Phase.DELETING : phase;
      return gone(with(r, next, quotaHeld, Optional.empty(), portsToDelete, cidrs, at));
    }
    if (event instanceof RouterEntity.InterfaceRemoved e) {
      Optional<Router.Interface> i = interfaceWithPort(e.portId());
      List<Router.Interface> left = r.interfaces().stream().filter(x -> !x.portId().equals(e.portId())).toList();
      Map<String, String> nextCidrs = new LinkedHashMap<>(cidrs);
      i.ifPresent(x -> nextCidrs.remove(x.subnetId()));
      List<PortRef> drop = i.map(x -> plusRef(portsToDelete, new PortRef(x.portId(), x.networkId())))
          .orElse(portsToDelete);
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), r.gateway(), left, r.routes(),
          r.floatingIps()), phase, quotaHeld, making, drop, nextCidrs, at);
    }
    if (event instanceof RouterEntity.RouterPortDeleted e) {
      return gone(with(r, phase, quotaHeld, making,
          portsToDelete.stream().filter(p -> !p.portId().equals(e.portId())).toList(), cidrs, at));
    }
    if (event instanceof RouterEntity.FloatingIpAdded e) {
      List<Router.FloatingIpMapping> fips = new ArrayList<>(r.floatingIps().stream()
          .filter(f -> !f.floatingIpId().equals(e.mapping().floatingIpId())).toList());
      fips.add(e.mapping());
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), r.gateway(), r.interfaces(),
          r.routes(), fips), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.FloatingIpRemoved e) {
      List<Router.FloatingIpMapping> fips = r.floatingIps().stream()
          .filter(f -> !f.floatingIpId().equals(e.floatingIpId())).toList();
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), r.gateway(), r.interfaces(),
          r.routes(), fips), phase, quotaHeld, making, portsToDelete, cidrs, at);
    }
    if (event instanceof RouterEntity.RouterQuotaReleased) {
      return gone(with(r, phase, false, making, portsToDelete, cidrs, at));
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  /** The port asked for is held: it becomes the gateway or an interface. */
  private RouterState made(Port port, Instant at) {
    if (making.isEmpty()) return this;
    PortWork w = making.get();
    Router r = router;
    Phase next = phase == Phase.CREATING && quotaHeld ? Phase.ACTIVE : phase;
    if (w.gateway()) {
      Router.Gateway g = new Router.Gateway(w.networkId(), port.id(), w.enableSnat(), port.fixedIps());
      return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), Optional.of(g), r.interfaces(),
          r.routes(), r.floatingIps()), next, quotaHeld, Optional.empty(), portsToDelete, cidrs, at);
    }
    FixedIp ip = port.fixedIps().stream().filter(f -> w.subnetId().map(f.subnetId()::equals).orElse(true))
        .findFirst().orElse(port.fixedIps().isEmpty() ? new FixedIp(w.subnetId().orElse(""), "") : port.fixedIps().get(0));
    List<Router.Interface> interfaces = new ArrayList<>(r.interfaces());
    interfaces.add(new Router.Interface(port.id(), port.networkId(), ip.subnetId(), ip.ipAddress()));
    Map<String, String> nextCidrs = new LinkedHashMap<>(cidrs);
    nextCidrs.put(ip.subnetId(), w.cidr());
    return with(copy(r, r.name(), r.description(), r.adminStateUp(), r.host(), r.gateway(), interfaces, r.routes(),
        r.floatingIps()), next, quotaHeld, Optional.empty(), portsToDelete, nextCidrs, at);
  }

  private RouterState gone(RouterState s) {
    boolean done = s.phase == Phase.DELETING && !s.quotaHeld && s.portsToDelete.isEmpty() && s.making.isEmpty();
    return done ? new RouterState(withStatus(s.router, Phase.GONE), Phase.GONE, false, Optional.empty(), List.of(),
        Map.of()) : s;
  }

  private static List<PortRef> plus(List<PortRef> refs, Optional<Router.Gateway> gateway) {
    return gateway.map(g -> plusRef(refs, new PortRef(g.portId(), g.networkId()))).orElse(refs);
  }

  private static List<PortRef> plusRef(List<PortRef> refs, PortRef ref) {
    List<PortRef> next = new ArrayList<>(refs);
    next.add(ref);
    return List.copyOf(next);
  }

  private static Router copy(Router r, String name, String description, boolean adminStateUp, Optional<String> host,
      Optional<Router.Gateway> gateway, List<Router.Interface> interfaces, List<Router.Route> routes,
      List<Router.FloatingIpMapping> floatingIps) {
    return new Router(r.id(), r.projectId(), name, description, adminStateUp, r.status(), host, gateway, interfaces,
        routes, floatingIps, r.availabilityZoneHints(), r.tags(), r.createdAt(), r.updatedAt(), r.revisionNumber(),
        r.deleted());
  }

  private static Router withStatus(Router r, Phase phase) {
    return new Router(r.id(), r.projectId(), r.name(), r.description(), r.adminStateUp(), status(r, phase), r.host(),
        r.gateway(), r.interfaces(), r.routes(), r.floatingIps(), r.availabilityZoneHints(), r.tags(), r.createdAt(),
        r.updatedAt(), r.revisionNumber(), phase == Phase.GONE);
  }

  private RouterState with(Router r, Phase phase, boolean quotaHeld, Optional<PortWork> making, List<PortRef> drop,
      Map<String, String> cidrs, Instant at) {
    Router stamped = new Router(r.id(), r.projectId(), r.name(), r.description(), r.adminStateUp(), r.status(),
        r.host(), r.gateway(), r.interfaces(), r.routes(), r.floatingIps(), r.availabilityZoneHints(), r.tags(),
        r.createdAt(), at, r.revisionNumber() + 1, r.deleted());
    return new RouterState(withStatus(stamped, phase), phase, quotaHeld, making, drop, cidrs);
  }
}
