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
    int revisionNumber) implements CborSerializable {

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
          true, subnets, pendingSubnets, ports, quotaToRelease, createdAt, at, revisionNumber + 1));
    }
    if (event instanceof NetworkEntity.NetworkRefused || event instanceof NetworkEntity.NetworkDeleted) {
      return releasing(at);
    }
    if (event instanceof NetworkEntity.NetworkUpdated e) {
      return new Network(id, projectId, e.attributes(), segment, mtu, phase, quotaHeld, segmentHeld, subnets,
          pendingSubnets, ports, quotaToRelease, createdAt, at, revisionNumber + 1);
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
      return with(phase, quotaHeld, segmentHeld, subnets, minus(pendingSubnets, e.subnetId()), ports,
          quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetUpdated e) {
      return with(phase, quotaHeld, segmentHeld, replaced(subnets, e.subnet()), pendingSubnets, ports,
          quotaToRelease, at);
    }
    if (event instanceof NetworkEntity.SubnetDeleted e) {
      return with(phase, quotaHeld, segmentHeld, minus(subnets, e.subnetId()), pendingSubnets, ports,
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
        pendingSubnets, Map.copyOf(next), quotaToRelease, createdAt, updatedAt, revisionNumber);
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
    return gone(with(Phase.RELEASING, quotaHeld, segmentHeld, List.of(), List.of(), Map.of(), List.copyOf(release), at));
  }

  private Network gone(Network n) {
    boolean done = n.phase == Phase.RELEASING && !n.quotaHeld && !n.segmentHeld && n.quotaToRelease.isEmpty();
    return done ? n.with(Phase.GONE, false, false, n.subnets, n.pendingSubnets, n.ports, n.quotaToRelease, n.updatedAt) : n;
  }

  private Network with(Phase phase, boolean quotaHeld, boolean segmentHeld, List<Subnet> subnets,
      List<Subnet> pendingSubnets, Map<String, Attachment> ports, List<String> quotaToRelease, Instant at) {
    return new Network(id, projectId, attributes, segment, mtu, phase, quotaHeld, segmentHeld, subnets, pendingSubnets,
        ports, quotaToRelease, createdAt, at, revisionNumber + 1);
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
