package nimbus.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import nimbus.node.dataplane.TenantFirewall;
import nimbus.node.dataplane.TenantSegment;
import nimbus.node.router.RouterCommands;

/**
 * What Nimbus has made on one namespace host ({@link NamespaceHosts}), as sorted lines to compare:
 * its devices (the names {@link TenantSegment#isNimbusDevice} knows, each with the bridge it is a
 * port of), the flood entries of its VXLAN devices, the dnsmasqs and haproxys running in the host
 * (in its UTS namespace, whatever network namespace they sit in) with their command lines, the
 * host's own network namespaces (routers' too), and the rules of every nftables table of the host's
 * namespace (Nimbus's {@link TenantFirewall#TABLE}, and any other: the host has none of its own; the
 * NBD firewall's without its sets' elements), and
 * what each router's namespace holds (devices, addresses, routes, rules). Names
 * come from the naming code, so a device kind added there is listed here too.
 */
final class NimbusTraces {
  /** The daemons the agent runs for its networks: DHCP, and the metadata service's proxy. */
  private static final List<String> DAEMONS = List.of("dnsmasq", "haproxy");

  private NimbusTraces() {}

  static List<String> of(NamespaceHosts hosts, String host) throws Exception {
    List<String> lines = new ArrayList<>(); // sorted at the end, duplicates kept: two daemons alike are two
    for (String link : run("ip", "-n", host, "-o", "link", "show").lines().toList()) {
      String name = link.split(":\\s+", 3)[1].split("@")[0];
      if (!TenantSegment.isNimbusDevice(name)) continue;
      String[] words = link.split("\\s+");
      String master = "";
      for (int i = 0; i + 1 < words.length; i++) if (words[i].equals("master")) master = " master " + words[i + 1];
      lines.add("device " + name + master);
      if (name.startsWith("nvx-")) {
        for (String entry : run("bridge", "-n", host, "fdb", "show", "dev", name).lines().toList()) {
          if (entry.startsWith("00:00:00:00:00:00")) lines.add("flood " + name + " " + entry.strip());
        }
      }
    }
    Optional<Object> uts = namespace(hosts.libvirtd(host), "uts");
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      String command = p.info().command().orElse("");
      String daemon = command.substring(command.lastIndexOf('/') + 1);
      if (!DAEMONS.contains(daemon)) continue;
      if (uts.isEmpty() || !uts.equals(namespace(p.pid(), "uts"))) continue;
      // haproxy's reload hands over with -sf OLD-PID: which pid it replaced is no difference in what runs
      p.info().arguments().ifPresent(args -> lines.add(daemon + " " + String.join(" ", args).replaceAll(" -s[ft] [0-9 ]+$", "")));
    }
    Path namespaces = hosts.dir(host).resolve("run-netns"); // the host's own /run/netns
    if (Files.isDirectory(namespaces)) {
      try (var names = Files.list(namespaces)) {
        for (Path n : names.toList()) {
          String name = n.getFileName().toString();
          lines.add("netns " + name);
          if (RouterCommands.isRouterNamespace(name)) lines.addAll(router(hosts, host, name));
        }
      }
    }
    for (String table : run("ip", "netns", "exec", host, "nft", "list", "tables").lines().toList()) {
      String[] words = table.strip().split("\\s+");
      if (words.length == 3) { // every table: the host's namespace has none but Nimbus's
        // the NBD firewall's sets hold the cluster's compute hosts, which come and go with the hosts,
        // not with what tenants make: its rules are compared, not its sets' elements (-t)
        List<String> list = words[2].equals("nimbus-nbd") ? List.of("nft", "-t", "list", "table", words[1], words[2])
            : List.of("nft", "list", "table", words[1], words[2]);
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", host));
        command.addAll(list);
        for (String rule : run(command.toArray(String[]::new)).lines().toList()) {
          // what a counter has seen is traffic, not what Nimbus made; a security group ruleset's
          // generation (its connection mark) is new after every agent start, by design
          if (!rule.isBlank()) lines.add("nft " + words[1] + " " + rule.strip().replaceAll("counter packets \\d+ bytes \\d+", "counter")
              .replaceAll("ct mark (set )?0x[0-9a-f]+", "ct mark $1GENERATION"));
        }
      }
    }
    Collections.sort(lines);
    return List.copyOf(lines);
  }

  /**
   * What a router's namespace holds: its devices, addresses (without their flags: a new IPv6
   * address is tentative a moment), routes and rules.
   */
  private static List<String> router(NamespaceHosts hosts, String host, String namespace) throws Exception {
    List<String> lines = new ArrayList<>();
    String in = namespace + " ";
    for (String link : hosts.inHost(host, "ip", "-n", namespace, "-o", "link", "show").lines().toList()) {
      String[] words = link.split("\\s+");
      for (int i = 0; i + 1 < words.length; i++) {
        if (words[i].startsWith("link/")) lines.add(in + "device " + words[1].split("@")[0].replace(":", "") + " " + words[i + 1]);
      }
    }
    for (String address : hosts.inHost(host, "ip", "-n", namespace, "-o", "addr", "show").lines().toList()) {
      String[] words = address.split("\\s+");
      lines.add(in + "address " + words[1] + " " + words[2] + " " + words[3]);
    }
    for (String family : List.of("-4", "-6")) {
      hosts.inHost(host, "ip", "-n", namespace, family, "route", "show", "table", "all").lines()
          .forEach(route -> lines.add(in + "route " + route.strip()));
    }
    for (String rule : hosts.inHost(host, "ip", "netns", "exec", namespace, "nft", "list", "ruleset").lines().toList()) {
      if (!rule.isBlank()) lines.add(in + "nft " + rule.strip().replaceAll("counter packets \\d+ bytes \\d+", "counter"));
    }
    return lines;
  }

  /** Those of the lines that name any of {@code words} (a network's bridge, VNI, taps, id). */
  static List<String> naming(List<String> lines, List<String> words) {
    List<String> found = new ArrayList<>();
    for (String line : lines) if (words.stream().anyMatch(line::contains)) found.add(line);
    return found;
  }

  private static Optional<Object> namespace(long pid, String kind) {
    try {
      return Optional.ofNullable(Files.readAttributes(Path.of("/proc", String.valueOf(pid), "ns", kind),
          BasicFileAttributes.class).fileKey());
    } catch (IOException gone) {
      return Optional.empty();
    }
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
