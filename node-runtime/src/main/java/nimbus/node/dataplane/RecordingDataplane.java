package nimbus.node.dataplane;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataplane that changes nothing and records what the Linux one would run, for demos and
 * tests without root (with the test hypervisor, servers get no NIC).
 */
public final class RecordingDataplane implements Dataplane {
  private static final Logger log = LoggerFactory.getLogger(RecordingDataplane.class);

  private final LinuxCommands commands;
  private final LocalNetwork network;
  private final List<List<String>> recorded = new CopyOnWriteArrayList<>();

  public RecordingDataplane(LocalNetwork network) {
    this.network = network;
    this.commands = new LinuxCommands(network, Optional.empty());
  }

  @Override
  public void ensureLocalNetwork() {
    for (List<String> c : List.of(commands.addBridge(), commands.setAddress(), commands.bringUp(),
        commands.startDnsmasq(Path.of(network.bridge(), "dnsmasq.pid"), Path.of(network.bridge(), "dnsmasq.leases"),
            Path.of(network.bridge(), "hosts")))) {
      recorded.add(c);
      log.info("dataplane (recording only): {}", String.join(" ", c));
    }
  }

  /** No bridge, so no NIC: servers on a recording host have no network. */
  @Override
  public Optional<Lease> plug(String serverId) {
    return Optional.empty();
  }

  @Override
  public void unplug(String serverId) {
    // nothing was plugged
  }

  @Override
  public Set<String> leasedServers() {
    return Set.of();
  }

  /** What it would have run, in order. */
  public List<List<String>> recorded() {
    return List.copyOf(recorded);
  }
}
