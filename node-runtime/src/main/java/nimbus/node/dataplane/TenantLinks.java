package nimbus.node.dataplane;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.node.agent.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices of the host's tenant networks, made and removed with {@link TenantCommands}: the
 * bridge and its uplink, the peers it floods to, the DHCP addresses and MAC it answers with, and
 * the guests' taps as its ports. Blocking.
 */
final class TenantLinks {
  private static final Logger log = LoggerFactory.getLogger(TenantLinks.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  private final String underlay;
  private final String localBridge;
  private final Map<String, String> physicalInterfaces;

  /**
   * {@code localBridge}: the host-local network's bridge, which is Nimbus's too but not a tenant
   * network's; {@code physicalInterfaces}: this host's interface on each physical network.
   */
  TenantLinks(CommandRunner run, String underlay, String localBridge, Map<String, String> physicalInterfaces) {
    this.run = run;
    this.underlay = underlay;
    this.localBridge = localBridge;
    this.physicalInterfaces = Map.copyOf(physicalInterfaces);
  }

  TenantCommands commands(TenantSegment segment) {
    return new TenantCommands(segment, underlay, physicalInterfaces, Optional.empty());
  }

  Set<String> devices() {
    return TenantCommands.deviceNames(run.run(List.of("ip", "-o", "link", "show"), TIMEOUT));
  }

  void ensure(HostNetwork network) {
    TenantCommands c = commands(network.segment());
    Set<String> present = devices();
    runAll(c.ensure(present));
    peers(network, c, present);
    addresses(network, c);
    for (TenantPort port : network.ports()) {
      // libvirt joins a tap to its bridge when it makes it; one whose bridge was made again here
      // (the host lost it while its guest ran) must be joined again
      if (present.contains(port.tap())) plug(c, port);
    }
  }

  /**
   * Joins a port's tap to the bridge. Its guest may stop meanwhile (libvirt then removes the
   * tap): a tap gone is no failure of the network, which the other ports and DHCP still need.
   */
  private void plug(TenantCommands c, TenantPort port) {
    try {
      run.run(c.plug(port.portId()), TIMEOUT);
    } catch (IllegalStateException e) {
      if (devices().contains(port.tap())) throw e;
      log.debug("tap {} went while it was joined to its bridge (its guest stopped)", port.tap());
    }
  }

  private void peers(HostNetwork network, TenantCommands c, Set<String> present) {
    switch (network.segment().type()) {
      case VXLAN -> {
        Set<String> flooding = TenantCommands.floodPeers(run.run(c.showFdb(), TIMEOUT));
        for (String peer : network.peers()) if (!flooding.contains(peer)) run.run(c.floodTo(peer), TIMEOUT);
        for (String gone : flooding) if (!network.peers().contains(gone)) run.run(c.stopFloodingTo(gone), TIMEOUT);
      }
      // tunnels to peers that left are devices the sweep removes
      case GRE -> network.peers().forEach(peer -> runAll(c.addPeer(peer, present)));
      case LOCAL, FLAT, VLAN -> { }
    }
  }

  private void addresses(HostNetwork network, TenantCommands c) {
    Set<String> wanted = new HashSet<>();
    network.subnets().forEach(s -> wanted.add(s.serverAddressWithPrefix()));
    Set<String> held = TenantCommands.addresses(run.run(c.showAddresses(), TIMEOUT));
    for (String old : held) if (!wanted.contains(old)) run.run(c.deleteAddress(old), TIMEOUT);
    for (String address : wanted) if (!held.contains(address)) run.run(c.addAddress(address), TIMEOUT);
    network.dhcpMac().ifPresent(mac -> run.run(c.setMac(mac), TIMEOUT));
  }

  /** The network's devices, as last applied; if unknown, its bridge (the sweep takes what else is left). */
  void remove(String networkId, Optional<HostNetwork> last) {
    Set<String> present = devices();
    if (last.isPresent()) {
      runAll(commands(last.get().segment()).teardown(present, last.get().peers()));
    } else if (present.contains(TenantSegment.bridgeOf(networkId))) {
      run.run(List.of("ip", "link", "del", "dev", TenantSegment.bridgeOf(networkId)), TIMEOUT);
    }
  }

  /**
   * Deletes every device Nimbus names that none of {@code networks} uses. Taps stay: they are
   * libvirt's, which removes them with their domains.
   */
  void sweep(List<HostNetwork> networks) {
    Set<String> used = new HashSet<>(Set.of(localBridge));
    for (HostNetwork n : networks) {
      used.add(n.segment().bridge());
      used.addAll(commands(n.segment()).uplinks(n.peers()));
    }
    for (String device : devices()) {
      if (TenantSegment.isNimbusDevice(device) && !device.startsWith("ntp-") && !used.contains(device)) {
        log.info("removing device {}: no tenant network with ports on this host uses it", device);
        run.run(List.of("ip", "link", "del", "dev", device), TIMEOUT);
      }
    }
  }

  private void runAll(List<List<String>> plan) {
    for (List<String> command : new ArrayList<>(plan)) run.run(command, TIMEOUT);
  }
}
