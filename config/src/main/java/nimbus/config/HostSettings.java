package nimbus.config;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * This machine as a hypervisor host: its name, its libvirt connection and its ratios, its
 * underlay address (where other hosts' tunnels of tenant networks end), and its interface on
 * each physical network (Neutron's {@code physical_interface_mappings}: where flat and VLAN
 * networks leave the host).
 */
public record HostSettings(
    String name,
    String hypervisorUri,
    String domainType,
    Path instancesDir,
    Duration heartbeatInterval,
    Duration reconcileInterval,
    Duration gracefulShutdownTimeout,
    double cpuAllocationRatio,
    double ramAllocationRatio,
    double diskAllocationRatio,
    int diskGb,
    String dataplane,
    String bridge,
    String cidr,
    Path dhcpDir,
    String availabilityZone,
    Duration imageCacheKeep,
    String underlayAddress,
    Map<String, String> physicalInterfaces,
    String storagePoolType) {

  public HostSettings {
    physicalInterfaces = Map.copyOf(physicalInterfaces);
  }

  /** A host whose volumes are files in a {@code dir} pool (the default). */
  public HostSettings(String name, String hypervisorUri, String domainType, Path instancesDir, Duration heartbeatInterval,
      Duration reconcileInterval, Duration gracefulShutdownTimeout, double cpuAllocationRatio, double ramAllocationRatio,
      double diskAllocationRatio, int diskGb, String dataplane, String bridge, String cidr, Path dhcpDir,
      String availabilityZone, Duration imageCacheKeep, String underlayAddress, Map<String, String> physicalInterfaces) {
    this(name, hypervisorUri, domainType, instancesDir, heartbeatInterval, reconcileInterval, gracefulShutdownTimeout,
        cpuAllocationRatio, ramAllocationRatio, diskAllocationRatio, diskGb, dataplane, bridge, cidr, dhcpDir,
        availabilityZone, imageCacheKeep, underlayAddress, physicalInterfaces, "dir");
  }

  private static final Set<String> SCHEMES =
      Set.of("test", "qemu", "qemu+unix", "qemu+ssh", "qemu+tcp", "qemu+tls");

  static HostSettings from(Config c, Path dataDir) {
    String uri = c.getString("hypervisor-uri");
    String scheme = schemeOf(uri);
    String domainType = c.getString("domain-type");
    if (domainType.equals("auto")) domainType = scheme.equals("test") ? "test" : "qemu";
    if (!Set.of("test", "qemu", "kvm").contains(domainType)) {
      throw new SettingsException("nimbus.host.domain-type", "unknown type '" + domainType + "'",
          "use auto, qemu, kvm or test");
    }
    String instances = c.getString("instances-dir");
    String name = c.getString("name").isBlank() ? localHostName() : c.getString("name");
    String bridge = bridge(c.getString("local-network.bridge"));
    return new HostSettings(
        name,
        uri,
        domainType,
        instances.isBlank() ? dataDir.resolve("instances") : Path.of(instances).toAbsolutePath().normalize(),
        positive(c, "heartbeat-interval"),
        positive(c, "reconcile-interval"),
        c.getDuration("graceful-shutdown-timeout"),
        ratio(c, "cpu-allocation-ratio"),
        ratio(c, "ram-allocation-ratio"),
        ratio(c, "disk-allocation-ratio"),
        diskGb(c.getString("disk-gb")),
        dataplane(c.getString("dataplane"), scheme),
        bridge,
        cidr(c.getString("local-network.cidr")),
        Path.of(c.getString("local-network.dhcp-dir")).toAbsolutePath().normalize(),
        zone(c.getString("availability-zone")),
        c.getDuration("image-cache-keep"),
        c.getString("underlay-address").isBlank()
            ? Underlay.defaultAddress(name, bridge) : Underlay.literal(c.getString("underlay-address")),
        physicalInterfaces(c.getConfig("physical-interfaces")),
        storagePoolType(c.getString("storage-pool-type")));
  }

  private static String storagePoolType(String value) {
    if (!Set.of("dir", "logical").contains(value)) {
      throw new SettingsException("nimbus.host.storage-pool-type", "unknown pool type '" + value + "'",
          "use dir (files in data-dir/volumes) or logical (LVM)");
    }
    return value;
  }

  /** Physical network name to interface name, e.g. {@code physnet1 = eth1}. */
  private static Map<String, String> physicalInterfaces(Config c) {
    Map<String, String> out = new TreeMap<>();
    for (var e : c.root().entrySet()) {
      String key = "nimbus.host.physical-interfaces." + e.getKey();
      Object value = e.getValue().unwrapped();
      if (!(value instanceof String device) || !device.matches("[a-zA-Z0-9_.-]{1,15}")) {
        throw new SettingsException(key, "'" + value + "' is not an interface name",
            "name this host's interface on that physical network, e.g. physnet1 = eth1");
      }
      if (!e.getKey().matches("[a-zA-Z0-9_.-]{1,64}")) {
        throw new SettingsException(key, "'" + e.getKey() + "' is not a physical network name",
            "use 1 to 64 letters, digits, '.', '-' or '_'");
      }
      out.put(e.getKey(), device);
    }
    return out;
  }

  private static String zone(String zone) {
    if (zone.isBlank() || zone.length() > 255 || zone.contains(":")) {
      throw new SettingsException("nimbus.host.availability-zone", "'" + zone + "' is not a zone name",
          "use a name of 1 to 255 characters without ':'");
    }
    return zone;
  }

  private static String schemeOf(String uri) {
    try {
      URI parsed = new URI(uri);
      String scheme = parsed.getScheme();
      if (scheme != null && SCHEMES.contains(scheme)) return scheme.startsWith("qemu") ? "qemu" : scheme;
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new SettingsException("nimbus.host.hypervisor-uri", "'" + uri + "' is not a libvirt URI",
        "use test:///default or qemu:///system");
  }

  private static String dataplane(String value, String scheme) {
    return switch (value) {
      case "auto" -> scheme.equals("test") ? "recording" : "linux";
      case "linux", "recording" -> value;
      default -> throw new SettingsException("nimbus.host.dataplane", "unknown dataplane '" + value + "'",
          "use auto, linux or recording");
    };
  }

  private static String bridge(String name) {
    if (!name.matches("[a-zA-Z0-9_-]{1,15}")) {
      throw new SettingsException("nimbus.host.local-network.bridge", "'" + name + "' is not an interface name",
          "use 1 to 15 letters, digits, - or _");
    }
    return name;
  }

  private static String cidr(String cidr) {
    if (!cidr.matches("(\\d{1,3}\\.){3}\\d{1,3}/(1[6-9]|2[0-8])")) {
      throw new SettingsException("nimbus.host.local-network.cidr", "'" + cidr + "' is not an IPv4 CIDR of /16 to /28",
          "write it as e.g. 10.99.0.0/24");
    }
    return cidr;
  }

  private static Duration positive(Config c, String key) {
    Duration d = c.getDuration(key);
    if (d.isNegative() || d.isZero()) {
      throw new SettingsException("nimbus.host." + key, d + " is not positive", "use e.g. 2s");
    }
    return d;
  }

  /** 0 for auto: the agent measures the instances directory's filesystem. */
  private static int diskGb(String value) {
    if (value.equals("auto")) return 0;
    try {
      int gb = Integer.parseInt(value);
      if (gb > 0) return gb;
    } catch (NumberFormatException notANumber) {
      // refused below
    }
    throw new SettingsException("nimbus.host.disk-gb", "'" + value + "' is neither auto nor a positive number",
        "use auto (the size of the instances directory's filesystem) or a number of GiB");
  }

  private static double ratio(Config c, String key) {
    double r = c.getDouble(key);
    if (r <= 0) {
      throw new SettingsException("nimbus.host." + key, r + " is not positive", "use e.g. 1.0");
    }
    return r;
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
