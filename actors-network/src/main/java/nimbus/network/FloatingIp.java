package nimbus.network;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.network.FloatingIpEntity.Event;

/**
 * A floating IP as its entity keeps it: what the API shows (its address on an external network,
 * the port and fixed address it is associated with, the router that translates it, status) and
 * where its workflow stands (quota, its {@code network:floatingip} port, the router still to
 * tell). {@link #after} is the one function that says what an event does to it, used by the
 * entity and by the read side.
 */
public record FloatingIp(String id, String projectId, String floatingNetworkId, Optional<String> subnetId,
    Optional<String> requestedAddress, String floatingIpAddress, String description, Optional<Association> association,
    String status, Phase phase, boolean quotaHeld, boolean portHeld, Optional<Association> wanted,
    Optional<String> routerToLeave, Instant createdAt, Instant updatedAt, int revisionNumber)
    implements CborSerializable {

  public FloatingIp {
    if (association == null) association = Optional.empty();
    if (wanted == null) wanted = Optional.empty();
    if (routerToLeave == null) routerToLeave = Optional.empty();
  }

  /** Where a floating IP is in its life. */
  public enum Phase {
    /** Its quota and address are being claimed. */
    CREATING,
    ACTIVE,
    /** Released: its router, address and quota are being given back. */
    RELEASING,
    GONE
  }

  /** The port and fixed address it points at, and the router that translates it. */
  public record Association(String portId, String fixedIpAddress, String routerId) implements CborSerializable {}

  /** Its port on the external network: the floating IP's own id (one port per floating IP). */
  public String portId() {
    return id;
  }

  public Optional<String> routerId() {
    return association.map(Association::routerId);
  }

  public static FloatingIp requested(String id, String projectId, String networkId, Optional<String> subnetId,
      Optional<String> address, String description, Optional<Association> wanted, Instant at) {
    return new FloatingIp(id, projectId, networkId, subnetId, address, "", description, Optional.empty(), "DOWN",
        Phase.CREATING, false, false, wanted, Optional.empty(), at, at, 0);
  }

  public FloatingIp after(Event event) {
    Instant at = event.at();
    if (event instanceof FloatingIpEntity.FloatingIpRequested e) return e.floatingIp();
    if (event instanceof FloatingIpEntity.FloatingIpQuotaHeld) return with(phase, true, portHeld, at);
    if (event instanceof FloatingIpEntity.AddressAssigned e) {
      FloatingIp f = new FloatingIp(id, projectId, floatingNetworkId, Optional.of(e.subnetId()), requestedAddress,
          e.address(), description, association, status, Phase.ACTIVE, quotaHeld, true, wanted, routerToLeave,
          createdAt, at, revisionNumber + 1);
      return f;
    }
    if (event instanceof FloatingIpEntity.FloatingIpRefused || event instanceof FloatingIpEntity.FloatingIpReleased) {
      // the port may have been made though the answer was lost: always deleted
      return leaving(Phase.RELEASING, Optional.empty(), at).with(Phase.RELEASING, quotaHeld, true, at).gone();
    }
    if (event instanceof FloatingIpEntity.AssociationAsked e) {
      return leaving(phase, e.association(), at);
    }
    if (event instanceof FloatingIpEntity.RouterLeft) {
      return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress,
          description, association, status, phase, quotaHeld, portHeld, wanted, Optional.empty(), createdAt, at,
          revisionNumber).gone();
    }
    if (event instanceof FloatingIpEntity.Associated) {
      return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress,
          description, wanted, "DOWN", phase, quotaHeld, portHeld, Optional.empty(), routerToLeave, createdAt, at,
          revisionNumber + 1);
    }
    if (event instanceof FloatingIpEntity.StatusReported e) {
      return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress,
          description, association, e.status(), phase, quotaHeld, portHeld, wanted, routerToLeave, createdAt, at,
          revisionNumber + 1);
    }
    if (event instanceof FloatingIpEntity.DescriptionChanged e) {
      return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress,
          e.description(), association, status, phase, quotaHeld, portHeld, wanted, routerToLeave, createdAt, at,
          revisionNumber + 1);
    }
    if (event instanceof FloatingIpEntity.FloatingPortDeleted) return with(phase, quotaHeld, false, at).gone();
    if (event instanceof FloatingIpEntity.FloatingIpQuotaReleased) return with(phase, false, portHeld, at).gone();
    throw new IllegalArgumentException("unknown event " + event);
  }

  /**
   * No longer associated (the router it went through to be told), and {@code next} wanted instead
   * (empty: left unassociated).
   */
  private FloatingIp leaving(Phase phase, Optional<Association> next, Instant at) {
    Optional<String> leave = association.map(Association::routerId).or(() -> routerToLeave);
    return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress, description,
        Optional.empty(), "DOWN", phase, quotaHeld, portHeld, next, leave, createdAt, at, revisionNumber + 1);
  }

  private FloatingIp gone() {
    boolean done = phase == Phase.RELEASING && !quotaHeld && !portHeld && routerToLeave.isEmpty();
    return done ? with(Phase.GONE, false, false, updatedAt) : this;
  }

  private FloatingIp with(Phase phase, boolean quotaHeld, boolean portHeld, Instant at) {
    return new FloatingIp(id, projectId, floatingNetworkId, subnetId, requestedAddress, floatingIpAddress, description,
        association, status, phase, quotaHeld, portHeld, wanted, routerToLeave, createdAt, at, revisionNumber + 1);
  }
}
