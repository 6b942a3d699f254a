package nimbus.node.storage;

import java.nio.file.Path;
import java.util.List;
import nimbus.storage.NbdExport;

/** The host commands and records of {@link NbdExports}, built without running anything (unit-tested). */
final class NbdCommands {
  private NbdCommands() {}

  /**
   * A {@code qemu-storage-daemon} that serves the raw file over NBD as {@code export}, on the export's
   * address and port only, and daemonizes once it listens. Writethrough: each write is flushed to
   * the disk before the guest hears it is done, so nothing a guest was told is written is lost when
   * the storage host dies, whether the guest flushes or not.
   */
  static List<String> serve(Path file, NbdExport export, Path pidFile) {
    return List.of("qemu-storage-daemon",
        "--blockdev", "driver=file,node-name=file0,filename=" + option(file.toAbsolutePath().toString()),
        "--blockdev", "driver=raw,node-name=disk0,file=file0",
        "--nbd-server", "addr.type=inet,addr.host=" + export.address() + ",addr.port=" + export.port(),
        "--export", "type=nbd,id=export0,node-name=disk0,name=" + export.name() + ",writable=on,writethrough=on",
        "--pidfile", option(pidFile.toAbsolutePath().toString()),
        "--daemonize");
  }

  /** A value inside QEMU's comma-separated options: a comma is written twice. */
  static String option(String value) {
    return value.replace(",", ",,");
  }

  /** Whether a process's {@code /proc/PID/cmdline} (arguments separated by NULs) is the daemon serving {@code export}. */
  static boolean serves(String cmdline, NbdExport export) {
    List<String> args = List.of(cmdline.split("\0"));
    return !args.isEmpty() && args.get(0).endsWith("qemu-storage-daemon")
        && args.stream().anyMatch(a -> a.contains(",name=" + export.name() + ","));
  }
}
