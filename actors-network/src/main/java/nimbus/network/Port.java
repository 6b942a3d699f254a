package nimbus.network;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.network.PortEntity.Event;

/**
 * A port as its entity keeps it: what the API shows (attributes, MAC, addresses, binding, status)
 * and where its workflow steps stand (quota held, addresses held by its network).
 * {@link #after} says what an event does to it, for the entity and the read side alike.
 */
public record Port(String id, String networkId, String projectId, PortAttributes attributes,
    Optional<String> requestedMac, Optional<List<IpRequest>> requestedIps, String macAddress, List<FixedIp> fixedIps,
    Optional<String> hostId, String status, Phase phase, boolean quotaHeld, boolean addressesHeld,
    Instant createdAt, Instant updatedAt, int revisionNumber) implements CborSerializable {

  /** Where a port is in its life. */
  public enum Phase {
    /** Its quota and addresses are being claimed. */
    CREATING,
    READY,
    /** Usable, and asking its network for other addresses or another MAC ({@link PortEntity.ChangeAddresses}). */
    READDRESSING,
    /** Refused or deleted: its addresses and quota are being given back. */
    RELEASING,
    GONE
  }

  public static Port requested(String id, String networkId, String projectId, PortAttributes attributes,
      Optional<String> mac, Optional<List<IpRequest>> ips, Instant at) {
    return new Port(id, networkId, projectId, attributes, mac, ips, "", List.of(), Optional.empty(), "DOWN",
        Phase.CREATING, false, false, at, at, 0);
  }

  public Port after(Event event) {
    Instant at = event.at();
    if (event instanceof PortEntity.PortRequested e) return e.port();
    if (event instanceof PortEntity.PortQuotaHeld) return with(phase, true, addressesHeld, at);
    if (event instanceof PortEntity.AddressesAssigned e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, e.attachment().macAddress(),
          e.attachment().fixedIps(), hostId, status, Phase.READY, quotaHeld, true, createdAt, at, revisionNumber + 1);
    }
    if (event instanceof PortEntity.PortRefused || event instanceof PortEntity.PortDeleted) {
      // addresses may have been given though the answer was lost: always given back
      return gone(with(Phase.RELEASING, quotaHeld, true, at));
    }
    if (event instanceof PortEntity.PortUpdated e) {
      return new Port(id, networkId, projectId, e.attributes(), requestedMac, requestedIps, macAddress, fixedIps, hostId,
          status, phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1);
    }
    if (event instanceof PortEntity.PortBound e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps,
          // plugged nowhere yet on a new host (its agent reports ACTIVE once it has plugged it)
          e.hostId(), e.hostId().equals(hostId) ? status : "DOWN", phase, quotaHeld, addressesHeld, createdAt, at,
          revisionNumber + 1);
    }
    if (event instanceof PortEntity.PortStatusChanged e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps, hostId,
          e.status(), phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1);
    }
    if (event instanceof PortEntity.AddressChangeAsked e) {
      return new Port(id, networkId, projectId, attributes, e.mac(), e.ips(), macAddress, fixedIps, hostId, status,
          Phase.READDRESSING, quotaHeld, addressesHeld, createdAt, at, revisionNumber);
    }
    if (event instanceof PortEntity.AddressChangeRefused) return with(Phase.READY, quotaHeld, addressesHeld, updatedAt);
    if (event instanceof PortEntity.AddressesReleased) return gone(with(phase, quotaHeld, false, at));
    if (event instanceof PortEntity.PortQuotaReleased) return gone(with(phase, false, addressesHeld, at));
    throw new IllegalArgumentException("unknown event " + event);
  }

  private Port gone(Port p) {
    return p.phase == Phase.RELEASING && !p.quotaHeld && !p.addressesHeld ? p.with(Phase.GONE, false, false, p.updatedAt) : p;
  }

  private Port with(Phase phase, boolean quotaHeld, boolean addressesHeld, Instant at) {
    return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps, hostId,
        status, phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1);
  }
}
