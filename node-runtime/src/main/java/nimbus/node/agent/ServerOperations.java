package nimbus.node.agent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import nimbus.compute.BootSource;
import nimbus.compute.HostAgentCommand.SpawnServer;
import nimbus.compute.PowerState;
import nimbus.config.HostSettings;
import nimbus.node.dataplane.Dataplane;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.hypervisor.DomainXml;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.node.metadata.ConfigDriveImage;
import nimbus.node.metadata.GuestNic;
import nimbus.node.metadata.MetadataDocuments;
import nimbus.storage.ImageInspector;

/**
 * What the agent does on the host for one server, each step idempotent: files under the
 * instances directory, the domain through the hypervisor. Blocking: runs on the blocking
 * dispatcher.
 */
public final class ServerOperations {
  static final String DOMAIN_PREFIX = "nimbus-";
  private static final long CONSOLE_TAIL_BYTES = 1 << 20;
  private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\":\\s*(\\d+)");
  /** The root disk formats this host boots: the ones whose bytes it can check to reference nothing else. */
  private static final Set<String> BOOTABLE_DISK_FORMATS = Set.of("qcow2", "raw");

  private final Hypervisor hypervisor;
  private final HostSettings settings;
  private final CommandRunner processes;
  private final Dataplane dataplane;
  private final ImageCache images;
  private final ImageStoreClient store;
  private final ConfigDrive configDrive;
  private final Optional<Path> cephKeyring;

  public ServerOperations(Hypervisor hypervisor, HostSettings settings, CommandRunner processes,
      Dataplane dataplane, ImageCache images, ImageStoreClient store) {
    this(hypervisor, settings, processes, dataplane, images, store, Optional.empty());
  }

  /**
   * {@code cephKeyring}: the Ceph keyring whose client keys this host's guests open RBD volumes
   * with (none: this host attaches no RBD volume).
   */
  public ServerOperations(Hypervisor hypervisor, HostSettings settings, CommandRunner processes,
      Dataplane dataplane, ImageCache images, ImageStoreClient store, Optional<Path> cephKeyring) {
    this.cephKeyring = cephKeyring;
    this.images = images;
    this.store = store;
    this.hypervisor = hypervisor;
    this.settings = settings;
    this.processes = processes;
    this.dataplane = dataplane;
    this.configDrive = new ConfigDrive(processes);
  }

  static String domainName(String serverId) {
    return DOMAIN_PREFIX + serverId;
  }

  private static final Pattern SERVER_DOMAIN =
      Pattern.compile("nimbus-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");

  /** The server a domain belongs to: only names Nimbus gives (prefix and a server UUID) count. */
  static Optional<String> serverIdOf(String domainName) {
    Matcher m = SERVER_DOMAIN.matcher(domainName);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private Path instanceDir(String serverId) {
    return settings.instancesDir().resolve(serverId);
  }

  /** Which cached image files a server's domain uses, one SHA-512 a line, beside its disk. */
  private static final String USES = "image-files";

  /** Removes cached image files no server here has used for {@code keep} (blocking). */
  public int evictUnusedImages(Duration keep) throws IOException {
    Set<String> inUse = new HashSet<>();
    if (Files.isDirectory(settings.instancesDir())) {
      try (Stream<Path> servers = Files.list(settings.instancesDir())) {
        for (Path uses : servers.map(d -> d.resolve(USES)).filter(Files::exists).toList()) {
          inUse.addAll(Files.readAllLines(uses));
        }
      }
    }
    return images.evict(inUse, java.time.Instant.now().minus(keep));
  }

  public PowerState spawn(SpawnServer c) throws IOException {
    return spawn(c, List.of());
  }

  /** Hot-plugs a NIC into the server's domain (and its definition), running or not. */
  public void attachNic(String serverId, DomainSpec.Nic nic) {
    hypervisor.attachNic(domainName(serverId), nic);
  }

  /** Adds a volume's file to the server's domain (and its definition) as virtio disk {@code device}. */
  public void attachVolume(String serverId, String volumeId, String path, String device) {
    cephSecret(path);
    hypervisor.attachDisk(domainName(serverId), device, DomainXml.volumeDisk(path, device, volumeId));
  }

  /** The running guest's disk at {@code device} (a volume whose bytes are grown) grows to {@code bytes}. */
  public void growVolume(String serverId, String device, long bytes) {
    hypervisor.growDisk(domainName(serverId), device, bytes);
  }

  /** Takes the disk at {@code device} out of the server's domain (and its definition). */
  public void detachVolume(String serverId, String device) {
    hypervisor.detachDisk(domainName(serverId), device);
  }

  /** Takes a NIC out of the server's domain (and its definition). */
  public void detachNic(String serverId, DomainSpec.Nic nic) {
    hypervisor.detachNic(domainName(serverId), nic);
  }

  /** {@code tenantNics}: the NICs of {@code c}'s ports, on their networks as this host has them plugged. */
  public PowerState spawn(SpawnServer c, List<DomainSpec.Nic> tenantNics) throws IOException {
    return spawn(c, tenantNics, List.of());
  }

  /**
   * {@code guestNics}: the same ports as the guest's metadata describes them (its config drive's
   * {@code network_data.json}).
   */
  public PowerState spawn(SpawnServer c, List<DomainSpec.Nic> tenantNics, List<GuestNic> guestNics) throws IOException {
    DomainSpec spec = domainSpec(c, tenantNics, guestNics);
    hypervisor.define(spec.name(), DomainXml.of(spec));
    if (c.start()) hypervisor.start(spec.name());
    return hypervisor.state(spec.name()).orElse(PowerState.NOSTATE);
  }

  /**
   * Resizes in place: the guest is powered off, its domain redefined with {@code c}'s vCPUs and
   * RAM, its root disk grown (never shrunk: a revert keeps the larger disk, whose guest file
   * system is unchanged), and powered on again if {@code c.start()}. A domain the host lost (its
   * reboot, a restart of the test hypervisor) is defined anew at the new size over the same disk.
   */
  public PowerState resize(SpawnServer c) throws IOException {
    return resize(c, List.of());
  }

  public PowerState resize(SpawnServer c, List<DomainSpec.Nic> tenantNics) throws IOException {
    return resize(c, tenantNics, List.of());
  }

  public PowerState resize(SpawnServer c, List<DomainSpec.Nic> tenantNics, List<GuestNic> guestNics) throws IOException {
    String name = domainName(c.serverId());
    boolean exists = hypervisor.state(name).isPresent();
    if (exists) hypervisor.stop(name, settings.gracefulShutdownTimeout());
    DomainSpec spec = domainSpec(c, tenantNics, guestNics);
    if (spec.disk().isPresent() && Files.exists(spec.disk().get()) && c.resources().diskGb() > 0) {
      long wanted = c.resources().diskGb() * (1L << 30);
      if (virtualSize(spec.disk().get()) < wanted) {
        processes.run(List.of("qemu-img", "resize", "-q", "-f", "qcow2", spec.disk().get().toString(), String.valueOf(wanted)),
            Duration.ofSeconds(60));
      }
    }
    if (exists) {
      hypervisor.redefine(DomainXml.of(spec));
    } else {
      hypervisor.define(name, DomainXml.of(spec));
    }
    if (c.start()) hypervisor.start(name);
    return hypervisor.state(name).orElse(PowerState.NOSTATE);
  }

  private long virtualSize(Path disk) {
    String info = processes.run(List.of("qemu-img", "info", "-U", "-f", "qcow2", "--output=json", disk.toString()), Duration.ofSeconds(30));
    Matcher m = VIRTUAL_SIZE.matcher(info);
    if (!m.find()) throw new IllegalStateException("qemu-img info gave no virtual size for " + disk);
    return Long.parseLong(m.group(1));
  }

  /**
   * Copies the server's root disk (overlay and base, flattened) into the queued image
   * {@code imageId}. A running guest is paused for the copy, so the image is one moment of its
   * disk. A failed snapshot deletes its image, as Nova does.
   */
  public void snapshot(String serverId, String imageId) throws IOException {
    if (store.hasData(imageId)) return; // taken already: this is the step sent again
    Path disk = instanceDir(serverId).resolve("disk");
    if (!Files.exists(disk)) {
      store.discard(imageId);
      throw new IllegalStateException("Server " + serverId + " has no root disk to snapshot on host " + settings.name());
    }
    String name = domainName(serverId);
    Path copy = instanceDir(serverId).resolve("snapshot-" + imageId);
    boolean pause = hypervisor.state(name).orElse(PowerState.NOSTATE) == PowerState.RUNNING;
    try {
      if (pause) hypervisor.pause(name);
      try {
        processes.run(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "qcow2", disk.toString(), copy.toString()),
            Duration.ofMinutes(30));
      } finally {
        if (pause) hypervisor.unpause(name);
      }
      store.upload(imageId, copy);
    } catch (IOException | RuntimeException e) {
      store.discard(imageId);
      throw e;
    } finally {
      Files.deleteIfExists(copy);
    }
  }

  /**
   * Powers the server off and copies its root disk (overlay and base, flattened) into the image
   * store, for the host a resize moves it to; answers the copy's SHA-512 (empty: no disk). The
   * domain and its files stay until the resize is confirmed or reverted.
   */
  public Optional<String> exportDisk(String serverId) throws IOException {
    hypervisor.stop(domainName(serverId), settings.gracefulShutdownTimeout());
    Path disk = instanceDir(serverId).resolve("disk");
    if (!Files.exists(disk)) return Optional.empty();
    Path copy = instanceDir(serverId).resolve("moving-disk");
    try {
      processes.run(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "qcow2", disk.toString(), copy.toString()),
          Duration.ofMinutes(30));
      return Optional.of(store.storeFile(copy));
    } finally {
      Files.deleteIfExists(copy);
    }
  }

  /**
   * The domain for a server: its boot files resolved on this host, its root disk overlay made,
   * its config drive written (anew each time: it says what the server is now).
   */
  private DomainSpec domainSpec(SpawnServer c, List<DomainSpec.Nic> tenantNics, List<GuestNic> guestNics)
      throws IOException {
    Path dir = Files.createDirectories(instanceDir(c.serverId()));
    BootSource boot = c.boot();
    boolean real = !settings.domainType().equals("test");
    // recorded before the files are fetched, so eviction never takes a file a spawn is about to use
    List<String> uses = Stream.of(boot.kernel(), boot.ramdisk(), boot.disk()).flatMap(Optional::stream)
        .filter(ref -> ref.startsWith(BootSource.STORE_PREFIX))
        .map(ref -> ref.substring(BootSource.STORE_PREFIX.length())).toList();
    Files.write(dir.resolve(USES), uses);
    Optional<Path> kernel = hostFile(boot.kernel());
    Optional<Path> ramdisk = hostFile(boot.ramdisk());
    Optional<Path> base = hostFile(boot.disk());
    String diskFormat = boot.diskFormat().orElse("qcow2");
    if (real) {
      for (Optional<Path> file : List.of(kernel, ramdisk, base)) {
        if (file.isPresent() && !Files.isReadable(file.get())) {
          throw new IllegalStateException("Image file " + file.get() + " is not on host " + settings.name());
        }
      }
    }
    if (base.isPresent() && !BOOTABLE_DISK_FORMATS.contains(diskFormat)) {
      throw new IllegalStateException("Disk format " + diskFormat + " is not bootable here; convert the image to qcow2 or raw");
    }
    // the bytes are a tenant's: looked at again here, before QEMU or qemu-img opens them (also
    // under the test driver, where qemu-img still builds and copies the disk)
    inspect(kernel, "aki");
    inspect(ramdisk, "ari");
    inspect(base, diskFormat);
    Optional<Path> disk = Optional.empty();
    if (base.isPresent()) {
      Path overlay = dir.resolve("disk");
      // the root disk is a qcow2 overlay over the (shared, read-only) image file
      if (!Files.exists(overlay) && Files.exists(base.get())) {
        List<String> create = new java.util.ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F",
            diskFormat, "-b", base.get().toString(), overlay.toString()));
        if (c.resources().diskGb() > 0) create.add(c.resources().diskGb() + "G");
        processes.run(create, Duration.ofSeconds(60));
      }
      disk = Optional.of(overlay);
    }
    // the image's os_command_line replaces the default, as in Nova's libvirt driver
    String cmdline = boot.commandLine().orElse("console=ttyS0" + (disk.isPresent() ? " root=/dev/vda" : ""));
    Optional<Path> drive = Optional.empty();
    if (c.instance().configDrive()) {
      drive = Optional.of(dir.resolve(ConfigDriveImage.FILE_NAME));
      configDrive.write(MetadataDocuments.of(c.instance(), guestNics), drive.get());
    }
    return new DomainSpec(domainName(c.serverId()), c.serverId(), settings.domainType(),
        c.resources().vcpus(), c.resources().ramMb(), kernel, ramdisk, cmdline, disk,
        dir.resolve("console.log"), nics(c, tenantNics), drive, withCephSecrets(volumes(c)));
  }

  private List<DomainSpec.Volume> withCephSecrets(List<DomainSpec.Volume> volumes) {
    volumes.stream().map(DomainSpec.Volume::path).filter(nimbus.storage.RbdSource::isRbd)
        .map(p -> nimbus.storage.RbdSource.parse(p).user()).distinct().forEach(this::defineCephSecret);
    return volumes;
  }

  /** For a volume in Ceph, its user's key defined as the libvirt secret its disk names. */
  private void cephSecret(String exported) {
    if (nimbus.storage.RbdSource.isRbd(exported)) defineCephSecret(nimbus.storage.RbdSource.parse(exported).user());
  }

  /** {@code user}'s key from this host's own keyring (never from an answer, which names only the user). */
  private void defineCephSecret(String user) {
    Path keyring = cephKeyring.orElseThrow(() -> new IllegalStateException(
        "this host has no Ceph keyring (nimbus.host.ceph.keyring) to open RBD volumes with"));
    byte[] key;
    try {
      key = nimbus.node.storage.CephKeyring.key(Files.readString(keyring), user);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the Ceph keyring " + keyring + ": " + e.getMessage(), e);
    }
    hypervisor.defineCephSecret(DomainXml.cephSecretUuid(user), user, key);
  }

  /** The server's volumes as its storage host exported them (one attached before paths were kept is left out). */
  private static List<DomainSpec.Volume> volumes(SpawnServer c) {
    return c.volumes().stream().filter(v -> v.path().isPresent())
        .map(v -> new DomainSpec.Volume(v.path().get(), v.device(), v.volumeId())).toList();
  }

  /** A NIC per port; with none, one on the host-local network if the server asked for it, else none. */
  private List<DomainSpec.Nic> nics(SpawnServer c, List<DomainSpec.Nic> tenantNics) {
    if (!c.ports().isEmpty()) {
      if (tenantNics.size() != c.ports().size()) {
        throw new IllegalStateException("server " + c.serverId() + " has " + c.ports().size()
            + " ports but " + tenantNics.size() + " are plugged on host " + settings.name());
      }
      return tenantNics;
    }
    if (!c.hostLocal()) return List.of();
    return dataplane.plug(c.serverId()).map(l -> DomainSpec.Nic.local(l.bridge(), l.mac())).stream().toList();
  }

  private static void inspect(Optional<Path> file, String declaredFormat) throws IOException {
    if (file.isEmpty() || !Files.exists(file.get())) return; // the test driver boots without files
    try {
      ImageInspector.check(file.get(), declaredFormat);
    } catch (ImageInspector.Refused e) {
      throw new IllegalStateException("Image refused on this host: " + e.getMessage(), e);
    }
  }

  /** A boot file on this host: a path as given, or a store file fetched into the cache. */
  private Optional<Path> hostFile(Optional<String> ref) throws IOException {
    if (ref.isEmpty()) return Optional.empty();
    if (ref.get().startsWith(BootSource.STORE_PREFIX)) {
      return Optional.of(images.file(ref.get().substring(BootSource.STORE_PREFIX.length())));
    }
    return Optional.of(Path.of(ref.get()));
  }

  public PowerState stop(String serverId) {
    hypervisor.stop(domainName(serverId), settings.gracefulShutdownTimeout());
    return hypervisor.state(domainName(serverId)).orElse(PowerState.NOSTATE);
  }

  public PowerState start(String serverId) {
    hypervisor.start(domainName(serverId));
    return hypervisor.state(domainName(serverId)).orElse(PowerState.NOSTATE);
  }

  /** Soft: the guest is asked to power off first (Nova's clean reboot); hard: forced at once. */
  public PowerState reboot(String serverId, boolean hard) {
    String name = domainName(serverId);
    hypervisor.stop(name, hard ? Duration.ZERO : settings.gracefulShutdownTimeout());
    hypervisor.start(name);
    return hypervisor.state(name).orElse(PowerState.NOSTATE);
  }

  public PowerState pause(String serverId) {
    hypervisor.pause(domainName(serverId));
    return hypervisor.state(domainName(serverId)).orElse(PowerState.NOSTATE);
  }

  public PowerState unpause(String serverId) {
    hypervisor.unpause(domainName(serverId));
    return hypervisor.state(domainName(serverId)).orElse(PowerState.NOSTATE);
  }

  /** Suspended: memory saved to disk, domain stopped (resume restores it). */
  public PowerState suspend(String serverId) {
    hypervisor.save(domainName(serverId));
    return PowerState.SUSPENDED;
  }

  public PowerState resume(String serverId) {
    return start(serverId);
  }

  public void destroy(String serverId) throws IOException {
    hypervisor.remove(domainName(serverId));
    dataplane.unplug(serverId);
    Path dir = instanceDir(serverId);
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  /** The power state of every server domain on this host, by server id. */
  public Map<String, PowerState> servers() {
    Map<String, PowerState> out = new HashMap<>();
    hypervisor.domains(DOMAIN_PREFIX).forEach((name, power) ->
        serverIdOf(name).ifPresent(id -> out.put(id, power)));
    return out;
  }

  /** The servers that hold a DHCP lease on this host. */
  public Set<String> leasedServers() {
    return dataplane.leasedServers();
  }

  /** Lets a server's lease go (it has no domain here any more). */
  public void release(String serverId) {
    dataplane.unplug(serverId);
  }

  public Optional<PowerState> state(String serverId) {
    return hypervisor.state(domainName(serverId));
  }

  /** The end of the serial console log: the last {@code lines} lines, or the last MiB. */
  public String console(String serverId, Optional<Integer> lines) throws IOException {
    Path log = instanceDir(serverId).resolve("console.log");
    if (!Files.exists(log)) return "";
    String text;
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, file.length() - CONSOLE_TAIL_BYTES);
      byte[] bytes = new byte[(int) (file.length() - start)];
      file.seek(start);
      file.readFully(bytes);
      text = new String(bytes, StandardCharsets.UTF_8);
    }
    if (lines.isEmpty()) return text;
    String[] all = text.split("\n", -1);
    int keep = Math.min(lines.get(), all.length);
    return String.join("\n", java.util.Arrays.copyOfRange(all, all.length - keep, all.length));
  }
}
