package nimbus.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The bootable test guest that {@code ./nimbus test} builds (scripts/build-test-guest.sh). */
final class TestGuest {
  private TestGuest() {}

  static Path dir() {
    String env = System.getenv("NIMBUS_TEST_GUEST");
    Path dir = env != null ? Path.of(env) : Path.of("..", "data", "guest").toAbsolutePath().normalize();
    if (!Files.isReadable(dir.resolve("vmlinuz")) || !Files.isReadable(dir.resolve("initrd.img"))) {
      throw new IllegalStateException("no test guest in " + dir
          + ": run ./nimbus test (it builds one) or scripts/build-test-guest.sh " + dir);
    }
    return dir;
  }

  /**
   * Types {@code line} into the guest's shell through the console's pty that its running domain's
   * {@code definition} names, until {@code done} holds. QEMU passes input on only while someone
   * holds the pty open, and a full pty would stall the guest's console: held, and drained of what
   * the guest echoes there (the tests read the console log).
   */
  static void typeInto(String definition, String line, java.time.Duration wait,
      java.util.concurrent.Callable<Boolean> done) throws Exception {
    java.util.regex.Matcher pty = java.util.regex.Pattern.compile("<serial type='pty'>\\s*<source path='([^']+)'")
        .matcher(definition);
    if (!pty.find()) throw new AssertionError("the running domain names no console pty: " + definition);
    try (var console = new java.io.RandomAccessFile(pty.group(1), "rw")) {
      Thread drain = new Thread(() -> {
        byte[] echoed = new byte[65536];
        try {
          while (console.read(echoed) >= 0) {
            // discarded: the test reads the log
          }
        } catch (java.io.IOException closed) {
          // the pty went with the test's file or the domain
        }
      }, "console-drain");
      drain.setDaemon(true);
      drain.start();
      console.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      Eventually.until(wait, done);
    }
  }

  /** What the guest's own init printed on its console, without the kernel's log: for failure messages. */
  static String said(String console) {
    return console.lines().filter(line -> !line.startsWith("[")).collect(Collectors.joining("\n"));
  }

  /** Settings for a node that runs real TCG guests on this machine's libvirtd. */
  static Map<String, Object> realHost() {
    Path guest = dir();
    return Map.of(
        "nimbus.host.hypervisor-uri", "qemu:///system",
        "nimbus.host.domain-type", "qemu",
        "nimbus.host.graceful-shutdown-timeout", "2s",
        "nimbus.images", List.of(Map.of(
            "name", "nimbus-test-guest",
            "kernel", guest.resolve("vmlinuz").toString(),
            "ramdisk", guest.resolve("initrd.img").toString(),
            "disk", "",
            "disk-format", "qcow2")));
  }
}
