package nimbus.node.dataplane;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A tenant network as one hypervisor host sees it: how its frames travel between hosts, and the
 * names of the devices that carry them here. The control plane's network is richer; this is the
 * part a host needs, so the host side does not depend on the entities.
 *
 * <p>Device names must fit Linux's IFNAMSIZ (15 characters) and be recognisably Nimbus's, so
 * the agent's reconciler can tell its own devices from the operator's ({@link #isNimbusDevice}).
 *
 * @param segmentationId the VLAN id, VXLAN VNI or GRE key; none for local and flat networks
 * @param physicalNetwork the provider network (Neutron's physnet) of flat and VLAN networks
 * @param mtu the largest IP packet a guest may send on this network
 */
public record TenantSegment(String networkId, NetworkType type, Optional<Integer> segmentationId,
    Optional<String> physicalNetwork, int mtu) {
  /** Linux's IFNAMSIZ less its terminating NUL. */
  public static final int MAX_DEVICE_NAME = 15;
  /** How many characters of an id a device name keeps, as Neutron keeps 11 of a port's. */
  private static final int ID_CHARS = 11;
  private static final Pattern NIMBUS_DEVICE = Pattern.compile(
      "nimbus0|nbr-[0-9a-f]{11}|ngr-[0-9a-f]{11}|ntp-[0-9a-f-]{11}|nvx-[1-9][0-9]{0,7}|nvl-[1-9][0-9]{0,3}");
  private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]+");

  public TenantSegment {
    if (!ID.matcher(networkId).matches() || networkId.replace("-", "").length() < ID_CHARS) {
      throw new IllegalArgumentException("a network id is a UUID, not " + networkId);
    }
    if (mtu < 68 || mtu > 65535) throw new IllegalArgumentException("mtu " + mtu + " is not an IPv4 MTU");
    switch (type) {
      case LOCAL -> requireNone(type, segmentationId, physicalNetwork);
      case FLAT -> {
        requireNone(type, segmentationId, Optional.empty());
        requirePhysicalNetwork(type, physicalNetwork);
      }
      case VLAN -> {
        requireId(type, segmentationId, 4094);
        requirePhysicalNetwork(type, physicalNetwork);
      }
      case VXLAN -> {
        requireId(type, segmentationId, (1 << 24) - 1);
        requireNone(type, Optional.empty(), physicalNetwork);
      }
      case GRE -> {
        requireId(type, segmentationId, Integer.MAX_VALUE);
        requireNone(type, Optional.empty(), physicalNetwork);
      }
    }
  }

  private static void requireNone(NetworkType type, Optional<Integer> id, Optional<String> physnet) {
    if (id.isPresent()) throw new IllegalArgumentException(type.apiName() + " networks have no segmentation id");
    if (physnet.isPresent()) throw new IllegalArgumentException(type.apiName() + " networks have no physical network");
  }

  private static void requireId(NetworkType type, Optional<Integer> id, int max) {
    if (id.isEmpty() || id.get() < 1 || id.get() > max) {
      throw new IllegalArgumentException(type.apiName() + " networks need a segmentation id from 1 to " + max
          + ", not " + id.map(String::valueOf).orElse("none"));
    }
  }

  private static void requirePhysicalNetwork(NetworkType type, Optional<String> physnet) {
    if (physnet.filter(p -> !p.isBlank()).isEmpty()) {
      throw new IllegalArgumentException(type.apiName() + " networks need a physical network");
    }
  }

  /** The VLAN id, VNI or GRE key. */
  int id() {
    return segmentationId.orElseThrow(() -> new IllegalStateException(type.apiName() + " networks have no id"));
  }

  /** The network's bridge on this host, which its guests' taps and its uplink are ports of. */
  public String bridge() {
    return bridgeOf(networkId);
  }

  /** The bridge of network {@code networkId}, whatever its type (known before the network is). */
  public static String bridgeOf(String networkId) {
    if (!ID.matcher(networkId).matches() || networkId.replace("-", "").length() < ID_CHARS) {
      throw new IllegalArgumentException("a network id is a UUID, not " + networkId);
    }
    return "nbr-" + networkId.replace("-", "").substring(0, ID_CHARS).toLowerCase();
  }

  /**
   * The VXLAN device: named by its VNI, which is unique across the cloud, so a device the
   * reconciler finds tells which network it carries.
   */
  public String vxlanDevice() {
    require(NetworkType.VXLAN);
    return "nvx-" + id();
  }

  /**
   * The 802.1Q sub-interface. Named by the VLAN id alone, as asked for: a host whose two
   * physical networks both carry the same VLAN id would need two devices of this one name, so
   * such a host can carry only one of those networks.
   */
  public String vlanDevice() {
    require(NetworkType.VLAN);
    return "nvl-" + id();
  }

  /**
   * The gretap device towards one peer host. gretap is point to point (no head-end replication
   * of its own), so a GRE network has one device per peer; the name is a hash of network and
   * peer because both together do not fit in 15 characters.
   */
  public String greDevice(String peer) {
    require(NetworkType.GRE);
    return "ngr-" + sha256(networkId.toLowerCase() + "/" + peer).substring(0, ID_CHARS);
  }

  /**
   * The tap libvirt makes for a port: the first 11 characters of its id, as Nova names taps
   * ({@code tap} + 11), so an operator finds the port from the device.
   */
  public static String tapDevice(String portId) {
    if (!ID.matcher(portId).matches() || portId.length() < ID_CHARS) {
      throw new IllegalArgumentException("a port id is a UUID, not " + portId);
    }
    return "ntp-" + portId.substring(0, ID_CHARS).toLowerCase();
  }

  /**
   * Whether the agent made this device (or the host-local bridge {@code nimbus0}): the
   * reconciler touches no other, so an operator's interfaces and bridges are safe from it.
   */
  public static boolean isNimbusDevice(String name) {
    return NIMBUS_DEVICE.matcher(name).matches();
  }

  private void require(NetworkType wanted) {
    if (type != wanted) {
      throw new IllegalStateException("network " + networkId + " is " + type.apiName() + ", not " + wanted.apiName());
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
