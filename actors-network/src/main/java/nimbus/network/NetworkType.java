package nimbus.network;

/**
 * How a network's frames travel between hosts, Neutron's {@code provider:network_type}, with
 * what each costs the guest in MTU on an underlay of a given MTU.
 */
public enum NetworkType {
  /** One host only: a bridge with no uplink. */
  LOCAL(0, false),
  /** Untagged on a provider interface (one network per physical network). */
  FLAT(0, false),
  /** 802.1Q-tagged on a provider interface. */
  VLAN(0, true),
  /** Overlay: Ethernet in UDP (port 4789) over the underlay, 50 bytes of headers. */
  VXLAN(50, true),
  /** Overlay: Ethernet in GRE over IPv4, 42 bytes of headers (Neutron's figure). */
  GRE(42, true);

  private final int overhead;
  private final boolean segmented;

  NetworkType(int overhead, boolean segmented) {
    this.overhead = overhead;
    this.segmented = segmented;
  }

  /** Whether networks of this type each need a segmentation id (VLAN id, VNI, GRE key). */
  public boolean segmented() {
    return segmented;
  }

  /** The MTU a guest gets on an underlay of {@code underlayMtu}. */
  public int mtu(int underlayMtu) {
    return underlayMtu - overhead;
  }

  /** Neutron's name ({@code vxlan}). */
  public String apiName() {
    return name().toLowerCase();
  }

  public static java.util.Optional<NetworkType> fromApi(String name) {
    for (NetworkType t : values()) if (t.apiName().equals(name)) return java.util.Optional.of(t);
    return java.util.Optional.empty();
  }

  /** The largest segmentation id of the type (VLAN ids are 12 bits, VNIs 24, GRE keys 32). */
  public long maxSegmentationId() {
    return switch (this) {
      case VLAN -> 4094;
      case VXLAN -> (1 << 24) - 1;
      case GRE -> 0xFFFFFFFFL;
      default -> 0;
    };
  }
}
