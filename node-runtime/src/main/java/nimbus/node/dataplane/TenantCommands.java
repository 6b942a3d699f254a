package nimbus.node.dataplane;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The iproute2 command lines that make a tenant network real on one host, optionally inside a
 * network namespace (a simulated host). Pure: input a segment and the host's uplinks, output
 * argument lists.
 *
 * <p>Every network is a Linux bridge; its uplink decides how far it reaches: none (local), the
 * provider interface itself (flat), an 802.1Q sub-interface of it (VLAN), a VXLAN device (one,
 * replicating flooded frames to each peer host itself, as Neutron's l2population does, so the
 * underlay needs no multicast), or one gretap device per peer host (GRE).
 *
 * <p>iproute2 cannot create a link idempotently ({@code ip link replace} of an existing link
 * answers "Operation not supported"), so the plans that create links take the devices the host
 * already has ({@link #deviceNames} of {@link #listDevices}) and leave those out. Everything
 * else here may run again harmlessly.
 */
public final class TenantCommands {
  /** IANA's VXLAN port (the kernel's default is Linux's older 8472). */
  public static final int VXLAN_PORT = 4789;
  private static final String ALL_ZEROS = "00:00:00:00:00:00";

  private final TenantSegment segment;
  private final String underlay;
  private final Optional<String> providerInterface;
  private final Optional<String> netns;

  /**
   * @param underlay this host's address on the underlay, where its tunnels start (VXLAN, GRE)
   * @param providerInterfaces this host's interface for each physical network (flat, VLAN)
   */
  public TenantCommands(TenantSegment segment, String underlay, Map<String, String> providerInterfaces,
      Optional<String> netns) {
    this.segment = segment;
    this.underlay = underlay;
    this.netns = netns;
    this.providerInterface = segment.physicalNetwork().map(providerInterfaces::get);
    boolean tunnel = segment.type() == NetworkType.VXLAN || segment.type() == NetworkType.GRE;
    if (tunnel && (underlay == null || underlay.isBlank())) {
      throw new IllegalArgumentException(segment.type().apiName() + " networks need the host's underlay address");
    }
    if (segment.type() == NetworkType.GRE && underlay.contains(":")) {
      throw new IllegalArgumentException("GRE networks need an IPv4 underlay (gretap), not " + underlay);
    }
    if (segment.physicalNetwork().isPresent() && providerInterface.isEmpty()) {
      throw new IllegalArgumentException("physical network " + segment.physicalNetwork().get()
          + " has no interface on this host (provider interfaces: " + providerInterfaces.keySet() + ")");
    }
  }

  private List<String> in(List<String> command) {
    if (netns.isEmpty()) return command;
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", netns.get()));
    out.addAll(command);
    return out;
  }

  // --- what the host has ------------------------------------------------------------------

  public List<String> listDevices() {
    return in(List.of("ip", "-o", "link", "show"));
  }

  /** The device names in {@code ip -o link show}'s output (a veth's {@code @peer} dropped). */
  public static Set<String> deviceNames(String ipLinkOutput) {
    Set<String> names = new LinkedHashSet<>();
    for (String line : ipLinkOutput.split("\n")) {
      String[] fields = line.split(": ", 3);
      if (fields.length < 3) continue;
      int at = fields[1].indexOf('@');
      names.add(at < 0 ? fields[1] : fields[1].substring(0, at));
    }
    return names;
  }

  public List<String> showBridge() {
    return in(List.of("ip", "-o", "link", "show", "dev", segment.bridge()));
  }

  /** The VXLAN device's forwarding entries, its flooding entries ({@link #floodTo}) among them. */
  public List<String> showFdb() {
    return in(List.of("bridge", "fdb", "show", "dev", segment.vxlanDevice()));
  }

  /** The peers a VXLAN device floods to: its all-zeros entries in {@code bridge fdb show}'s output. */
  public static Set<String> floodPeers(String fdbOutput) {
    Set<String> peers = new LinkedHashSet<>();
    for (String line : fdbOutput.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 3 && f[0].equals(ALL_ZEROS) && f[1].equals("dst")) peers.add(f[2]);
    }
    return peers;
  }

  /**
   * The bridge's global addresses (the network's DHCP server addresses, IPv4 and IPv6); its IPv6
   * link-local address is the kernel's and not listed.
   */
  public List<String> showAddresses() {
    return in(List.of("ip", "-o", "addr", "show", "dev", segment.bridge(), "scope", "global"));
  }

  /** The addresses with prefix ({@code 10.0.0.2/24}) in {@code ip -o addr show}'s output. */
  public static Set<String> addresses(String ipAddrOutput) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : ipAddrOutput.split("\n")) {
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i + 1 < f.length; i++) {
        if (f[i].equals("inet") || f[i].equals("inet6")) out.add(f[i + 1]);
      }
    }
    return out;
  }

  /**
   * {@code replace}, not {@code add}: running it again is harmless. An IPv6 address skips
   * duplicate address detection: every host that carries the network holds the same one.
   */
  public List<String> addAddress(String addressWithPrefix) {
    if (addressWithPrefix.contains(":")) {
      return in(List.of("ip", "addr", "replace", addressWithPrefix, "dev", segment.bridge(), "nodad"));
    }
    return in(List.of("ip", "addr", "replace", addressWithPrefix, "dev", segment.bridge()));
  }

  public List<String> deleteAddress(String addressWithPrefix) {
    return in(List.of("ip", "addr", "del", addressWithPrefix, "dev", segment.bridge()));
  }

  /**
   * The bridge answers as the network's DHCP port: with that port's MAC, the same on every host,
   * so a guest that moves keeps talking to the MAC it knows. Setting it also keeps the bridge's
   * MAC from changing as ports come and go (it would follow its lowest port's).
   */
  public List<String> setMac(String mac) {
    return in(List.of("ip", "link", "set", "dev", segment.bridge(), "address", mac));
  }

  /** Every device that joins the bridge to other hosts: the uplink, or a GRE tunnel per peer. */
  public List<String> uplinks(Collection<String> peers) {
    if (segment.type() == NetworkType.GRE) return peers.stream().sorted().map(segment::greDevice).toList();
    return uplink().stream().toList();
  }

  // --- plans --------------------------------------------------------------------------------

  /**
   * Everything that makes the network carry frames on this host, given the devices it has:
   * the bridge, the uplink as a port of it, both up. Peers come separately ({@link #addPeer}).
   */
  public List<List<String>> ensure(Set<String> present) {
    List<List<String>> plan = new ArrayList<>();
    if (!present.contains(segment.bridge())) {
      plan.add(addBridge());
      plan.add(sameAddressesOnEveryHost());
    }
    Optional<String> uplink = uplink();
    if (uplink.isPresent()) {
      String device = uplink.get();
      switch (segment.type()) {
        case FLAT -> requirePresent(present, device);
        case VLAN -> {
          requirePresent(present, providerInterface.orElseThrow());
          if (!present.contains(device)) plan.add(addVlan());
        }
        case VXLAN -> {
          if (!present.contains(device)) plan.add(addVxlan());
        }
        default -> throw new IllegalStateException("no uplink for " + segment.type());
      }
      plan.add(enslave(device));
      plan.add(bringUp(device));
    }
    plan.add(bringUp(segment.bridge()));
    return plan;
  }

  /** The one device that joins the bridge to other hosts; GRE has one per peer, local none. */
  Optional<String> uplink() {
    return switch (segment.type()) {
      case FLAT -> providerInterface;
      case VLAN -> Optional.of(segment.vlanDevice());
      case VXLAN -> Optional.of(segment.vxlanDevice());
      case LOCAL, GRE -> Optional.empty();
    };
  }

  private static void requirePresent(Set<String> present, String device) {
    if (!present.contains(device)) {
      throw new IllegalStateException("provider interface " + device + " is not on this host");
    }
  }

  /**
   * What makes another host that carries the network reachable: a flooding entry (VXLAN), or
   * a tunnel to it (GRE). Flat and VLAN networks reach every host through the physical network.
   */
  public List<List<String>> addPeer(String peer, Set<String> present) {
    return switch (segment.type()) {
      case VXLAN -> List.of(floodTo(peer));
      case GRE -> {
        String device = segment.greDevice(peer);
        List<List<String>> plan = new ArrayList<>();
        if (!present.contains(device)) plan.add(addGretap(peer));
        plan.addAll(List.of(enslave(device), isolate(device), bringUp(device)));
        yield plan;
      }
      case LOCAL, FLAT, VLAN -> List.of();
    };
  }

  /** The reverse of {@link #addPeer}, for a host that no longer carries the network. */
  public List<List<String>> removePeer(String peer, Set<String> present) {
    return switch (segment.type()) {
      case VXLAN -> List.of(stopFloodingTo(peer));
      case GRE -> present.contains(segment.greDevice(peer)) ? List.of(delete(segment.greDevice(peer))) : List.of();
      case LOCAL, FLAT, VLAN -> List.of();
    };
  }

  /**
   * Removes the network from this host: the devices made for it, then the bridge. Deleting the
   * bridge releases a flat network's provider interface, which is the operator's and stays.
   * Guests' taps are libvirt's, which deletes them with the domain.
   */
  public List<List<String>> teardown(Set<String> present, Collection<String> peers) {
    List<String> devices = new ArrayList<>();
    if (segment.type() == NetworkType.GRE) peers.forEach(peer -> devices.add(segment.greDevice(peer)));
    if (segment.type() == NetworkType.VLAN || segment.type() == NetworkType.VXLAN) devices.add(uplink().orElseThrow());
    devices.add(segment.bridge());
    return devices.stream().filter(present::contains).map(this::delete).toList();
  }

  // --- single commands ----------------------------------------------------------------------

  /**
   * The bridge starts at the network's MTU; the kernel then keeps it at its smallest port's,
   * which is why every port is given the network's MTU too.
   */
  public List<String> addBridge() {
    return in(List.of("ip", "link", "add", "name", segment.bridge(), "mtu", mtu(), "type", "bridge"));
  }

  /**
   * No duplicate address detection on the bridge, before it comes up: its IPv6 addresses (the
   * link-local one from the DHCP port's MAC, which it takes, and the DHCP port's) are the same on
   * every host that carries the network, so another host's bridge would otherwise answer the
   * probe and leave this one without the addresses its router advertisements come from.
   */
  public List<String> sameAddressesOnEveryHost() {
    return in(List.of("sysctl", "-qw", "net.ipv6.conf." + segment.bridge() + ".accept_dad=0"));
  }

  /**
   * {@code nolearning}: which host has which MAC comes from the control plane ({@link #portAt}),
   * not from flooded traffic, so a guest cannot poison other hosts' tables by faking source MACs.
   */
  public List<String> addVxlan() {
    return in(List.of("ip", "link", "add", segment.vxlanDevice(), "mtu", mtu(), "type", "vxlan",
        "id", String.valueOf(segment.id()), "local", underlay, "dstport", String.valueOf(VXLAN_PORT), "nolearning"));
  }

  /** Tags the network's frames on the provider interface; the kernel strips the tag coming in. */
  public List<String> addVlan() {
    return in(List.of("ip", "link", "add", "link", providerInterface.orElseThrow(), "name", segment.vlanDevice(),
        "mtu", mtu(), "type", "vlan", "id", String.valueOf(segment.id())));
  }

  /**
   * A tunnel to one peer. The key is the network's segmentation id: without it two networks
   * between the same two hosts would be the same tunnel (the kernel refuses the second).
   */
  public List<String> addGretap(String peer) {
    return in(List.of("ip", "link", "add", segment.greDevice(peer), "mtu", mtu(), "type", "gretap",
        "remote", peer, "local", underlay, "key", String.valueOf(segment.id())));
  }

  public List<String> enslave(String device) {
    return in(List.of("ip", "link", "set", "dev", device, "master", segment.bridge()));
  }

  /**
   * Split horizon for the GRE mesh: isolated bridge ports forward to the bridge's other ports
   * but never to each other, so a broadcast from one peer is not sent on to the others (every
   * host floods to all its peers itself), which in a full mesh would loop.
   */
  public List<String> isolate(String device) {
    return in(List.of("bridge", "link", "set", "dev", device, "isolated", "on"));
  }

  public List<String> bringUp(String device) {
    return in(List.of("ip", "link", "set", "dev", device, "up"));
  }

  /**
   * Head-end replication: broadcasts, unknown unicasts and multicasts for the network are sent
   * to this peer too (one all-zeros entry per peer; {@code append}, as {@code replace} would
   * keep only one peer). Appending an entry that exists changes nothing.
   */
  public List<String> floodTo(String peer) {
    return in(List.of("bridge", "fdb", "append", ALL_ZEROS, "dev", segment.vxlanDevice(), "dst", peer));
  }

  /** A peer that left stops getting the network's floods. */
  public List<String> stopFloodingTo(String peer) {
    return in(List.of("bridge", "fdb", "del", ALL_ZEROS, "dev", segment.vxlanDevice(), "dst", peer));
  }

  /**
   * A remote port's MAC goes straight to its host instead of being flooded to all of them;
   * {@code replace}, so a port that moved to another host is followed.
   */
  public List<String> portAt(String mac, String peer) {
    return in(List.of("bridge", "fdb", "replace", mac, "dev", segment.vxlanDevice(), "dst", peer));
  }

  /** A remote port that is gone: its frames are flooded again, as for any unknown MAC. */
  public List<String> forgetPort(String mac) {
    return in(List.of("bridge", "fdb", "del", mac, "dev", segment.vxlanDevice()));
  }

  /**
   * Joins a guest's tap (libvirt made it and brings it up) to the network, at the network's
   * MTU whatever the tap was made with: the bridge follows its smallest port, so one smaller
   * tap would shrink the network for every guest on this host, and a larger one would take in
   * frames from its guest that the uplink then drops.
   */
  public List<String> plug(String portId) {
    return in(List.of("ip", "link", "set", "dev", TenantSegment.tapDevice(portId), "mtu", mtu(),
        "master", segment.bridge()));
  }

  public List<String> delete(String device) {
    return in(List.of("ip", "link", "del", "dev", device));
  }

  private String mtu() {
    return String.valueOf(segment.mtu());
  }
}
