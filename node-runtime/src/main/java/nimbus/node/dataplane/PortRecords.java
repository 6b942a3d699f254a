package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ports plugged on this host, one file per network ({@code ROOT/NETWORK-ID/ports}, a line per
 * port: server, port, MAC, IPv4 address or {@code -}, host name), so that an agent that restarts
 * knows which networks to rebuild and which leases to serve while its guests run on.
 */
final class PortRecords {
  static final String FILE = "ports";
  private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]{11,64}");

  private final Path root;

  PortRecords(Path root) {
    this.root = root;
  }

  Map<String, List<TenantPort>> readAll() {
    Map<String, List<TenantPort>> out = new HashMap<>();
    if (!Files.isDirectory(root)) return out;
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.filter(d -> ID.matcher(d.getFileName().toString()).matches()).toList()) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) continue;
        List<TenantPort> ports = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
          String[] f = line.trim().split(" ");
          if (f.length != 5) continue; // not ours to read
          ports.add(new TenantPort(f[0], f[1], f[2], f[3].equals("-") ? Optional.empty() : Optional.of(f[3]), f[4]));
        }
        if (!ports.isEmpty()) out.put(dir.getFileName().toString(), List.copyOf(ports));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the ports plugged here from " + root + ": " + e.getMessage(), e);
    }
    return out;
  }

  void write(String networkId, List<TenantPort> ports) {
    Path file = root.resolve(networkId).resolve(FILE);
    if (ports.isEmpty()) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new IllegalStateException("cannot remove " + file + ": " + e.getMessage(), e);
      }
      return;
    }
    StringBuilder text = new StringBuilder();
    for (TenantPort p : ports) {
      text.append(String.join(" ", p.serverId(), p.portId(), p.mac(), p.ip().orElse("-"), p.hostname())).append('\n');
    }
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
    }
    DnsmasqFiles.write(file, text.toString());
  }
}
