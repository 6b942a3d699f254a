package nimbus.node.storage;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import nimbus.node.agent.ProcessRunner;
import nimbus.storage.NbdExport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code qemu-storage-daemon}s on loopback, read and written by QEMU's own NBD client
 * ({@code qemu-io}, {@code qemu-img}): an export serves the volume's file, is the same export when
 * asked again, outlives its {@link NbdExports} (an agent started again finds it), is started again
 * on its URI when its daemon died, and is gone once unexported.
 */
class NbdExportsTest {
  private static final ProcessRunner RUN = new ProcessRunner();
  /** Ports no other test's exports use. */
  static final NbdPorts PORTS = new NbdPorts(42100, 42199);
  @TempDir
  Path dir;
  private NbdExports exports;

  @AfterEach
  void stopDaemons() {
    if (exports != null) exports.volumes().forEach(exports::unexport);
  }

  static String io(NbdExport export, String command) {
    return RUN.run(List.of("qemu-io", "-f", "raw", "-c", command, export.uri()), Duration.ofSeconds(30));
  }

  static boolean reachable(NbdExport export) {
    try {
      RUN.run(List.of("qemu-img", "info", "-f", "raw", export.uri()), Duration.ofSeconds(30));
      return true;
    } catch (IllegalStateException refused) {
      return false;
    }
  }

  @Test
  void anExportServesTheFileOutlivesItsAgentComesBackAfterItsDaemonDiedAndGoes() throws Exception {
    Path file = dir.resolve("nimbus-volume-v1");
    RUN.run(List.of("qemu-img", "create", "-q", "-f", "raw", file.toString(), "16M"), Duration.ofSeconds(30));
    java.util.concurrent.atomic.AtomicInteger protections = new java.util.concurrent.atomic.AtomicInteger();
    exports = new NbdExports(dir.resolve("exports"), "127.0.0.1", PORTS, RUN, protections::incrementAndGet);
    NbdExport export = exports.export("v1", file);
    assertEquals("127.0.0.1", export.address());
    assertTrue(export.port() >= PORTS.first() && export.port() <= PORTS.last(), "a port of the range: " + export);
    assertEquals(1, protections.get(), "who may connect is in force before the daemon starts");
    assertEquals(32, export.name().length());
    assertEquals(export, exports.export("v1", file), "asked again: the same export");
    io(export, "write -P 0x4e 0 4096");
    byte[] head = new byte[4096];
    try (var in = Files.newInputStream(file)) {
      assertEquals(head.length, in.readNBytes(head, 0, head.length));
    }
    assertEquals("N".repeat(4096), new String(head, US_ASCII), "the write is in the volume's file");
    assertTrue(io(export, "read -P 0x4e 0 4096").contains("read 4096/4096"));

    // the name is the key: the right address and port with another name reach nothing
    assertFalse(reachable(new NbdExport("127.0.0.1", export.port(), "f".repeat(32))));

    // the agent goes; a new one finds the export by its record, its daemon still serving
    exports = new NbdExports(dir.resolve("exports"), "127.0.0.1", PORTS, RUN, protections::incrementAndGet);
    assertEquals(Set.of("v1"), exports.volumes());
    assertTrue(exports.running("v1"));
    assertEquals(export, exports.export("v1", file));

    // the daemon dies (the host's processes killed): asked again, it serves the same URI again
    long pid = Long.parseLong(Files.readString(dir.resolve("exports/v1.pid")).strip());
    ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
    daemon.destroyForcibly();
    daemon.onExit().get();
    assertFalse(exports.running("v1"));
    assertFalse(reachable(export));
    assertEquals(export, exports.export("v1", file));
    assertTrue(io(export, "read -P 0x4e 0 4096").contains("read 4096/4096"), "nothing lost");

    NbdExport other = exports.export("v2", file);
    assertNotEquals(export.name(), other.name(), "each export its own name");
    assertNotEquals(export.port(), other.port());
    exports.unexport("v2");
    exports.unexport("v1");
    exports.unexport("v1");
    assertFalse(reachable(export), "unexported: no daemon serves it");
    assertEquals(Set.of(), exports.volumes());
    assertThrows(StorageException.class, () -> exports.export("v3", dir.resolve("none")), "no file, no export");
    assertThrows(StorageException.class, () -> exports.export("../v", file), "not a volume id");
  }
}
