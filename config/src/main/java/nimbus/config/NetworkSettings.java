package nimbus.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tenant networks: the type a project's network gets, the segmentation ids tenant networks are
 * given, the provider networks hosts carry, the underlay MTU and Neutron's default quotas.
 */
public record NetworkSettings(
    String tenantNetworkType,
    List<int[]> vniRanges,
    List<int[]> greRanges,
    Map<String, List<int[]>> vlanRanges,
    List<String> flatNetworks,
    int underlayMtu,
    Duration stepRetryInterval,
    Map<String, Integer> defaultQuota) {

  private static final List<String> TYPES = List.of("local", "flat", "vlan", "vxlan", "gre");

  static NetworkSettings from(Config c) {
    String type = c.getString("tenant-network-type");
    if (!TYPES.contains(type) || type.equals("flat")) {
      throw new SettingsException("nimbus.network.tenant-network-type", "unknown or unsuitable type '" + type + "'",
          "use vxlan, gre, vlan or local");
    }
    int mtu = c.getInt("underlay-mtu");
    if (mtu < 1280 || mtu > 9216) {
      throw new SettingsException("nimbus.network.underlay-mtu", mtu + " is out of range", "use 1280 to 9216");
    }
    Map<String, List<int[]>> vlans = new HashMap<>();
    Config vlanConfig = c.getConfig("vlan-ranges");
    for (String physnet : vlanConfig.root().keySet()) {
      vlans.put(physnet, ranges("nimbus.network.vlan-ranges." + physnet, vlanConfig.getStringList(physnet), 4094));
    }
    Map<String, Integer> quota = new HashMap<>();
    Config q = c.getConfig("default-quota");
    for (String kind : q.root().keySet()) quota.put(kind, q.getInt(kind));
    return new NetworkSettings(type, ranges("nimbus.network.vni-ranges", c.getStringList("vni-ranges"), (1 << 24) - 1),
        ranges("nimbus.network.gre-ranges", c.getStringList("gre-ranges"), Integer.MAX_VALUE), Map.copyOf(vlans),
        List.copyOf(c.getStringList("flat-networks")), mtu, c.getDuration("step-retry-interval"), Map.copyOf(quota));
  }

  /** "FIRST:LAST" pairs, each within 1..max. */
  private static List<int[]> ranges(String key, List<String> texts, int max) {
    List<int[]> out = new ArrayList<>();
    for (String t : texts) {
      String[] parts = t.split(":");
      try {
        int first = Integer.parseInt(parts[0].trim());
        int last = Integer.parseInt(parts[parts.length == 2 ? 1 : 0].trim());
        if (parts.length > 2 || first < 1 || last > max || first > last) throw new NumberFormatException();
        out.add(new int[] {first, last});
      } catch (NumberFormatException e) {
        throw new SettingsException(key, "'" + t + "' is not a range", "write FIRST:LAST within 1 and " + max);
      }
    }
    return List.copyOf(out);
  }

  /** Defaults, for tests and tools that do not read a file. */
  public static NetworkSettings defaults() {
    return from(com.typesafe.config.ConfigFactory.defaultReference().resolve().getConfig("nimbus.network"));
  }
}
