package nimbus.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    Instant createdAt, Instant updatedAt, int revisionNumber, Security security) implements CborSerializable {

  public Port {
    // ports journaled before security groups: in no group, unfiltered
    if (security == null) security = Security.NONE;
  }

  /**
   * Where the port's filtering stands: the groups it is a member of, each with the addresses it
   * joined with, and the {@link PortSecurity} its network holds for it.
   */
  public record Security(Map<String, List<String>> joined, PortSecurity applied) implements CborSerializable {
    public static final Security NONE = new Security(Map.of(), PortSecurity.OFF);

    public Security {
      joined = joined == null ? Map.of() : Map.copyOf(joined);
      if (applied == null) applied = PortSecurity.OFF;
    }
  }

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
        Phase.CREATING, false, false, at, at, 0, Security.NONE);
  }

  public Port after(Event event) {
    Instant at = event.at();
    if (event instanceof PortEntity.PortRequested e) return e.port();
    if (event instanceof PortEntity.PortQuotaHeld) return with(phase, true, addressesHeld, at);
    if (event instanceof PortEntity.AddressesAssigned e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, e.attachment().macAddress(),
          e.attachment().fixedIps(), hostId, status, Phase.READY, quotaHeld, true, createdAt, at, revisionNumber + 1, security);
    }
    if (event instanceof PortEntity.PortRefused || event instanceof PortEntity.PortDeleted) {
      // addresses may have been given though the answer was lost: always given back
      return gone(with(Phase.RELEASING, quotaHeld, true, at));
    }
    if (event instanceof PortEntity.PortUpdated e) {
      return new Port(id, networkId, projectId, e.attributes(), requestedMac, requestedIps, macAddress, fixedIps, hostId,
          status, phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1, security);
    }
    if (event instanceof PortEntity.PortBound e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps,
          // plugged nowhere yet on a new host (its agent reports ACTIVE once it has plugged it)
          e.hostId(), e.hostId().equals(hostId) ? status : "DOWN", phase, quotaHeld, addressesHeld, createdAt, at,
          revisionNumber + 1, security);
    }
    if (event instanceof PortEntity.PortStatusChanged e) {
      return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps, hostId,
          e.status(), phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1, security);
    }
    if (event instanceof PortEntity.AddressChangeAsked e) {
      return new Port(id, networkId, projectId, attributes, e.mac(), e.ips(), macAddress, fixedIps, hostId, status,
          Phase.READDRESSING, quotaHeld, addressesHeld, createdAt, at, revisionNumber, security);
    }
    if (event instanceof PortEntity.AddressChangeRefused) return with(Phase.READY, quotaHeld, addressesHeld, updatedAt);
    if (event instanceof PortEntity.AddressesReleased) return gone(with(phase, quotaHeld, false, at));
    if (event instanceof PortEntity.PortQuotaReleased) return gone(with(phase, false, addressesHeld, at));
    if (event instanceof PortEntity.GroupJoined e) {
      Map<String, List<String>> joined = new LinkedHashMap<>(security.joined());
      joined.put(e.groupId(), e.addresses());
      return gone(withSecurity(new Security(joined, security.applied())));
    }
    if (event instanceof PortEntity.GroupLeft e) {
      Map<String, List<String>> joined = new LinkedHashMap<>(security.joined());
      joined.remove(e.groupId());
      return gone(withSecurity(new Security(joined, security.applied())));
    }
    if (event instanceof PortEntity.SecurityApplied e) return withSecurity(new Security(security.joined(), e.security()));
    throw new IllegalArgumentException("unknown event " + event);
  }

  private Port gone(Port p) {
    return p.phase == Phase.RELEASING && !p.quotaHeld && !p.addressesHeld && p.security.joined().isEmpty()
        ? p.with(Phase.GONE, false, false, p.updatedAt) : p;
  }

  /** How hosts should filter the port: as its attributes say, but never a port of Neutron's own. */
  public PortSecurity wantedSecurity() {
    if (attributes.exemptFromFiltering() || !attributes.portSecurityEnabled()) return PortSecurity.OFF;
    return new PortSecurity(true, attributes.securityGroups(), attributes.allowedAddressPairs());
  }

  /** The groups the port should be a member of, each with the addresses it sends from; none once it is going. */
  public Map<String, List<String>> wantedMembership() {
    if (phase == Phase.RELEASING || phase == Phase.GONE || !addressesHeld) return Map.of();
    List<String> addresses = new ArrayList<>();
    fixedIps.forEach(ip -> addresses.add(ip.ipAddress()));
    attributes.allowedAddressPairs().forEach(pair -> addresses.add(pair.ipAddress()));
    Map<String, List<String>> wanted = new LinkedHashMap<>();
    wantedSecurity().securityGroups().forEach(g -> wanted.put(g, List.copyOf(addresses)));
    return wanted;
  }

  /** Whether it is a member of exactly the groups it should be, with its addresses. */
  public boolean membershipSettled() {
    return security.joined().equals(wantedMembership());
  }

  /** Whether its groups and its network know the port as it is. */
  public boolean securitySettled() {
    boolean applied = !addressesHeld || phase != Phase.READY || security.applied().equals(wantedSecurity());
    return applied && security.joined().equals(wantedMembership());
  }

  private Port withSecurity(Security security) {
    return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps, hostId,
        status, phase, quotaHeld, addressesHeld, createdAt, updatedAt, revisionNumber, security);
  }

  private Port with(Phase phase, boolean quotaHeld, boolean addressesHeld, Instant at) {
    return new Port(id, networkId, projectId, attributes, requestedMac, requestedIps, macAddress, fixedIps, hostId,
        status, phase, quotaHeld, addressesHeld, createdAt, at, revisionNumber + 1, security);
  }
}
