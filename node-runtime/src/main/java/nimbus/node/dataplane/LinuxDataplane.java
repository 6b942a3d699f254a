package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import nimbus.node.agent.ProcessRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The dataplane of a real Linux host: iproute2 builds the bridge, dnsmasq serves DHCP on it. */
public final class LinuxDataplane implements Dataplane {
  private static final Logger log = LoggerFactory.getLogger(LinuxDataplane.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final LocalNetwork network;
  private final LinuxCommands commands;
  private final ProcessRunner processes;
  private final Path stateDir;

  public LinuxDataplane(LocalNetwork network, Optional<String> netns, ProcessRunner processes, Path stateDir) {
    this.network = network;
    this.commands = new LinuxCommands(network, netns);
    this.processes = processes;
    this.stateDir = stateDir;
  }

  @Override
  public void ensureLocalNetwork() {
    if (!succeeds(commands.showBridge())) {
      processes.run(commands.addBridge(), TIMEOUT);
      log.info("created bridge {}", network.bridge());
    }
    processes.run(commands.setAddress(), TIMEOUT);
    processes.run(commands.bringUp(), TIMEOUT);
    Path pid = stateDir.resolve("dnsmasq-" + network.bridge() + ".pid");
    if (!dhcpRunning(pid)) {
      try {
        Files.createDirectories(stateDir);
      } catch (IOException e) {
        throw new IllegalStateException("cannot create " + stateDir + ": " + e.getMessage(), e);
      }
      processes.run(commands.startDnsmasq(pid, stateDir.resolve("dnsmasq-" + network.bridge() + ".leases")), TIMEOUT);
      log.info("DHCP for {} on {} ({} to {})", network.cidr(), network.bridge(), network.dhcpStart(), network.dhcpEnd());
    }
  }

  /** Our dnsmasq (by its pid file) or any other one already serving this bridge. */
  private boolean dhcpRunning(Path pidFile) {
    try {
      if (Files.exists(pidFile)) {
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return true;
      }
    } catch (IOException | NumberFormatException e) {
      // a stale or unreadable pid file: look at the processes instead
    }
    return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine()
        .map(c -> c.contains("dnsmasq") && c.contains("--interface=" + network.bridge() + " "))
        .orElse(false));
  }

  private boolean succeeds(java.util.List<String> command) {
    try {
      processes.run(command, TIMEOUT);
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  @Override
  public Optional<String> serverBridge() {
    return Optional.of(network.bridge());
  }
}
