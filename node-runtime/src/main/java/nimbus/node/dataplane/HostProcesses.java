package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The daemons of this node's network namespace. Hosts on one machine each run their own in their
 * own namespace, with arguments that may name the same files as ours: only those of our
 * namespace are ours to find, restart or stop.
 */
final class HostProcesses {
  private HostProcesses() {}

  /** The processes of this namespace whose command ends with {@code command}. */
  static List<ProcessHandle> named(String command) {
    Optional<Object> ours = netns(Path.of("/proc/self/ns/net"));
    return ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith(command))
        .filter(p -> ours.isPresent() && ours.equals(netns(Path.of("/proc", String.valueOf(p.pid()), "ns", "net"))))
        .toList();
  }

  static List<String> arguments(ProcessHandle p) {
    return p.info().arguments().map(List::of).orElse(List.of());
  }

  /** Stops {@code p}: asked first, killed if it has not ended within 5 s. */
  static void end(ProcessHandle p) {
    p.destroy();
    try {
      p.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
    }
  }

  /** The identity of a network namespace (empty: the process is gone, or we may not look). */
  private static Optional<Object> netns(Path file) {
    try {
      return Optional.ofNullable(Files.readAttributes(file, BasicFileAttributes.class).fileKey());
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
