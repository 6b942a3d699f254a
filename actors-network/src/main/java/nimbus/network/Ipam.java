package nimbus.network;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import nimbus.cluster.Rejection;

/**
 * Address management of one network: which MAC and addresses a new port gets. Pure: the
 * network's entity runs it on its state and persists the result, so, one command at a time, no
 * address or MAC is handed out twice.
 */
final class Ipam {
  private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

  private Ipam() {}

  /** A port cannot have what it asked for. */
  static final class Refused extends RuntimeException {
    final Rejection rejection;

    Refused(Rejection.Kind kind, String type, String message) {
      super(message, null, false, false);
      this.rejection = NetworkRefusal.rejection(kind, type, message);
    }
  }

  /** Neutron's router interface owners: the only ports that take chosen addresses on SLAAC subnets. */
  private static final Set<String> ROUTER_INTERFACES = Set.of("network:router_interface",
      "network:ha_router_replicated_interface", "network:router_interface_distributed");
  /** ... and, with SNAT's, the ports that get no EUI-64 address of their own there. */
  private static final Set<String> ROUTER_INTERFACES_SNAT = Set.of("network:router_interface",
      "network:ha_router_replicated_interface", "network:router_interface_distributed",
      "network:router_centralized_snat");

  /**
   * The MAC and addresses of port {@code portId}: those asked for, or (none asked) one address of
   * the first IPv4 and of the first stateful IPv6 subnet with room; and, either way, its EUI-64
   * address on every SLAAC and DHCPv6-stateless subnet (router interfaces excepted), as Neutron
   * gives them.
   */
  static Attachment attach(Network net, String portId, String projectId, String deviceOwner, Optional<String> mac,
      Optional<List<IpRequest>> asked, Supplier<String> newMac) {
    String chosenMac = mac.map(m -> checkedMac(net, m)).orElseGet(() -> freshMac(net, newMac));
    List<FixedIp> ips = new ArrayList<>(asked.isPresent()
        ? requested(net, asked.get(), deviceOwner)
        : defaults(net));
    if (!ROUTER_INTERFACES_SNAT.contains(deviceOwner)) {
      for (Subnet s : net.subnets()) {
        if (s.autoAddressed() && ips.stream().noneMatch(f -> f.subnetId().equals(s.id()))) {
          ips.add(new FixedIp(s.id(), eui64(s, chosenMac)));
        }
      }
    }
    return new Attachment(projectId, chosenMac, List.copyOf(ips), deviceOwner, Optional.empty());
  }

  /**
   * The DHCP server's port on an auto-addressed subnet: a fresh MAC and its EUI-64 address there
   * (the address dnsmasq's router advertisements come from).
   */
  static Attachment autoAddressedServer(Network net, Subnet s, String projectId, String deviceOwner,
      Supplier<String> newMac) {
    String mac = freshMac(net, newMac);
    return new Attachment(projectId, mac, List.of(new FixedIp(s.id(), eui64(s, mac))), deviceOwner, Optional.empty());
  }

  /**
   * Port {@code portId}'s new MAC and addresses in place of {@code held}: checked against every
   * other port as a new port's would be; a subnet asked for without an address keeps the address
   * the port holds there (as Neutron does). Its placement stays.
   */
  static Attachment readdress(Network net, String portId, Attachment held, Optional<String> mac,
      Optional<List<IpRequest>> asked) {
    java.util.Map<String, Attachment> others = new java.util.LinkedHashMap<>(net.ports());
    others.remove(portId);
    Network without = new Network(net.id(), net.projectId(), net.attributes(), net.segment(), net.mtu(), net.phase(),
        net.quotaHeld(), net.segmentHeld(), net.subnets(), net.pendingSubnets(), java.util.Map.copyOf(others),
        net.quotaToRelease(), net.createdAt(), net.updatedAt(), net.revisionNumber());
    String chosenMac = mac.map(m -> checkedMac(without, m)).orElse(held.macAddress());
    List<IpRequest> wanted = asked.orElseGet(() -> held.fixedIps().stream()
        .map(f -> new IpRequest(Optional.of(f.subnetId()), Optional.of(f.ipAddress()))).toList());
    List<IpRequest> keeping = new ArrayList<>();
    Set<String> kept = new HashSet<>();
    for (IpRequest r : wanted) {
      if (r.ipAddress().isEmpty() && r.subnetId().isPresent()) {
        Optional<FixedIp> mine = held.fixedIps().stream()
            .filter(f -> f.subnetId().equals(r.subnetId().get()) && !kept.contains(f.ipAddress()))
            .filter(f -> wanted.stream().noneMatch(w -> w.ipAddress().equals(Optional.of(f.ipAddress()))))
            .findFirst();
        if (mine.isPresent()) {
          kept.add(mine.get().ipAddress());
          keeping.add(new IpRequest(r.subnetId(), Optional.of(mine.get().ipAddress())));
          continue;
        }
      }
      keeping.add(r);
    }
    List<FixedIp> ips = requested(without, keeping, held.deviceOwner());
    return new Attachment(held.projectId(), chosenMac, List.copyOf(ips), held.deviceOwner(), held.placement(),
        held.security());
  }

