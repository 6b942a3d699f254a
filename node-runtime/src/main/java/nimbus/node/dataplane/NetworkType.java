package nimbus.node.dataplane;

import java.util.Arrays;

/** The kinds of tenant network a host can carry, under the names Neutron's API gives them. */
public enum NetworkType {
  /** A bridge on one host and nothing else: guests on other hosts never see it. */
  LOCAL("local"),
  /** Untagged frames on a provider interface of the physical network. */
  FLAT("flat"),
  /** 802.1Q-tagged frames on a provider interface of the physical network. */
  VLAN("vlan"),
  /** Ethernet in UDP between the hosts' underlay addresses, one VNI per network. */
  VXLAN("vxlan"),
  /** Ethernet in GRE between the hosts' underlay addresses, one key per network. */
  GRE("gre");

  private final String apiName;

  NetworkType(String apiName) {
    this.apiName = apiName;
  }

  /** The name in {@code provider:network_type}. */
  public String apiName() {
    return apiName;
  }

  public static NetworkType of(String apiName) {
    return Arrays.stream(values()).filter(t -> t.apiName.equals(apiName)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown network type " + apiName));
  }
}
