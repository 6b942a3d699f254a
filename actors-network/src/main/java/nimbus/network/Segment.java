package nimbus.network;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * Where a network's frames travel: its type, the physical network (for {@code flat} and
 * {@code vlan}) and its segmentation id (VLAN id, VNI or GRE key), allocated from the cloud's
 * ranges unless an admin named one.
 */
public record Segment(NetworkType type, Optional<String> physicalNetwork, Optional<Integer> segmentationId)
    implements CborSerializable {

  /** The pool a segmentation id of this segment comes from: one per type, and per physical network for VLANs and flat ones. */
  public Optional<String> pool() {
    return switch (type) {
      case VXLAN, GRE -> Optional.of(type.apiName());
      case VLAN, FLAT -> Optional.of(type.apiName() + ":" + physicalNetwork.orElse(""));
      case LOCAL -> Optional.empty();
    };
  }

  public Segment withId(int id) {
    return new Segment(type, physicalNetwork, Optional.of(id));
  }
}
