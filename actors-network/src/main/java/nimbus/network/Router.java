package nimbus.network;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A router as its entity keeps it and publishes it to the host that carries it
 * ({@link RouterChanged}): what the API shows, the host it is placed on, its gateway to an external
 * network, an interface per attached subnet (each a port of that subnet's network, holding the
 * subnet's gateway address), its static routes, and the floating IPs it translates. A deleted
 * router is published once more, {@code deleted}, so its host removes it.
 */
public record Router(String id, String projectId, String name, String description, boolean adminStateUp,
    String status, Optional<String> host, Optional<Gateway> gateway, List<Interface> interfaces,
    List<Route> routes, List<FloatingIpMapping> floatingIps, List<String> availabilityZoneHints,
    List<String> tags, Instant createdAt, Instant updatedAt, int revisionNumber, boolean deleted)
    implements CborSerializable {

  public Router {
    if (host == null) host = Optional.empty();
    if (gateway == null) gateway = Optional.empty();
    interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
    routes = routes == null ? List.of() : List.copyOf(routes);
    floatingIps = floatingIps == null ? List.of() : List.copyOf(floatingIps);
    availabilityZoneHints = availabilityZoneHints == null ? List.of() : List.copyOf(availabilityZoneHints);
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  /**
   * The router's leg on an external network: its gateway port there and that port's addresses
   * (SNAT goes out from the first IPv4 one when {@code enableSnat}).
   */
  public record Gateway(String networkId, String portId, boolean enableSnat, List<FixedIp> fixedIps)
      implements CborSerializable {
    public Gateway {
      fixedIps = fixedIps == null ? List.of() : List.copyOf(fixedIps);
    }
  }

  /** The router's port on one subnet, holding that subnet's gateway address (or another of its addresses). */
  public record Interface(String portId, String networkId, String subnetId, String ipAddress)
      implements CborSerializable {}

  /** A static route: traffic to {@code destination} (a CIDR) goes through {@code nexthop}. */
  public record Route(String destination, String nexthop) implements CborSerializable {}

  /**
   * A floating IP this router translates: traffic to {@code floatingIpAddress} (on the gateway's
   * network) goes to {@code fixedIpAddress} of {@code portId}, and that address's traffic leaves
   * from the floating IP.
   */
  public record FloatingIpMapping(String floatingIpId, String floatingIpAddress, String fixedIpAddress,
      String portId) implements CborSerializable {}
}
