package nimbus.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.network.NetworkEntity.Event;

/**
 * A network as its entity keeps it: what the API shows (attributes, segment, MTU, subnets), the
 * addresses it has handed out (by port), and where its workflow steps stand (quota, segment,
 * subnets waiting for quota, quota still to give back). {@link #after} is the one function that
 * says what an event does to it, used by the entity and by the read side.
 */
public record Network(String id, String projectId, NetworkAttributes attributes, Segment segment, int mtu,
    Phase phase, boolean quotaHeld, boolean segmentHeld, List<Subnet> subnets, List<Subnet> pendingSubnets,
    Map<String, Attachment> ports, List<String> quotaToRelease, Instant createdAt, Instant updatedAt,
    int revisionNumber, Map<String, PoolSubnet> subnetsAwaitingCidr, List<PoolClaim> cidrsToRelease)
    implements CborSerializable {

  /** A CIDR subnet {@code subnetId} took (or may have taken) from subnet pool {@code poolId}. */
  public record PoolClaim(String poolId, String subnetId) implements CborSerializable {}

  public Network {
    // networks journaled before subnet pools have neither
    subnetsAwaitingCidr = subnetsAwaitingCidr == null ? Map.of() : subnetsAwaitingCidr;
    cidrsToRelease = cidrsToRelease == null ? List.of() : cidrsToRelease;
  }

  /** A network with no subnet pool work. */
  public Network(String id, String projectId, NetworkAttributes attributes, Segment segment, int mtu,
      Phase phase, boolean quotaHeld, boolean segmentHeld, List<Subnet> subnets, List<Subnet> pendingSubnets,
      Map<String, Attachment> ports, List<String> quotaToRelease, Instant createdAt, Instant updatedAt,
      int revisionNumber) {
    this(id, projectId, attributes, segment, mtu, phase, quotaHeld, segmentHeld, subnets, pendingSubnets, ports,
        quotaToRelease, createdAt, updatedAt, revisionNumber, Map.of(), List.of());
  }

  /** Where a network is in its life. */
  public enum Phase {
    /** Its quota and segment are being claimed: not usable yet. */
    CREATING,
    ACTIVE,
    /** Refused or deleted: what it held is being given back. */
    RELEASING,
    GONE
  }

  /** A network just asked for: nothing claimed yet. */
  public static Network requested(String id, String projectId, NetworkAttributes attributes, Segment segment,
      int mtu, Instant at) {
    return new Network(id, projectId, attributes, segment, mtu, Phase.CREATING, false, false, List.of(), List.of(),
        Map.of(), List.of(), at, at, 0);
  }

  /** Neutron's status: {@code ACTIVE} once usable, {@code BUILD} before. */
  public String status() {
    return phase == Phase.CREATING ? "BUILD" : "ACTIVE";
  }

  public Optional<Subnet> subnet(String subnetId) {
    return subnets.stream().filter(s -> s.id().equals(subnetId)).findFirst();
  }

  /** Whether {@code projectId} may see and use it: its own, or shared. */
  public boolean visibleTo(String projectId) {
    return this.projectId.equals(projectId) || attributes.shared();
  }

  public Network after(Event event) {
    Instant at = event.at();
    if (event instanceof NetworkEntity.NetworkRequested e) return e.network();
    if (event instanceof NetworkEntity.NetworkQuotaHeld) {
      return ready(with(phase, true, segmentHeld, subnets, pendingSubnets, ports, quotaToRelease, at));
    }
    if (event instanceof NetworkEntity.SegmentAllocated e) {
      return ready(new Network(id, projectId, attributes, segment.withId(e.segmentationId()), mtu, phase, quotaHeld,
          true, subnets, pendingSubnets, ports, quotaToRelease, createdAt, at, revisionNumber + 1, subnetsAwaitingCidr,
          cidrsToRelease));
    }
    if (event instanceof NetworkEntity.NetworkRefused || event instanceof NetworkEntity.NetworkDeleted) {
      return releasing(at);
    }
    if (event instanceof NetworkEntity.NetworkUpdated e) {
      return new Network(id, projectId, e.attributes(), segment, mtu, phase, quotaHeld, segmentHeld, subnets,
          pendingSubnets, ports, quotaToRelease, createdAt, at, revisionNumber + 1, subnetsAwaitingCidr, cidrsToRelease);
    }
    if (event instanceof NetworkEntity.QuotaReleased e) {
      List<String> left = new ArrayList<>(quotaToRelease);
      left.removeAll(e.ids());
      return gone(with(phase, quotaHeld && !e.ids().contains(id), segmentHeld, subnets, pendingSubnets, ports,
          List.copyOf(left), at));
    }
    if (event instanceof NetworkEntity.SegmentReleased) {
      return gone(with(phase, quotaHeld, false, subnets, pendingSubnets, ports, quotaToRelease, at));
    }
    if (event instanceof NetworkEntity.SubnetRequested e) {
      return with(phase, quotaHeld, segmentHeld, subnets, plus(pendingSubnets, e.subnet()), ports, quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetAdded e) {
      return with(phase, quotaHeld, segmentHeld, plus(subnets, pending(e.subnetId())),
          minus(pendingSubnets, e.subnetId()), ports, quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetRefused e) {
      // a CIDR may have been given though the answer was lost: always given back
      Network n = withPools(subnetsAwaitingCidr, plusClaims(cidrsToRelease, poolOf(e.subnetId()), e.subnetId()));
      return n.withAwaiting(e.subnetId(), null).with(phase, quotaHeld, segmentHeld, subnets,
          minus(pendingSubnets, e.subnetId()), ports, quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.PoolSubnetRequested e) {
      return withAwaiting(e.request().id(), e.request()).with(phase, quotaHeld, segmentHeld, subnets, pendingSubnets,
          ports, quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetCidrAllocated e) {
      Subnet s = subnetsAwaitingCidr.get(e.subnetId()).subnet(e.cidr());
      return withAwaiting(e.subnetId(), null).with(phase, quotaHeld, segmentHeld, subnets, plus(pendingSubnets, s),
          ports, quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetCidrReleased e) {
      List<PoolClaim> left = cidrsToRelease.stream().filter(c -> !c.subnetId().equals(e.subnetId())).toList();
      return gone(withPools(subnetsAwaitingCidr, left).with(phase, quotaHeld, segmentHeld, subnets, pendingSubnets,
          ports, quotaToRelease, at));
    }
    if (event instanceof NetworkEntity.SubnetUpdated e) {
      return with(phase, quotaHeld, segmentHeld, replaced(subnets, e.subnet()), pendingSubnets, ports,
          quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetDeleted e) {
      return withPools(subnetsAwaitingCidr, plusClaims(cidrsToRelease, poolOf(e.subnetId()), e.subnetId())).with(phase, quotaHeld, segmentHeld, minus(subnets, e.subnetId()), pendingSubnets, ports,
          plusId(quotaToRelease, e.subnetId()), at);
    }
    Map<String, Attachment> next = new LinkedHashMap<>(ports);
    if (event instanceof NetworkEntity.PortAttached e) {
      next.put(e.portId(), e.attachment());
    } else if (event instanceof NetworkEntity.PortDetached e) {
      next.remove(e.portId());
    } else if (event instanceof NetworkEntity.PortPlaced e && next.containsKey(e.portId())) {
      next.put(e.portId(), next.get(e.portId()).placed(e.placement()));
    } else if (event instanceof NetworkEntity.PortPlaced) {
      return this;
    } else {
      throw new IllegalArgumentException("unknown event " + event);
    }
    // addresses handed out are not part of the network's view: no new revision
    return new Network(id, projectId, attributes, segment, mtu, phase, quotaHeld, segmentHeld, subnets,
        pendingSubnets, Map.copyOf(next), quotaToRelease, createdAt, updatedAt, revisionNumber, subnetsAwaitingCidr,
        cidrsToRelease);
  }

  /** Claimed all it needs: usable. */
  private Network ready(Network n) {
    boolean ready = n.phase == Phase.CREATING && n.quotaHeld && (n.segment.pool().isEmpty() || n.segmentHeld);
    return ready ? n.with(Phase.ACTIVE, n.quotaHeld, n.segmentHeld, n.subnets, n.pendingSubnets, n.ports,
        n.quotaToRelease, n.updatedAt) : n;
  }

  /** Everything it held goes back: its own quota and its subnets'. */
  private Network releasing(Instant at) {
    List<String> release = new ArrayList<>(quotaToRelease);
    subnets.forEach(s -> release.add(s.id()));
    pendingSubnets.forEach(s -> release.add(s.id()));
    if (quotaHeld) release.add(id);
    List<PoolClaim> claims = cidrsToRelease;
    for (Subnet s : subnets) claims = plusClaims(claims, s.subnetpoolId(), s.id());
    for (Subnet s : pendingSubnets) claims = plusClaims(claims, s.subnetpoolId(), s.id());
    for (PoolSubnet s : subnetsAwaitingCidr.values()) claims = plusClaims(claims, Optional.of(s.poolId()), s.id());
    return gone(withPools(Map.of(), claims).with(Phase.RELEASING, quotaHeld, segmentHeld, List.of(), List.of(), Map.of(), List.copyOf(release), at));
  }

  private Network gone(Network n) {
    boolean done = n.phase == Phase.RELEASING && !n.quotaHeld && !n.segmentHeld && n.quotaToRelease.isEmpty()
        && n.cidrsToRelease.isEmpty();
    return done ? n.with(Phase.GONE, false, false, n.subnets, n.pendingSubnets, n.ports, n.quotaToRelease, n.updatedAt) : n;
  }

  /** The subnet pool subnet {@code subnetId} has (or asked) its CIDR from, if any. */
  private Optional<String> poolOf(String subnetId) {
    if (subnetsAwaitingCidr.containsKey(subnetId)) return Optional.of(subnetsAwaitingCidr.get(subnetId).poolId());
    return java.util.stream.Stream.concat(subnets.stream(), pendingSubnets.stream())
        .filter(s -> s.id().equals(subnetId)).findFirst().flatMap(Subnet::subnetpoolId);
  }

  private static List<PoolClaim> plusClaims(List<PoolClaim> claims, Optional<String> poolId, String subnetId) {
    if (poolId.isEmpty() || claims.stream().anyMatch(c -> c.subnetId().equals(subnetId))) return claims;
    List<PoolClaim> next = new ArrayList<>(claims);
    next.add(new PoolClaim(poolId.get(), subnetId));
    return List.copyOf(next);
  }

  /** {@code request} null: the subnet no longer waits for a CIDR. */
  private Network withAwaiting(String subnetId, PoolSubnet request) {
    Map<String, PoolSubnet> next = new LinkedHashMap<>(subnetsAwaitingCidr);
    if (request == null) next.remove(subnetId); else next.put(subnetId, request);
    return withPools(Map.copyOf(next), cidrsToRelease);
  }

  private Network withPools(Map<String, PoolSubnet> awaiting, List<PoolClaim> claims) {
    return new Network(id, projectId, attributes, segment, mtu, phase, quotaHeld, segmentHeld, subnets, pendingSubnets,
        ports, quotaToRelease, createdAt, updatedAt, revisionNumber, awaiting, claims);
  }

  private Network with(Phase phase, boolean quotaHeld, boolean segmentHeld, List<Subnet> subnets,
      List<Subnet> pendingSubnets, Map<String, Attachment> ports, List<String> quotaToRelease, Instant at) {
    return new Network(id, projectId, attributes, segment, mtu, phase, quotaHeld, segmentHeld, subnets, pendingSubnets,
        ports, quotaToRelease, createdAt, at, revisionNumber + 1, subnetsAwaitingCidr, cidrsToRelease);
  }

  private Subnet pending(String subnetId) {
    return pendingSubnets.stream().filter(s -> s.id().equals(subnetId)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no pending subnet " + subnetId));
  }

  private static List<Subnet> plus(List<Subnet> list, Subnet s) {
    List<Subnet> next = new ArrayList<>(list);
    next.add(s);
    return List.copyOf(next);
  }

  private static List<Subnet> minus(List<Subnet> list, String subnetId) {
    return list.stream().filter(s -> !s.id().equals(subnetId)).toList();
  }

  private static List<Subnet> replaced(List<Subnet> list, Subnet s) {
    return list.stream().map(old -> old.id().equals(s.id()) ? s : old).toList();
  }

  private static List<String> plusId(List<String> list, String id) {
    List<String> next = new ArrayList<>(list);
    next.add(id);
    return List.copyOf(next);
  }
}
