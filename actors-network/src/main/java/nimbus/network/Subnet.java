package nimbus.network;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A subnet of a network: its CIDR, gateway, the pools addresses are allocated from, and what DHCP
 * tells guests. Part of its network's state, so that the network's entity alone hands out its
 * addresses.
 */
public record Subnet(String id, String networkId, String projectId, String name, String description,
    int ipVersion, String cidr, Optional<String> gatewayIp, List<Pool> allocationPools, boolean enableDhcp,
    List<String> dnsNameservers, List<HostRoute> hostRoutes, Optional<String> ipv6RaMode,
    Optional<String> ipv6AddressMode, Optional<String> subnetpoolId, List<String> tags,
    Instant createdAt, Instant updatedAt, int revisionNumber) implements CborSerializable {

  /** A range of addresses to allocate from, both ends included. */
  public record Pool(String start, String end) implements CborSerializable {}

  /** A route DHCP gives guests. */
  public record HostRoute(String destination, String nexthop) implements CborSerializable {}

  public IpNet net() {
    return IpNet.parse(cidr);
  }

  /** Neutron's IPv6 modes ({@code ipv6_ra_mode}, {@code ipv6_address_mode}). */
  public static final List<String> IPV6_MODES = List.of("dhcpv6-stateful", "dhcpv6-stateless", "slaac");

  /**
   * SLAAC and DHCPv6-stateless subnets (either mode says so, as Neutron reads them): guests make
   * their own addresses from the prefix and their MAC, so a port's address there is its EUI-64.
   */
  public boolean autoAddressed() {
    return ipVersion == 6 && (autoMode(ipv6AddressMode) || autoMode(ipv6RaMode));
  }

  private static boolean autoMode(Optional<String> mode) {
    return mode.map(m -> m.equals("slaac") || m.equals("dhcpv6-stateless")).orElse(false);
  }

  /** Whether {@code address} lies in one of the allocation pools. */
  public boolean inPools(IpNet.Address address) {
    for (Pool p : allocationPools) {
      if (address.compareTo(IpNet.Address.parse(p.start()).orElseThrow()) >= 0
          && address.compareTo(IpNet.Address.parse(p.end()).orElseThrow()) <= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Neutron's default pools: the whole CIDR but the gateway, and (IPv4) the network and broadcast
   * addresses; (IPv6) the subnet-router anycast address (the first).
   */
  public static List<Pool> defaultPools(IpNet net, Optional<IpNet.Address> gateway) {
    BigInteger first = net.network().add(BigInteger.ONE);
    BigInteger last = net.version() == 4 ? net.last().subtract(BigInteger.ONE) : net.last();
    if (net.version() == 4 && net.prefix() >= 31) { // point-to-point: every address is a host's
      first = net.network();
      last = net.last();
    }
    List<Pool> pools = new ArrayList<>();
    BigInteger start = first;
    if (gateway.isPresent() && net.contains(gateway.get())) {
      BigInteger g = gateway.get().value();
      if (g.compareTo(first) > 0 && g.compareTo(last) <= 0) pools.add(pool(net, start, g.subtract(BigInteger.ONE)));
      if (g.compareTo(first) >= 0 && g.compareTo(last) <= 0) start = g.add(BigInteger.ONE);
    }
    if (start.compareTo(last) <= 0) pools.add(pool(net, start, last));
    return List.copyOf(pools);
  }

  private static Pool pool(IpNet net, BigInteger start, BigInteger end) {
    return new Pool(net.at(start).toString(), net.at(end).toString());
  }

  /**
   * Why this subnet cannot be, or empty: its gateway, pools, name servers and routes are checked
   * against its CIDR and each other (Neutron's messages).
   */
  public Optional<String> problem() {
    IpNet net;
    try {
      net = net();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    if (net.version() != ipVersion) return Optional.of("Invalid input for ip_version. Reason: '" + cidr
        + "' is not an IPv" + ipVersion + " network.");
    if (gatewayIp.isPresent()) {
      Optional<IpNet.Address> g = IpNet.Address.parse(gatewayIp.get());
      if (g.isEmpty() || g.get().version() != ipVersion) {
        return Optional.of("Invalid input for gateway_ip. Reason: '" + gatewayIp.get() + "' is not a valid IP address.");
      }
      if (net.contains(g.get()) && ipVersion == 4 && net.prefix() < 31
          && (g.get().value().equals(net.network()) || g.get().value().equals(net.last()))) {
        return Optional.of("Gateway is not valid on subnet " + cidr + ".");
      }
    }
    List<IpNet.Address[]> ranges = new ArrayList<>();
    for (Pool p : allocationPools) {
      Optional<IpNet.Address> s = IpNet.Address.parse(p.start());
      Optional<IpNet.Address> e = IpNet.Address.parse(p.end());
      if (s.isEmpty() || e.isEmpty() || s.get().version() != ipVersion || e.get().version() != ipVersion) {
        return Optional.of("Invalid input for allocation_pools. Reason: '" + p.start() + "-" + p.end()
            + "' is not a valid IP range.");
      }
      if (!net.contains(s.get()) || !net.contains(e.get())) {
        return Optional.of("The allocation pool " + p.start() + "-" + p.end() + " spans beyond the subnet cidr "
            + cidr + ".");
      }
      if (s.get().compareTo(e.get()) > 0) {
        return Optional.of("The allocation pool " + p.start() + "-" + p.end() + " is not valid.");
      }
      for (IpNet.Address[] r : ranges) {
        if (s.get().compareTo(r[1]) <= 0 && r[0].compareTo(e.get()) <= 0) {
          return Optional.of("Found overlapping allocation pools: " + p.start() + "-" + p.end() + " and "
              + r[0] + "-" + r[1] + " for subnet " + cidr + ".");
        }
      }
      ranges.add(new IpNet.Address[] {s.get(), e.get()});
    }
    if (gatewayIp.isPresent() && inPools(IpNet.Address.parse(gatewayIp.get()).orElseThrow())) {
      return Optional.of("Gateway ip " + gatewayIp.get() + " conflicts with allocation pool "
          + allocationPools.stream().map(p -> p.start() + "-" + p.end()).toList() + ".");
    }
    Optional<String> modes = ipv6ModesProblem(net);
    if (modes.isPresent()) return modes;
    for (String dns : dnsNameservers) {
      if (IpNet.Address.parse(dns).isEmpty()) {
        return Optional.of("Invalid input for dns_nameservers. Reason: '" + dns + "' is not a valid nameserver.");
      }
    }
    if (dnsNameservers.stream().distinct().count() != dnsNameservers.size()) {
      return Optional.of("Invalid input for dns_nameservers. Reason: Duplicate nameserver in the list.");
    }
    for (HostRoute r : hostRoutes) {
      boolean ok;
      try {
        ok = IpNet.parse(r.destination()).version() == ipVersion
            && IpNet.Address.parse(r.nexthop()).map(a -> a.version() == ipVersion).orElse(false);
      } catch (IllegalArgumentException e) {
        ok = false;
      }
      if (!ok) return Optional.of("Invalid input for host_routes. Reason: '" + r + "' is not a valid route.");
    }
    return Optional.empty();
  }

  /**
   * Neutron's rules for the IPv6 modes: none on IPv4; only with DHCP on; both the same when
   * both are given; a /64 where addresses are EUI-64 (the interface id takes the other 64 bits).
   */
  private Optional<String> ipv6ModesProblem(IpNet net) {
    if (ipv6RaMode.filter(m -> !IPV6_MODES.contains(m)).isPresent()) {
      return Optional.of("Invalid input for ipv6_ra_mode. Reason: " + ipv6RaMode.get() + " is not in valid_values.");
    }
    if (ipv6AddressMode.filter(m -> !IPV6_MODES.contains(m)).isPresent()) {
      return Optional.of("Invalid input for ipv6_address_mode. Reason: " + ipv6AddressMode.get()
          + " is not in valid_values.");
    }
    if (ipVersion == 4) {
      if (ipv6RaMode.isPresent()) return Optional.of("ipv6_ra_mode is not valid when ip_version is 4");
      if (ipv6AddressMode.isPresent()) return Optional.of("ipv6_address_mode is not valid when ip_version is 4");
      return Optional.empty();
    }
    boolean anyMode = ipv6RaMode.isPresent() || ipv6AddressMode.isPresent();
    if (anyMode && !enableDhcp) {
      return Optional.of("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False");
    }
    if (ipv6RaMode.isPresent() && ipv6AddressMode.isPresent() && !ipv6RaMode.equals(ipv6AddressMode)) {
      return Optional.of("ipv6_ra_mode set to '" + ipv6RaMode.get() + "' with ipv6_address_mode set to '"
          + ipv6AddressMode.get() + "' is not valid. If both attributes are set, they must be the same value");
    }
    if (autoAddressed() && net.prefix() != 64) {
      return Optional.of("Invalid CIDR " + cidr + " for IPv6 address mode. OpenStack uses the EUI-64 address format, "
          + "which requires the prefix to be /64");
    }
    return Optional.empty();
  }

  /** This subnet as changed by an update at {@code at}. */
  public Subnet changed(String name, String description, Optional<String> gatewayIp, List<Pool> pools,
      boolean enableDhcp, List<String> dns, List<HostRoute> routes, List<String> tags, Instant at) {
    return new Subnet(id, networkId, projectId, name, description, ipVersion, cidr, gatewayIp, pools, enableDhcp,
        dns, routes, ipv6RaMode, ipv6AddressMode, subnetpoolId, tags, createdAt, at, revisionNumber + 1);
  }
}