  private static String checkedMac(Network net, String mac) {
    if (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) == 1) {
      throw new Refused(Rejection.Kind.INVALID, "InvalidInput",
          "Invalid input for mac_address. Reason: '" + mac + "' is not a valid MAC address.");
    }
    String lower = mac.toLowerCase();
    if (net.ports().values().stream().anyMatch(a -> a.macAddress().equals(lower))) {
      throw new Refused(Rejection.Kind.CONFLICT, "MacAddressInUse", "Unable to complete operation for network "
          + net.id() + ". The mac address " + lower + " is in use.");
    }
    return lower;
  }

  private static String freshMac(Network net, Supplier<String> newMac) {
    Set<String> used = new HashSet<>();
    net.ports().values().forEach(a -> used.add(a.macAddress()));
    for (int i = 0; i < 16; i++) {
      String candidate = newMac.get();
      if (!used.contains(candidate)) return candidate;
    }
    throw new Refused(Rejection.Kind.CONFLICT, "MacAddressGenerationFailure",
        "Unable to generate unique mac on network " + net.id() + ".");
  }

  private static List<FixedIp> defaults(Network net) {
    List<FixedIp> out = new ArrayList<>();
    boolean v4 = false;
    boolean v6 = false;
    boolean wanted = false;
    for (Subnet s : net.subnets()) {
      if (s.autoAddressed()) continue; // its EUI-64 address comes with every port
      boolean taken = s.ipVersion() == 4 ? v4 : v6;
      if (taken) continue;
      wanted = true;
      Optional<IpNet.Address> free = firstFree(net, s);
      if (free.isEmpty()) continue;
      out.add(new FixedIp(s.id(), free.get().toString()));
      if (s.ipVersion() == 4) v4 = true; else v6 = true;
    }
    if (wanted && !v4 && !v6) {
      throw new Refused(Rejection.Kind.CONFLICT, "IpAddressGenerationFailure",
          "No more IP addresses available on network " + net.id() + ".");
    }
    return out;
  }

  private static List<FixedIp> requested(Network net, List<IpRequest> asked, String deviceOwner) {
    List<FixedIp> out = new ArrayList<>();
    Set<String> chosen = new HashSet<>();
    for (IpRequest r : asked) {
      Subnet subnet = r.subnetId().map(id -> net.subnet(id).orElseThrow(() -> new Refused(Rejection.Kind.INVALID,
              "InvalidInput", "Invalid input for operation: Failed to create port on network " + net.id()
                  + ", because fixed_ips included invalid subnet " + id + ".")))
          .orElseGet(() -> r.ipAddress().flatMap(ip -> subnetHolding(net, ip)).orElseThrow(() -> new Refused(
              Rejection.Kind.INVALID, "InvalidInput", "Invalid input for operation: IP address "
                  + r.ipAddress().orElse("") + " is not a valid IP for any of the subnets on the specified network.")));
      if (subnet.autoAddressed() && r.ipAddress().isPresent() && !ROUTER_INTERFACES.contains(deviceOwner)) {
        throw new Refused(Rejection.Kind.INVALID, "AllocationOnAutoAddressSubnet", "IPv6 address " + r.ipAddress().get()
            + " cannot be directly assigned to a port on subnet " + subnet.id()
            + " as the subnet is configured for automatic addresses");
      }
      if (subnet.autoAddressed() && r.ipAddress().isEmpty() && !ROUTER_INTERFACES_SNAT.contains(deviceOwner)) {
        continue; // the port gets its EUI-64 address there anyway
      }
      FixedIp ip;
      if (r.ipAddress().isPresent()) {
        IpNet.Address a = IpNet.Address.parse(r.ipAddress().get()).filter(x -> subnet.net().contains(x))
            .filter(x -> usable(subnet, x))
            .orElseThrow(() -> new Refused(Rejection.Kind.INVALID, "InvalidInput", "Invalid input for operation: IP address "
                + r.ipAddress().get() + " is not a valid IP for the specified subnet."));
        boolean isGateway = subnet.gatewayIp().flatMap(IpNet.Address::parse).map(a::equals).orElse(false);
        if (inUse(net, subnet, a) || (isGateway && !deviceOwner.startsWith("network:router"))
            || !chosen.add(a.toString())) {
          throw new Refused(Rejection.Kind.CONFLICT, "IpAddressAlreadyAllocated", "IP address " + a
              + " already allocated in subnet " + subnet.id());
        }
        ip = new FixedIp(subnet.id(), a.toString());
      } else {
        IpNet.Address a = firstFree(net, subnet, chosen).orElseThrow(() -> new Refused(Rejection.Kind.CONFLICT,
            "IpAddressGenerationFailure", "No more IP addresses available on network " + net.id() + "."));
        chosen.add(a.toString());
        ip = new FixedIp(subnet.id(), a.toString());
      }
      out.add(ip);
    }
    return out;
  }

  private static Optional<Subnet> subnetHolding(Network net, String ip) {
    Optional<IpNet.Address> a = IpNet.Address.parse(ip);
    return a.flatMap(x -> net.subnets().stream().filter(s -> s.net().contains(x)).findFirst());
  }

  /** Not the network's own address nor (IPv4) its broadcast address. */
  private static boolean usable(Subnet s, IpNet.Address a) {
    IpNet net = s.net();
    if (s.ipVersion() == 6 || net.prefix() >= 31) return true;
    return !a.value().equals(net.network()) && !a.value().equals(net.last());
  }

  private static boolean inUse(Network net, Subnet s, IpNet.Address a) {
    String text = a.toString();
    return net.ports().values().stream()
        .anyMatch(p -> p.fixedIps().stream().anyMatch(f -> f.subnetId().equals(s.id()) && f.ipAddress().equals(text)));
  }

  private static Optional<IpNet.Address> firstFree(Network net, Subnet s) {
    return firstFree(net, s, Set.of());
  }

  /** The lowest address of the pools that no port holds and that is not the gateway. */
  private static Optional<IpNet.Address> firstFree(Network net, Subnet s, Set<String> alsoTaken) {
    Set<BigInteger> used = new HashSet<>();
    net.ports().values().forEach(p -> p.fixedIps().stream().filter(f -> f.subnetId().equals(s.id()))
        .forEach(f -> used.add(IpNet.Address.parse(f.ipAddress()).orElseThrow().value())));
    alsoTaken.forEach(t -> IpNet.Address.parse(t).ifPresent(a -> used.add(a.value())));
    s.gatewayIp().flatMap(IpNet.Address::parse).ifPresent(g -> used.add(g.value()));
    for (Subnet.Pool p : s.allocationPools()) {
      BigInteger end = IpNet.Address.parse(p.end()).orElseThrow().value();
      // at most |used| + 1 candidates per pool, however large the pool
      for (BigInteger v = IpNet.Address.parse(p.start()).orElseThrow().value(); v.compareTo(end) <= 0;
          v = v.add(BigInteger.ONE)) {
        if (!used.contains(v)) return Optional.of(new IpNet.Address(s.ipVersion(), v));
      }
    }
    return Optional.empty();
  }

  /** The SLAAC address a guest makes from the prefix and its MAC (modified EUI-64). */
  static String eui64(Subnet s, String mac) {
    String[] b = mac.split(":");
    long iid = 0;
    int[] bytes = {Integer.parseInt(b[0], 16) ^ 0x02, Integer.parseInt(b[1], 16), Integer.parseInt(b[2], 16), 0xff, 0xfe,
        Integer.parseInt(b[3], 16), Integer.parseInt(b[4], 16), Integer.parseInt(b[5], 16)};
    for (int x : bytes) iid = (iid << 8) | x;
    IpNet net = s.net();
    return net.at(net.network().or(new BigInteger(Long.toUnsignedString(iid)))).toString();
  }
}
