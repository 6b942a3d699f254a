package nimbus.node.dataplane;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import nimbus.node.agent.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which kinds of tenant network this host's kernel can carry, found at agent start by making
 * one throwaway link of each kind in a throwaway network namespace.
 *
 * <p>Trying is the only check that holds on every kernel: a feature may be built in (no module
 * to look for), a loadable module (the kernel loads it when the link is made), or missing. The
 * namespace keeps the probe's links away from the host's own and takes them all with it.
 */
public final class KernelFeatures {
  private static final Logger log = LoggerFactory.getLogger(KernelFeatures.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** TEST-NET addresses: a gretap that is never brought up sends nothing to them. */
  private static final List<String> GRETAP = List.of("type", "gretap", "remote", "192.0.2.1", "local", "192.0.2.2");

  private final CommandRunner commands;
  private final String namespace;

  public KernelFeatures(CommandRunner commands) {
    this(commands, "nimbus-probe-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** {@code namespace}: the throwaway namespace's name (random, so two agents never share one). */
  KernelFeatures(CommandRunner commands, String namespace) {
    this.commands = commands;
    this.namespace = namespace;
  }

  /**
   * The network types this host can carry: none without bridges (every network is one), local
   * and flat with them, and each tunnel or tag whose link the kernel makes. Blocking.
   */
  public Set<NetworkType> probe() {
    commands.run(List.of("ip", "netns", "add", namespace), TIMEOUT);
    try {
      Set<NetworkType> types = EnumSet.noneOf(NetworkType.class);
      if (makes("bridge", "p0", List.of("type", "bridge"))) {
        types.addAll(List.of(NetworkType.LOCAL, NetworkType.FLAT));
        if (makes("vxlan", "p1", List.of("type", "vxlan", "id", "1", "dstport", "4789"))) types.add(NetworkType.VXLAN);
        // a VLAN needs a parent link; the bridge just made is one
        if (makes("vlan", "p2", List.of("link", "p0", "type", "vlan", "id", "1"))) types.add(NetworkType.VLAN);
        if (makes("gretap", "p3", GRETAP)) types.add(NetworkType.GRE);
      }
      log.info("this host's kernel carries tenant networks of type {}", types.stream().map(NetworkType::apiName).toList());
      return Collections.unmodifiableSet(types);
    } finally {
      try {
        commands.run(List.of("ip", "netns", "delete", namespace), TIMEOUT);
      } catch (IllegalStateException e) {
        log.warn("probe namespace {} left behind: {}", namespace, e.getMessage());
      }
    }
  }

  private boolean makes(String kind, String name, List<String> arguments) {
    List<String> command = new ArrayList<>(List.of("ip", "-n", namespace, "link", "add", name));
    command.addAll(arguments);
    try {
      commands.run(command, TIMEOUT);
      return true;
    } catch (IllegalStateException e) {
      log.info("this host's kernel makes no {} links: {}", kind, e.getMessage());
      return false;
    }
  }
}
