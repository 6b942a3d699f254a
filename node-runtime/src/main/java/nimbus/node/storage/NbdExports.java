package nimbus.node.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import nimbus.node.agent.CommandRunner;
import nimbus.storage.NbdExport;

/**
 * A storage host's NBD exports: one {@code qemu-storage-daemon} per exported volume, listening on the
 * host's own address (the underlay, which other hosts reach and tenants' guests do not), on a port
 * of the configured {@link NbdPorts}, which only the cluster's compute hosts may connect to
 * ({@link NbdAccess}, in force before any export starts), under an export name of 128 random
 * bits. Each export is recorded in its directory ({@code ID.export}, the URI, written before the
 * daemon starts; {@code ID.pid}, the daemon's pid file), and the daemons run on their own: they
 * outlive the agent, and an agent started again finds them by their records (a record whose
 * daemon is gone is started again on its port under its name, so a guest's NBD client reconnects
 * to the same URI). Every call blocks, and every change is idempotent.
 */
public final class NbdExports {
  private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final String address;
  private final NbdPorts ports;
  private final CommandRunner commands;
  private final NbdAccess access;

  /**
   * Exports recorded in {@code dir}, served on {@code address} (an IP address of this host) and a
   * port of {@code ports}, reachable as {@code access} allows.
   */
  public NbdExports(Path dir, String address, NbdPorts ports, CommandRunner commands, NbdAccess access) {
    this.dir = dir;
    this.address = address;
    this.ports = ports;
    this.commands = commands;
    this.access = access;
  }

  /** Brings the rules for who may connect up to date (the agent's reconciliation). Blocking. */
  public void protect() {
    access.protect();
  }

  /** The volume's export of {@code file}: the one it has (its daemon started again if gone), or a new one. */
  public synchronized NbdExport export(String volumeId, Path file) {
    Optional<NbdExport> recorded = recorded(volumeId);
    if (recorded.isPresent() && running(volumeId, recorded.get())) return recorded.get();
    if (recorded.isPresent()) {
      try {
        start(volumeId, file, recorded.get());
        return recorded.get();
      } catch (RuntimeException e) {
        // its port was taken meanwhile: a new export below
      }
    }
    NbdExport made = new NbdExport(address, freePort(), HexFormat.of().formatHex(randomBytes()));
    record(volumeId, made);
    start(volumeId, file, made);
    return made;
  }

  /** Stops the volume's daemon, if any, and forgets its export. */
  public synchronized void unexport(String volumeId) {
    Optional<NbdExport> recorded = recorded(volumeId);
    if (recorded.isPresent()) pid(volumeId, recorded.get()).ifPresent(NbdExports::stop);
    try {
      Files.deleteIfExists(dir.resolve(volumeId + ".pid"));
      Files.deleteIfExists(dir.resolve(volumeId + ".export"));
    } catch (IOException e) {
      throw new StorageException("cannot remove the export of volume " + volumeId + ": " + e.getMessage(), e);
    }
  }

  /** The volumes with a recorded export. */
  public synchronized Set<String> volumes() {
    Set<String> out = new TreeSet<>();
    if (!Files.isDirectory(dir)) return out;
    try (var files = Files.list(dir)) {
      files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".export"))
          .map(n -> n.substring(0, n.length() - ".export".length())).filter(id -> VOLUME_ID.matcher(id).matches())
          .forEach(out::add);
    } catch (IOException e) {
      throw new StorageException("cannot list the exports: " + e.getMessage(), e);
    }
    return out;
  }

  /** The volume's recorded export, whether its daemon runs or not. */
  public synchronized Optional<NbdExport> recorded(String volumeId) {
    Path record = dir.resolve(checked(volumeId) + ".export");
    try {
      return Files.exists(record) ? Optional.of(NbdExport.parse(Files.readString(record, StandardCharsets.UTF_8).strip()))
          : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      throw new StorageException("cannot read the export of volume " + volumeId + ": " + e.getMessage(), e);
    }
  }

  /** Whether the volume's daemon serves its recorded export now. */
  public synchronized boolean running(String volumeId) {
    return recorded(volumeId).map(e -> running(volumeId, e)).orElse(false);
  }

  private boolean running(String volumeId, NbdExport export) {
    return pid(volumeId, export).isPresent();
  }

  private void start(String volumeId, Path file, NbdExport export) {
    if (!Files.exists(file)) throw new StorageException("no file to export for volume " + volumeId, null);
    access.protect();
    commands.run(NbdCommands.serve(file, export, dir.resolve(volumeId + ".pid")), START_TIMEOUT);
  }

  /** The pid of the daemon serving {@code export}, if it runs (a pid file's number reused by another process is not it). */
  private Optional<ProcessHandle> pid(String volumeId, NbdExport export) {
    try {
      Path pidFile = dir.resolve(volumeId + ".pid");
      if (!Files.exists(pidFile)) return Optional.empty();
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
      Path cmdline = Path.of("/proc", String.valueOf(pid), "cmdline");
      if (!Files.exists(cmdline)) return Optional.empty();
      if (!NbdCommands.serves(Files.readString(cmdline, StandardCharsets.UTF_8), export)) return Optional.empty();
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty(); // gone while it was read, or a pid file half written: not running
    }
  }

  private static void stop(ProcessHandle daemon) {
    daemon.destroy();
    try {
      daemon.onExit().get(STOP_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      daemon.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      // it exited regardless
    }
  }

  private void record(String volumeId, NbdExport export) {
    try {
      Files.createDirectories(dir);
      Path partial = dir.resolve(volumeId + ".export.partial");
      Files.writeString(partial, export.uri() + "\n", StandardCharsets.UTF_8);
      Files.move(partial, dir.resolve(volumeId + ".export"), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new StorageException("cannot record the export of volume " + volumeId + ": " + e.getMessage(), e);
    }
  }

  /**
   * A port of the range that no other export holds and that is free on the address now, from a
   * random start (the daemon binds it a moment later; a start that loses the race fails).
   */
  private int freePort() {
    Set<Integer> held = new TreeSet<>();
    for (String id : volumes()) recorded(id).ifPresent(e -> held.add(e.port()));
    int size = ports.last() - ports.first() + 1;
    int start = RANDOM.nextInt(size);
    for (int i = 0; i < size; i++) {
      int port = ports.first() + (start + i) % size;
      if (!held.contains(port) && free(port)) return port;
    }
    throw new StorageException("no port of " + ports + " is free on " + address + " for another NBD export", null);
  }

  private boolean free(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName(address))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static String checked(String volumeId) {
    if (!VOLUME_ID.matcher(volumeId).matches()) throw new StorageException("not a volume id: " + volumeId, null);
    return volumeId;
  }
}
