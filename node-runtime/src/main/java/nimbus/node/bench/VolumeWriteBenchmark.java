package nimbus.node.bench;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.hypervisor.DomainXml;
import nimbus.node.storage.NbdExports;
import nimbus.node.storage.NbdPorts;

/**
 * {@code nimbus bench volume-write}: sequential write throughput inside a real TCG guest (the test
 * guest on {@code qemu:///system}) to a volume attached as its local file and to one attached over
 * NBD, against the same write on the host to a file in the same directory, round by round in one
 * run. The disks are the ones Nimbus gives a guest ({@link DomainXml#volumeDisk}: raw, no host
 * cache), the NBD one served by a {@link NbdExports} daemon as a storage host serves another host's
 * guests, here on the host's own loopback (the same transport, TCP, without a network between:
 * the bench has one host). Each write is {@code dd} of N MiB from /dev/zero in 1 MiB blocks with
 * direct I/O and an fsync at the end; on the host a second time with every block synced
 * ({@code oflag=dsync}), which is what the daemon's writethrough does to each NBD write. The NBD firewall is not installed (it adds a set lookup per
 * packet, and the bench writes no rules into the machine's own namespace). Needs root and libvirtd.
 */
final class VolumeWriteBenchmark {
  private static final Duration READY_WITHIN = Duration.ofSeconds(180);
  /** GNU dd's summary on the host. */
  private static final Pattern DD = Pattern.compile("(\\d+) bytes .*copied, ([0-9.]+) s");
  /** busybox's {@code time} in the guest (its dd prints no rate). */
  private static final Pattern TIME = Pattern.compile("real\\s+(\\d+)m ([0-9.]+)s");

