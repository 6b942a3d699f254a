package nimbus.node.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import nimbus.node.agent.CommandRunner;
import nimbus.node.dataplane.TenantCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routers of a real Linux host, a namespace each ({@link RouterCommands}, {@link RouterFirewall}):
 * applied idempotently from what the host holds, removed, and swept. The namespaces outlive the
 * agent, so a new instance finds them ({@link #namespaces}): by the host's veths, since the
 * namespaces' names are the machine's and several hosts may share one machine (simulated hosts).
 * Blocking: run it on the blocking executor.
 */
public final class LinuxRouters {
  private static final Logger log = LoggerFactory.getLogger(LinuxRouters.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final CommandRunner run;

  public LinuxRouters(CommandRunner run) {
    this.run = run;
  }

  /** Makes the router's namespace match the plan. The legs' bridges must exist (the tenant networks make them). */
  public void apply(RouterPlan plan) {
    RouterCommands c = new RouterCommands(plan);
    // by name: a router placed here adopts its namespace even when no leg leads to it (yet, or any more)
    Set<String> namespaces = existing();
    Set<String> devices = namespaces.contains(c.namespace())
        ? TenantCommands.deviceNames(run.run(c.listDevices(), TIMEOUT)) : Set.of();
    for (List<String> command : c.links(namespaces, devices)) run.run(command, TIMEOUT);
    String batch = c.addressBatch(RouterCommands.addresses(run.run(c.listAddresses(), TIMEOUT)));
    if (!batch.isEmpty()) withFile(batch, file -> run.run(c.applyBatch(file), TIMEOUT));
    String routes = run.run(c.listRoutes("-4"), TIMEOUT) + "\n" + run.run(c.listRoutes("-6"), TIMEOUT);
    for (List<String> command : c.routes(routes)) run.run(command, TIMEOUT);
    withFile(RouterFirewall.ruleset(plan), file -> run.run(c.applyFirewall(file), TIMEOUT));
  }

  /**
   * Removes a router's namespace, and with it its legs and rules; nothing if it is not here. A
   * router whose legs all went before it (interfaces and gateway removed, then the router) has a
   * namespace no veth leads to: it goes too if it holds nothing but its loopback.
   */
  public void remove(String routerId) {
    String namespace = RouterCommands.namespaceOf(routerId);
    if (!existing().contains(namespace)) return;
    if (namespaces().contains(namespace)
        || TenantCommands.deviceNames(run.run(List.of("ip", "-n", namespace, "-o", "link", "show"), TIMEOUT)).equals(Set.of("lo"))) {
      run.run(RouterCommands.remove(namespace), TIMEOUT);
    }
  }

  private Set<String> existing() {
    return RouterCommands.namespaces(run.run(List.of("ip", "netns", "list"), TIMEOUT));
  }

  /**
   * The namespaces of the routers on this host: those its veths lead to. A namespace with no leg
   * (never finished) is nobody's that the sweep can tell; applying its router adopts it.
   */
  public Set<String> namespaces() {
    Set<String> existing = existing();
    return RouterCommands.connected(run.run(RouterCommands.listVeths(), TIMEOUT)).stream()
        .filter(existing::contains).collect(Collectors.toCollection(TreeSet::new));
  }

  /** Removes the namespace of every router on this host but {@code routerIds}; other hosts' are left alone. */
  public void sweep(Set<String> routerIds) {
    Set<String> kept = routerIds.stream().map(RouterCommands::namespaceOf).collect(Collectors.toSet());
    for (String namespace : namespaces()) {
      if (kept.contains(namespace)) continue;
      log.info("removing router namespace {}: no router placed on this host has it", namespace);
      run.run(RouterCommands.remove(namespace), TIMEOUT);
    }
  }

  private interface FileUse {
    void accept(String file);
  }

  private static void withFile(String text, FileUse use) {
    Path file = null;
    try {
      file = Files.writeString(Files.createTempFile("nimbus-router", ".txt"), text);
      use.accept(file.toString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a router's commands: " + e.getMessage(), e);
    } finally {
      if (file != null) file.toFile().delete();
    }
  }
}
