package nimbus.node.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nimbus.node.agent.CommandRunner;
import nimbus.storage.RbdSource;
import nimbus.storage.ImageInspector;
import org.libvirt.Connect;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;

/**
 * Volumes as raw files in a libvirt storage pool, through libvirt's storage API. With a directory,
 * the pool is a transient {@code dir} pool there, started on first use if libvirt lacks it and
 * stopped on {@link #close} (the files stay; nothing is left in libvirt's configuration); without,
 * the pool must exist (as {@code test:///default}'s {@code default-pool} does). Its files are
 * named {@link #PREFIX} and the volume id, so it knows its own from anything else in the pool.
 *
 * <p>A volume's bytes are its guest's, so they may look like a qcow2 whose backing file names a
 * host file: libvirt probes a {@code dir} pool's files for their format, and its copy and resize
 * of a file it takes for qcow2 would follow that reference. Once a file exists, only
 * {@code qemu-img} with {@code -f raw} (never probing) or plain file calls touch it here.
 */
public final class LibvirtPoolBackend implements StorageBackend {
  public static final String PREFIX = "nimbus-volume-";
  /** Snapshots' files: not volumes, so the reconciliation of volumes leaves them alone. */
  public static final String SNAPSHOT_PREFIX = "nimbus-snapshot-";
  /** A volume or snapshot being written (converted or copied), named by its id: never listed as one. */
  public static final String PARTIAL_PREFIX = "nimbus-partial-";
  /** A volume's bytes being converted for an upload into the image service: never listed as a volume. */
  public static final String UPLOAD_PREFIX = "nimbus-upload-";
  /** The formats a volume is uploaded as (Cinder's generic driver's). */
  static final java.util.Set<String> UPLOAD_FORMATS = java.util.Set.of("raw", "qcow2");
  private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(30);
  private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\"\\s*:\\s*(\\d+)");
  /** qemu-img's driver for each image disk format it converts (kernels, ramdisks and ISOs are raw bytes). */
  private static final Map<String, String> QEMU_FORMATS = Map.of("raw", "raw", "qcow2", "qcow2", "vmdk", "vmdk",
      "vhd", "vpc", "vhdx", "vhdx", "vdi", "vdi", "iso", "raw", "aki", "raw", "ari", "raw", "ami", "raw");
  // held for the life of the process: libvirt calls it from native code
  private static final org.libvirt.ErrorCallback SILENT_ERRORS = new org.libvirt.ErrorCallback();

  private final Connect connect;
  private final String poolName;
  private final Optional<Path> dir;
  private final CommandRunner commands;
  private final Optional<RbdCommands> ceph;
  /** Whether this backend started the pool (and so stops it on close). */
  private volatile boolean started;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /** A backend that runs qemu-img as processes. */
  public LibvirtPoolBackend(String uri, String poolName, Optional<Path> dir) {
    this(uri, poolName, dir, new nimbus.node.agent.ProcessRunner());
  }

  public LibvirtPoolBackend(String uri, String poolName, Optional<Path> dir, CommandRunner commands) {
    this(uri, poolName, dir, commands, Optional.empty());
  }

  /**
   * {@code ceph}: this host's own Ceph client (its keyring; the pool is the one each copy names),
   * with which it moves its volumes' bytes to and from RBD backends (a volume's retype).
   */
  public LibvirtPoolBackend(String uri, String poolName, Optional<Path> dir, CommandRunner commands,
      Optional<RbdCommands> ceph) {
    this.ceph = ceph;
    this.poolName = poolName;
    this.commands = commands;
    this.dir = dir;
    try {
      // errors reach us as exceptions; libvirt's default handler would also print them to stderr
      Connect.setErrorCallback(SILENT_ERRORS);
      this.connect = new Connect(uri, false);
    } catch (LibvirtException e) {
      throw new StorageException("cannot connect to " + uri + ": " + e.getMessage(), e);
    }
  }

  /** A pool name of its own for each directory, so nodes on one libvirtd never share a pool. */
  public static String poolNameFor(Path dir) {
    return "nimbus-volumes-" + Integer.toHexString(dir.toAbsolutePath().normalize().toString().hashCode());
  }

  /** The {@code dir} pool's libvirt definition. */
  static String poolXml(String name, Path dir) {
    return "<pool type='dir'><name>" + name + "</name><target><path>" + dir.toAbsolutePath() + "</path></target></pool>";
  }

  /** The raw volume's libvirt definition. */
  static String volumeXml(String volumeId, long bytes) {
    return rawXml(PREFIX + volumeId, bytes);
  }

  /** A raw file's libvirt definition. */
  static String rawXml(String name, long bytes) {
    return "<volume><name>" + name + "</name><capacity unit='bytes'>" + bytes
        + "</capacity><allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>";
  }

  /** The pool, started here in its directory if libvirt lacks it and this backend has one. */
  private synchronized StoragePool pool() throws LibvirtException {
    Optional<StoragePool> found = lookupPool();
    if (found.isPresent() || dir.isEmpty()) {
      return found.orElseThrow(() -> new StorageException("no storage pool " + poolName, null));
    }
    try {
      java.nio.file.Files.createDirectories(dir.get());
    } catch (java.io.IOException e) {
      throw new StorageException("cannot make " + dir.get() + ": " + e.getMessage(), e);
    }
    StoragePool pool = connect.storagePoolCreateXML(poolXml(poolName, dir.get()), 0);
    started = true;
    return pool;
  }

  @Override
  public Map<String, Long> volumes() {
    // no directory yet: no volume was ever made here, and listing starts no pool
    if (dir.isPresent() && !java.nio.file.Files.isDirectory(dir.get()) && !poolExists()) return Map.of();
    if (dir.isPresent()) return files(PREFIX);
    return withPool(pool -> {
      pool.refresh(0);
      Map<String, Long> out = new HashMap<>();
      for (String name : pool.listVolumes()) {
        if (!name.startsWith(PREFIX)) continue;
        Optional<StorageVol> v = lookup(pool, name);
        if (v.isEmpty()) continue; // removed between the listing and this look
        try {
          out.put(name.substring(PREFIX.length()), v.get().getInfo().capacity);
        } finally {
          v.get().free();
        }
      }
      return out;
    });
  }

  @Override
  public java.util.Set<String> snapshots() {
    if (dir.isPresent()) return Files.isDirectory(dir.get()) ? files(SNAPSHOT_PREFIX).keySet() : java.util.Set.of();
    return withPool(pool -> {
      pool.refresh(0);
      java.util.Set<String> out = new java.util.HashSet<>();
      for (String name : pool.listVolumes()) {
        if (name.startsWith(SNAPSHOT_PREFIX)) out.add(name.substring(SNAPSHOT_PREFIX.length()));
      }
      return out;
    });
  }

  @Override
  public Map<String, String> leftovers() {
    // a pool without files holds no half-made ones: its copies are libvirt's, whole or none
    if (dir.isEmpty() || !Files.isDirectory(dir.get())) return Map.of();
    Map<String, String> out = new HashMap<>();
    files(PARTIAL_PREFIX).keySet().forEach(id -> out.put(PARTIAL_PREFIX + id, id));
    files(UPLOAD_PREFIX).keySet().forEach(id -> out.put(UPLOAD_PREFIX + id, id));
    return out;
  }

  @Override
  public void removeLeftover(String name) {
    if (!name.startsWith(PARTIAL_PREFIX) && !name.startsWith(UPLOAD_PREFIX) || name.contains("/") || dir.isEmpty()) {
      throw new StorageException("not a leftover of this pool: " + name, null);
    }
    try {
      Files.deleteIfExists(dir.get().resolve(name));
    } catch (IOException e) {
      throw new StorageException("cannot remove " + name + ": " + e.getMessage(), e);
    }
  }

  /** The regular files of the pool's directory named {@code prefix} and an id, by id, with their sizes (never probed). */
  private Map<String, Long> files(String prefix) {
    Map<String, Long> out = new HashMap<>();
    try (var list = Files.newDirectoryStream(dir.get(), prefix + "*")) {
      for (Path f : list) {
        if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
        try {
          out.put(f.getFileName().toString().substring(prefix.length()), Files.size(f));
        } catch (java.nio.file.NoSuchFileException gone) {
          // removed between the listing and this look
        }
      }
    } catch (IOException e) {
      throw new StorageException("cannot list " + dir.get() + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public void create(String volumeId, long bytes) {
    withPool(pool -> {
      Optional<StorageVol> existing = lookup(pool, PREFIX + volumeId);
      if (existing.isPresent()) {
        existing.get().free();
        return null;
      }
      try {
        pool.storageVolCreateXML(volumeXml(volumeId, bytes), 0).free();
      } catch (LibvirtException e) {
        // a file half made (the pool filled up) must not stay as if it were the volume
        lookup(pool, PREFIX + volumeId).ifPresent(this::deleteQuietly);
        throw e;
      }
      return null;
    });
  }

  @Override
  public void resize(String volumeId, long bytes) {
    if (dir.isPresent()) {
      Path file = Path.of(path(volumeId));
      try {
        // a file in use by a running guest's QEMU is locked against qemu-img ("Failed to get write lock"):
        // raw bytes grow by their length alone, never read
        if (Files.size(file) < bytes) {
          try (var raw = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raw.setLength(bytes);
          }
        }
      } catch (IOException e) {
        throw new StorageException("cannot grow volume " + volumeId + ": " + e.getMessage(), e);
      }
      refresh();
      return;
    }
    withPool(pool -> {
      StorageVol v = lookup(pool, PREFIX + volumeId)
          .orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
      try {
        if (v.getInfo().capacity < bytes) v.resize(bytes, 0);
      } finally {
        v.free();
      }
      return null;
    });
  }

  @Override
  public String path(String volumeId) {
    return pathOf(PREFIX + volumeId, "volume " + volumeId);
  }

  @Override
  public String snapshotPath(String snapshotId) {
    return pathOf(SNAPSHOT_PREFIX + snapshotId, "snapshot " + snapshotId);
  }

  /** The file of the pool's volume {@code name}, which holds {@code what}. */
  private String pathOf(String name, String what) {
    return withPool(pool -> {
      StorageVol v = lookup(pool, name).orElseThrow(() -> new StorageException("no storage for " + what, null));
      try {
        return v.getPath();
      } finally {
        v.free();
      }
    });
  }

  @Override
  public void remove(String volumeId) {
    withPool(pool -> {
      Optional<StorageVol> v = lookup(pool, PREFIX + volumeId);
      if (v.isPresent()) {
        try {
          v.get().delete(0);
        } finally {
          v.get().free();
        }
      }
      return null;
    });
  }

  @Override
  public void snapshot(String volumeId, String snapshotId) {
    copy(PREFIX + volumeId, SNAPSHOT_PREFIX + snapshotId, 0);
  }

  @Override
  public void removeSnapshot(String snapshotId) {
    withPool(pool -> {
      Optional<StorageVol> v = lookup(pool, SNAPSHOT_PREFIX + snapshotId);
      if (v.isPresent()) {
        try {
          v.get().delete(0);
        } finally {
          v.get().free();
        }
      }
      return null;
    });
  }

  @Override
  public void createFrom(String volumeId, String snapshotId, long bytes) {
    copy(SNAPSHOT_PREFIX + snapshotId, PREFIX + volumeId, bytes);
  }

  @Override
  public void cloneVolume(String volumeId, String sourceId, long bytes) {
    copy(PREFIX + sourceId, PREFIX + volumeId, bytes);
  }

  @Override
  public void createFromImage(String volumeId, Path image, String diskFormat, long bytes) {
    if (exists(PREFIX + volumeId)) return;
    String format = qemuFormat(diskFormat);
    try {
      // the bytes are a tenant's: looked at again here, before qemu-img opens them
      ImageInspector.check(image, diskFormat);
    } catch (ImageInspector.Refused e) {
      throw new StorageException("Image refused: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new StorageException("cannot read the image: " + e.getMessage(), e);
    }
    long virtual = virtualSize(commands.run(infoCommand(format, image), Duration.ofMinutes(1)));
    if (virtual > bytes) {
      throw new StorageException("Image virtual size is " + gigabytes(virtual) + "GB and doesn't fit in a volume of size "
          + gigabytes(bytes) + "GB.", null);
    }
    if (dir.isEmpty()) {
      // a pool without files (libvirt's test driver, whose guests boot without files): no bytes to write
      create(volumeId, bytes);
      return;
    }
    withPool(pool -> null); // started, so its directory is there
    Path partial = dir.get().resolve(PARTIAL_PREFIX + volumeId);
    try {
      // a conversion cut short by a crash is made again from the start: only a whole one becomes the volume
      commands.run(convertCommand(format, image, partial), CONVERT_TIMEOUT);
      commands.run(resizeCommand(partial, bytes), Duration.ofMinutes(1));
      Files.move(partial, dir.get().resolve(PREFIX + volumeId), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // the step's retry converts it again over it
      }
      throw e instanceof StorageException s ? s : new StorageException("cannot convert the image: " + e.getMessage(), e);
    }
    refresh();
  }

  @Override
  public Path exportImage(String volumeId, String diskFormat) {
    if (!UPLOAD_FORMATS.contains(diskFormat)) {
      throw new StorageException("A volume is uploaded as raw or qcow2, not " + diskFormat, null);
    }
    if (dir.isEmpty()) return zeros(volumeId, diskFormat);
    Path source = Path.of(path(volumeId));
    // one name per volume: a copy cut short by a crash is overwritten by the next
    Path target = dir.get().resolve(UPLOAD_PREFIX + volumeId);
    try {
      commands.run(exportCommand(source, diskFormat, target), CONVERT_TIMEOUT);
    } catch (RuntimeException e) {
      try {
        Files.deleteIfExists(target);
      } catch (IOException ignored) {
        // overwritten by the step's retry
      }
      throw e instanceof StorageException s ? s : new StorageException("cannot convert the volume: " + e.getMessage(), e);
    }
    return target;
  }

  /** A pool without files (libvirt's test driver) holds no bytes: its volume uploads as zeros of its size. */
  private Path zeros(String volumeId, String diskFormat) {
    Long bytes = volumes().get(volumeId);
    if (bytes == null) throw new StorageException("no storage for volume " + volumeId, null);
    try {
      Path target = Files.createTempFile(UPLOAD_PREFIX + volumeId, "." + diskFormat);
      commands.run(List.of("qemu-img", "create", "-q", "-f", diskFormat, target.toString(), String.valueOf(bytes)),
          Duration.ofMinutes(1));
      return target;
    } catch (IOException e) {
      throw new StorageException("cannot write the volume's image: " + e.getMessage(), e);
    }
  }

  /** Converts a volume's raw file to {@code diskFormat} in a new file. */
  static List<String> exportCommand(Path raw, String diskFormat, Path target) {
    return List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", diskFormat, raw.toString(), target.toString());
  }

  /** qemu-img's name of a disk format; a format it is not given explicitly is never converted. */
  static String qemuFormat(String diskFormat) {
    String format = QEMU_FORMATS.get(diskFormat);
    if (format == null) throw new StorageException("Disk format " + diskFormat + " cannot be made into a volume", null);
    return format;
  }

  /** Reads the image's virtual size, its format given (never probed). */
  static List<String> infoCommand(String format, Path image) {
    return List.of("qemu-img", "info", "-f", format, "--output=json", image.toString());
  }

  /** Converts the image, its format given, to a new raw file. */
  static List<String> convertCommand(String format, Path image, Path target) {
    return List.of("qemu-img", "convert", "-q", "-f", format, "-O", "raw", image.toString(), target.toString());
  }

  /** Grows the raw file to the volume's size. */
  static List<String> resizeCommand(Path raw, long bytes) {
    return List.of("qemu-img", "resize", "-q", "-f", "raw", raw.toString(), String.valueOf(bytes));
  }

  /** The virtual size in {@code qemu-img info --output=json}'s answer. */
  static long virtualSize(String infoJson) {
    Matcher m = VIRTUAL_SIZE.matcher(infoJson);
    if (!m.find()) throw new StorageException("qemu-img reported no virtual size", null);
    return Long.parseLong(m.group(1));
  }

  private static long gigabytes(long bytes) {
    long gib = 1024L * 1024 * 1024;
    return (bytes + gib - 1) / gib;
  }

  private boolean exists(String name) {
    return withPool(pool -> {
      Optional<StorageVol> v = lookup(pool, name);
      v.ifPresent(this::freeQuietly);
      return v.isPresent();
    });
  }

  private void freeQuietly(StorageVol v) {
    try {
      v.free();
    } catch (LibvirtException e) {
      // nothing more to free
    }
  }

  /**
   * Makes {@code target} a full copy of {@code source} inside the pool (libvirt copies the data),
   * of {@code bytes} if that is larger than the source; nothing if {@code target} exists.
   */
  private void copy(String source, String target, long bytes) {
    if (dir.isPresent()) {
      copyFile(source, target, bytes);
      return;
    }
    withPool(pool -> {
      Optional<StorageVol> existing = lookup(pool, target);
      if (existing.isPresent()) {
        existing.get().free();
        return null;
      }
      StorageVol from = lookup(pool, source).orElseThrow(() -> new StorageException("no storage " + source, null));
      try {
        // libvirt sizes the new file as its definition says, then copies the source's bytes into it
        long capacity = Math.max(bytes, from.getInfo().capacity);
        pool.storageVolCreateXMLFrom(rawXml(target, capacity), from, 0).free();
      } catch (LibvirtException e) {
        // a copy half made must not stay as if it were whole
        lookup(pool, target).ifPresent(this::deleteQuietly);
        throw e;
      } finally {
        from.free();
      }
      return null;
    });
  }

  /**
   * {@link #copy} in the pool's directory: the bytes copied as raw (never as what they look like)
   * into a partial file, grown, then renamed, so only a whole copy ever bears the target's name.
   */
  private void copyFile(String source, String target, long bytes) {
    withPool(pool -> null); // started, so its directory is there
    Path to = dir.get().resolve(target);
    if (Files.exists(to)) return;
    Path from = dir.get().resolve(source);
    if (!Files.isRegularFile(from)) throw new StorageException("no storage " + source, null);
    String id = target.startsWith(PREFIX) ? target.substring(PREFIX.length()) : target.substring(SNAPSHOT_PREFIX.length());
    Path partial = dir.get().resolve(PARTIAL_PREFIX + id);
    try {
      commands.run(copyCommand(from, partial), CONVERT_TIMEOUT);
      if (Files.size(partial) < bytes) commands.run(resizeCommand(partial, bytes), Duration.ofMinutes(1));
      Files.move(partial, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // the step's retry copies it again over it; the reconciliation removes it otherwise
      }
      throw e instanceof StorageException s ? s : new StorageException("cannot copy " + source + ": " + e.getMessage(), e);
    }
    refresh();
  }

  @Override
  public void receive(String volumeId, String rbdSource, long bytes) {
    RbdCommands client = ceph.orElseThrow(() -> new StorageException("This storage host has no Ceph client (ceph.conf"
        + " and keyring) to read volume " + volumeId + " from its RBD backend.", null));
    String source = RbdBackend.qemuSource(client, volumeId, rbdSource);
    if (exists(PREFIX + volumeId)) return;
    if (dir.isEmpty()) {
      // a pool without files (libvirt's test driver): no bytes to write
      create(volumeId, bytes);
      return;
    }
    withPool(pool -> null); // started, so its directory is there
    Path partial = dir.get().resolve(PARTIAL_PREFIX + volumeId);
    try {
      // raw in, raw out: a volume's bytes are its tenant's, never probed for a format
      commands.run(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "raw", source, partial.toString()),
          CONVERT_TIMEOUT);
      if (Files.size(partial) < bytes) commands.run(resizeCommand(partial, bytes), Duration.ofMinutes(1));
      Files.move(partial, dir.get().resolve(PREFIX + volumeId), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // the step's retry copies it again over it; the reconciliation removes it otherwise
      }
      throw e instanceof StorageException s ? s : new StorageException("cannot copy volume " + volumeId + ": "
          + e.getMessage(), e);
    }
    refresh();
  }

  @Override
  public void send(String volumeId, String rbdTarget, long bytes) {
    RbdCommands client = ceph.orElseThrow(() -> new StorageException("This storage host has no Ceph client (ceph.conf"
        + " and keyring) to write volume " + volumeId + " into an RBD backend.", null));
    if (dir.isEmpty()) throw new StorageException("This storage host keeps no files to send.", null);
    if (!RbdSource.parse(rbdTarget).image().equals(PREFIX + volumeId)) {
      throw new StorageException("not volume " + volumeId + "'s image", null);
    }
    RbdBackend.of(client, rbdTarget, commands).receiveRaw(volumeId, path(volumeId), bytes);
  }

  @Override
  public RawWriter rawWriterOf(String volumeId, String rbdImage) throws IOException {
    RbdCommands client = ceph.orElseThrow(() -> new StorageException("This storage host has no Ceph client (ceph.conf"
        + " and keyring) to write volume " + volumeId + " into an RBD backend.", null));
    return RbdBackend.writerOf(client, volumeId, rbdImage, commands);
  }

  /** Copies a raw file's bytes, sparse, as raw: qemu-img never looks at what they hold. */
  static List<String> copyCommand(Path raw, Path target) {
    return List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "raw", raw.toString(), target.toString());
  }

  /** libvirt learns of files written beside it. */
  private void refresh() {
    withPool(pool -> {
      pool.refresh(0);
      return null;
    });
  }

  private void deleteQuietly(StorageVol v) {
    try {
      v.delete(0);
    } catch (LibvirtException e) {
      // the reconciliation removes it later: it is named as ours
    } finally {
      try {
        v.free();
      } catch (LibvirtException e) {
        // nothing more to free
      }
    }
  }

  private boolean poolExists() {
    return call(() -> {
      Optional<StoragePool> pool = lookupPool();
      if (pool.isPresent()) pool.get().free();
      return pool.isPresent();
    });
  }

  private Optional<StoragePool> lookupPool() throws LibvirtException {
    try {
      return Optional.of(connect.storagePoolLookupByName(poolName));
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_POOL) return Optional.empty();
      throw e;
    }
  }

  private static Optional<StorageVol> lookup(StoragePool pool, String name) throws LibvirtException {
    try {
      return Optional.of(pool.storageVolLookupByName(name));
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_VOL) return Optional.empty();
      throw e;
    }
  }

  private interface PoolCall<T> {
    T apply(StoragePool pool) throws LibvirtException;
  }

  private interface Call<T> {
    T get() throws LibvirtException;
  }

  private <T> T withPool(PoolCall<T> body) {
    return call(() -> {
      StoragePool pool = pool();
      try {
        return body.apply(pool);
      } finally {
        pool.free();
      }
    });
  }

  private static <T> T call(Call<T> body) {
    try {
      return body.get();
    } catch (LibvirtException e) {
      throw new StorageException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return; // libvirt's connection must be closed once only
    try {
      if (started) {
        StoragePool pool = connect.storagePoolLookupByName(poolName);
        try {
          pool.destroy();
        } finally {
          pool.free();
        }
      }
    } catch (LibvirtException e) {
      // libvirtd forgets a transient pool when it restarts anyway
    }
    try {
      connect.close();
    } catch (LibvirtException e) {
      // closing regardless
    }
  }
}