  private VolumeWriteBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
    int mib = Integer.parseInt(options.getOrDefault("size-mb", "64"));
    Optional<Path> built = Benchmarks.testGuest(options);
    if (built.isEmpty()) return 2;
    ProcessRunner run = new ProcessRunner();
    Path dir = Files.createTempDirectory("nimbus-bench-volumes");
    // the guest's QEMU runs as libvirt's user: it must reach the files
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String domain = "nimbus-bench-write-" + UUID.randomUUID().toString().substring(0, 8);
    NbdExports exports = new NbdExports(dir.resolve("exports"), "127.0.0.1", new NbdPorts(42300, 42399), run, () -> {});
    try {
      Path local = volume(run, dir, "local", mib);
      Path remote = volume(run, dir, "remote", mib);
      Path onHost = volume(run, dir, "host", mib);
      String nbd = exports.export("remote", remote).uri();
      Path console = dir.resolve("console.log");
      Path xml = Files.writeString(dir.resolve("domain.xml"), definition(domain, built.get(), console,
          DomainXml.volumeDisk(local.toString(), "vdb", "bench-local") + DomainXml.volumeDisk(nbd, "vdc", "bench-remote")));
      run.run(List.of("virsh", "-q", "-c", "qemu:///system", "create", xml.toString()), Duration.ofSeconds(60));
      awaitConsole(console, "GUEST-READY", 0);
      String running = run.run(List.of("virsh", "-q", "-c", "qemu:///system", "dumpxml", domain), Duration.ofSeconds(30));
      Matcher pty = Pattern.compile("<serial type='pty'>\\s*<source path='([^']+)'").matcher(running);
      if (!pty.find()) throw new IllegalStateException("the guest has no console pty");
      List<Double> inLocal = new ArrayList<>();
      List<Double> inRemote = new ArrayList<>();
      List<Double> host = new ArrayList<>();
      List<Double> hostSynced = new ArrayList<>();
      try (RandomAccessFile shell = new RandomAccessFile(pty.group(1), "rw")) {
        drain(shell);
        int mark = 1000;
        for (int round = 1; round <= rounds; round++) {
          inLocal.add(inGuest(shell, console, "bench-local", mib, ++mark));
          inRemote.add(inGuest(shell, console, "bench-remote", mib, ++mark));
          host.add(rate(run.run(List.of("dd", "if=/dev/zero", "of=" + onHost, "bs=1M", "count=" + mib,
              "oflag=direct", "conv=fsync,notrunc"), Duration.ofMinutes(5))));
          // each block on disk before the next, as the NBD daemon's writethrough makes every write
          hostSynced.add(rate(run.run(List.of("dd", "if=/dev/zero", "of=" + onHost, "bs=1M", "count=" + mib,
              "oflag=direct,dsync", "conv=fsync,notrunc"), Duration.ofMinutes(5))));
          System.out.printf("round %d: guest local file %.1f MB/s, guest over NBD %.1f MB/s, host %.1f MB/s,"
              + " host each block synced %.1f MB/s%n", round, inLocal.get(round - 1), inRemote.get(round - 1),
              host.get(round - 1), hostSynced.get(round - 1));
        }
      }
      double l = median(inLocal);
      double r = median(inRemote);
      double h = median(host);
      double hs = median(hostSynced);
      System.out.printf("sequential write of %d MiB (direct I/O, fsync), median of %d: guest local file %.1f MB/s,"
          + " guest over NBD %.1f MB/s, host %.1f MB/s, host each block synced %.1f MB/s -> NBD/local %.2f,"
          + " local/host %.2f, NBD/host %.2f, NBD/host synced %.2f%n", mib, rounds, l, r, h, hs, r / l, l / h, r / h, r / hs);
      return 0;
    } finally {
      run.run(List.of("bash", "-c", "virsh -q -c qemu:///system destroy " + domain + " >/dev/null 2>&1 || true"),
          Duration.ofSeconds(30));
      exports.volumes().forEach(exports::unexport);
      run.run(List.of("rm", "-rf", dir.toString()), Duration.ofSeconds(30));
    }
  }

  private static Path volume(ProcessRunner run, Path dir, String name, int mib) {
    Path file = dir.resolve("nimbus-volume-" + name);
    run.run(List.of("qemu-img", "create", "-q", "-f", "raw", file.toString(), (mib + 16) + "M"), Duration.ofSeconds(30));
    return file;
  }

  /** The test guest booted from its kernel and initramfs, its console a pty logged to {@code console}, with {@code disks}. */
  private static String definition(String name, Path guest, Path console, String disks) {
    return "<domain type='qemu'>\n"
        + "  <name>" + name + "</name>\n"
        + "  <memory unit='MiB'>256</memory>\n"
        + "  <vcpu>1</vcpu>\n"
        + "  <os>\n"
        + "    <type arch='x86_64' machine='pc'>hvm</type>\n"
        + "    <kernel>" + guest.resolve("vmlinuz") + "</kernel>\n"
        + "    <initrd>" + guest.resolve("initrd.img") + "</initrd>\n"
        + "    <cmdline>console=ttyS0</cmdline>\n"
        + "  </os>\n"
        + "  <devices>\n"
        + disks
        + "    <serial type='pty'>\n"
        + "      <log file='" + console + "' append='off'/>\n"
        + "      <target port='0'/>\n"
        + "    </serial>\n"
        + "    <console type='pty'><target type='serial' port='0'/></console>\n"
        + "  </devices>\n"
        + "</domain>\n";
  }

  /**
   * Types the write into the guest's shell, to the disk whose serial is {@code serial}, and reads
   * how long it took from the console (busybox's {@code time}, to 10 ms): the line starts
   * {@code R<mark>}, which the typed text (with {@code $((mark))} unexpanded) never does.
   */
  private static double inGuest(RandomAccessFile shell, Path console, String serial, int mib, int mark) throws Exception {
    String line = "d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4); echo \"R$((" + mark + ")) $(time dd"
        + " if=/dev/zero of=/dev/$d bs=1M count=" + mib + " oflag=direct conv=fsync 2>&1 | grep real)\"\n";
    shell.write(line.getBytes(StandardCharsets.US_ASCII));
    String said = awaitConsole(console, "R" + mark + " ", mark);
    Matcher m = TIME.matcher(said);
    if (!m.find()) throw new IllegalStateException("no time of the write in the guest: " + said);
    return mib * 1048576.0 / (Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2))) / 1e6;
  }

  /** MB/s (10^6 bytes a second) of GNU dd's summary in {@code text}. */
  private static double rate(String text) {
    Matcher m = DD.matcher(text);
    if (!m.find()) throw new IllegalStateException("no dd result in: " + text);
    return Long.parseLong(m.group(1)) / Double.parseDouble(m.group(2)) / 1e6;
  }

  /** The console's line that starts with {@code prefix}, once the guest printed it (a blank prefix: the whole log). */
  private static String awaitConsole(Path console, String prefix, int mark) throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (true) {
      String log = Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1) : "";
      Optional<String> found = mark == 0 ? Optional.of(log).filter(l -> l.contains(prefix))
          : log.lines().map(String::strip).filter(l -> l.startsWith(prefix)).findFirst();
      if (found.isPresent()) return found.get();
      if (System.nanoTime() > deadline) throw new IllegalStateException("no " + prefix + " on the guest's console: " + log);
      Thread.sleep(100); // polling the console, as a user would
    }
  }

  /** Reads what the guest echoes on the pty: QEMU stalls a console whose pty is full. */
  private static void drain(RandomAccessFile shell) {
    Thread drain = new Thread(() -> {
      byte[] echoed = new byte[65536];
      try {
        while (shell.read(echoed) >= 0) {
          // the log has it
        }
      } catch (java.io.IOException closed) {
        // the benchmark is over
      }
    }, "console-drain");
    drain.setDaemon(true);
    drain.start();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
