package nimbus.node.tenant;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.compute.ServerPort;
import nimbus.network.Attachment;
import nimbus.network.FixedIp;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.Subnet;
import nimbus.node.dataplane.DhcpSubnet;
import nimbus.node.dataplane.HostNetwork;
import nimbus.node.dataplane.NetworkType;
import nimbus.node.dataplane.TenantDhcp;
import nimbus.node.dataplane.TenantPort;
import nimbus.node.dataplane.TenantSegment;
import nimbus.node.hypervisor.DomainSpec;

/**
 * A network as the control plane has it, seen from one host: what the host must build for it
 * ({@link #of}), and the NICs its servers get. Pure.
 */
final class TenantPlan {
  private TenantPlan() {}

  /**
   * The ports whose filtering (port security, security groups, allowed address pairs) is all that
   * differs between two versions of a network; empty when anything else does (then the network is
   * rebuilt: {@link #of} never reads the filtering, so these ports need their filter alone).
   */
  static Optional<Set<String>> refilteredPorts(Network before, Network after) {
    if (!unfiltered(before).equals(unfiltered(after))) return Optional.empty();
    Set<String> ports = new java.util.TreeSet<>();
    after.ports().forEach((id, a) -> {
      if (!a.security().equals(before.ports().get(id).security())) ports.add(id);
    });
    return Optional.of(ports);
  }

  private static Network unfiltered(Network n) {
    java.util.Map<String, Attachment> ports = new java.util.HashMap<>();
    n.ports().forEach((id, a) -> ports.put(id, new Attachment(a.projectId(), a.macAddress(), a.fixedIps(),
        a.deviceOwner(), a.placement())));
    return new Network(n.id(), n.projectId(), n.attributes(), n.segment(), n.mtu(), n.phase(), n.quotaHeld(),
        n.segmentHeld(), n.subnets(), n.pendingSubnets(), ports, n.quotaToRelease(), n.createdAt(), n.updatedAt(),
        n.revisionNumber(), n.subnetsAwaitingCidr(), n.cidrsToRelease());
  }

  /**
   * The network on this host ({@code host}, at {@code underlay}) with the ports plugged here:
   * peers are the other hosts that have ports placed on it (l2population: a host that has none
   * gets no floods); DHCP serves the plugged ports the network places here (or nowhere yet), with
   * the addresses the network holds for them. Fails with the reason if the host cannot make it.
   */
  static HostNetwork of(Network n, List<TenantPort> plugged, String host, String underlay) {
    Set<String> peers = new LinkedHashSet<>();
    for (Attachment a : n.ports().values()) {
      a.placement().filter(p -> !p.host().equals(host) && !p.underlayAddress().equals(underlay))
          .ifPresent(p -> peers.add(p.underlayAddress()));
    }
    List<DhcpSubnet> subnets = dhcpSubnets(n);
    Optional<String> dhcpMac = n.subnets().stream().map(s -> n.ports().get(NetworkEntity.dhcpPortId(s.id())))
        .filter(a -> a != null).map(Attachment::macAddress).findFirst();
    List<TenantPort> served = new ArrayList<>();
    for (TenantPort p : plugged) {
      Attachment a = n.ports().get(p.portId());
      if (a == null || a.placement().filter(where -> !where.host().equals(host)).isPresent()) continue;
      Optional<String> ip = a.fixedIps().stream()
          .filter(f -> subnets.stream().anyMatch(s -> !s.isIpv6() && s.subnetId().equals(f.subnetId())))
          .map(FixedIp::ipAddress).findFirst();
      Optional<String> ipv6 = a.fixedIps().stream()
          .filter(f -> n.subnet(f.subnetId()).filter(s -> s.ipVersion() == 6 && !s.autoAddressed()).isPresent())
          .filter(f -> subnets.stream().anyMatch(s -> s.subnetId().equals(f.subnetId())))
          .map(FixedIp::ipAddress).findFirst();
      served.add(new TenantPort(p.serverId(), p.portId(), a.macAddress(), ip, p.hostname(), ipv6));
    }
    return new HostNetwork(segment(n), peers, subnets, dhcpMac, plugged, served);
  }

  /** How the network's frames travel, as the host side names it; fails if it cannot be built. */
  static TenantSegment segment(Network n) {
    nimbus.network.NetworkType type = n.segment().type();
    // a flat network's pool hands out a placeholder id: only segmented types have one
    Optional<Integer> id = type.segmented() ? n.segment().segmentationId() : Optional.empty();
    return new TenantSegment(n.id(), NetworkType.of(type.apiName()), id, n.segment().physicalNetwork(), n.mtu());
  }

  /**
   * The subnets with DHCP on and a DHCP address: those this host's dnsmasq serves (IPv6 ones with
   * their modes, which say what it sends them; their routes are the advertisements' business).
   */
  private static List<DhcpSubnet> dhcpSubnets(Network n) {
    List<DhcpSubnet> out = new ArrayList<>();
    for (Subnet s : n.subnets()) {
      Attachment dhcp = n.ports().get(NetworkEntity.dhcpPortId(s.id()));
      if (!s.enableDhcp() || dhcp == null) continue;
      Optional<String> server = dhcp.fixedIps().stream().filter(f -> f.subnetId().equals(s.id()))
          .map(FixedIp::ipAddress).findFirst();
      if (server.isEmpty()) continue;
      boolean v4 = s.ipVersion() == 4;
      out.add(new DhcpSubnet(s.id(), s.cidr(), server.get(), s.gatewayIp(),
          s.dnsNameservers().stream().filter(d -> ipv4(d) == v4).toList(),
          v4 ? s.hostRoutes().stream().filter(r -> ipv4(r.nexthop()))
              .map(r -> new DhcpSubnet.Route(r.destination(), r.nexthop())).toList() : List.of(),
          v4 ? Optional.empty() : Optional.of(new DhcpSubnet.Ipv6Modes(s.ipv6RaMode(), s.ipv6AddressMode()))));
    }
    return out;
  }

  private static boolean ipv4(String address) {
    return !address.contains(":");
  }

  /** The record of a server's port plugged here, from what its spawn says. */
  static TenantPort plugged(String serverId, String serverName, ServerPort port) {
    Optional<String> ip = port.fixedIps().stream().map(FixedIp::ipAddress).filter(TenantPlan::ipv4).findFirst();
    return new TenantPort(serverId, port.portId(), port.macAddress(), ip, TenantDhcp.hostname(serverName, ip));
  }

  /** The NIC of a port on its network: the network's bridge and MTU, the port's MAC, its tap. */
  static DomainSpec.Nic nic(Network n, ServerPort port) {
    String mac = Optional.ofNullable(n.ports().get(port.portId())).map(Attachment::macAddress).orElse(port.macAddress());
    return new DomainSpec.Nic(TenantSegment.bridgeOf(n.id()), mac, Optional.of(n.mtu()),
        Optional.of(TenantSegment.tapDevice(port.portId())));
  }
}
