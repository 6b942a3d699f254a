package nimbus.node.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.node.agent.CommandRunner;
import nimbus.storage.ImageInspector;
import nimbus.storage.RbdSource;

/**
 * Volumes as images in a Ceph RBD pool, through the {@code rbd} CLI and {@code qemu-img} (their
 * commands from {@link RbdCommands}). Images are named as {@link LibvirtPoolBackend}'s files (its
 * prefixes and the entity's id), so it knows its own from anything else in the pool; a snapshot
 * is an RBD snapshot of its volume's image, and a volume made from a snapshot or another volume is
 * a full copy ({@code rbd cp}), so no image ever depends on another. Copies and conversions are
 * written to a partial image first and renamed once whole. Any host opens a volume directly
 * ({@link #direct}): {@link #path} answers its {@link RbdSource}.
 */
public final class RbdBackend implements StorageBackend {
  private static final Duration QUICK = Duration.ofMinutes(1);
  private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A monitor's address in {@code mon host}: its protocol, IP address and port (each but the address optional). */
  private static final java.util.regex.Pattern MON_ADDRESS =
      java.util.regex.Pattern.compile("(v[12]:)?(\\[[0-9a-fA-F:.]+\\]|\\d{1,3}(?:\\.\\d{1,3}){3})(?::(\\d{1,5}))?");

  private final RbdCommands rbd;
  private final List<RbdSource.Monitor> monitors;
  private final CommandRunner commands;

  /** A backend on the pool {@code rbd} names, whose cluster's monitors are {@code monitors}. */
  public RbdBackend(RbdCommands rbd, List<RbdSource.Monitor> monitors, CommandRunner commands) {
    this.rbd = rbd;
    this.monitors = List.copyOf(monitors);
    this.commands = commands;
  }

  /** One image or snapshot of the pool, as {@code rbd ls -l} lists it. */
  record Entry(String image, Optional<String> snapshot, long size) {}

  /** The entries of {@code rbd ls -l --format json}'s answer. */
  static List<Entry> entries(String json) {
    try {
      // librados may warn on the same stream before the listing
      int start = json.indexOf('[');
      if (start < 0) throw new StorageException("rbd listed no images: " + json, null);
      List<Entry> out = new ArrayList<>();
      for (JsonNode e : JSON.readTree(json.substring(start))) {
        out.add(new Entry(e.path("image").asText(),
            e.has("snapshot") ? Optional.of(e.get("snapshot").asText()) : Optional.empty(), e.path("size").asLong()));
      }
      return out;
    } catch (IOException e) {
      throw new StorageException("cannot read rbd's listing: " + e.getMessage(), e);
    }
  }

  /**
   * The monitors of a {@code ceph.conf}'s {@code mon host} (its v1 addresses where it names both,
   * as librbd's plain {@code host:port} means v1; 6789 where it gives no port).
   */
  public static List<RbdSource.Monitor> monitors(String conf) {
    java.util.regex.Matcher line = java.util.regex.Pattern.compile("(?m)^\\s*mon[ _]host\\s*=\\s*(.+)$").matcher(conf);
    if (!line.find()) throw new StorageException("the Ceph configuration names no monitor (mon host)", null);
    java.util.regex.Matcher addr = MON_ADDRESS.matcher(line.group(1));
    List<RbdSource.Monitor> out = new ArrayList<>();
    while (addr.find()) {
      if ("v2:".equals(addr.group(1))) continue;
      String host = addr.group(2).startsWith("[") ? addr.group(2).substring(1, addr.group(2).length() - 1) : addr.group(2);
      out.add(new RbdSource.Monitor(host, addr.group(3) == null ? 6789 : Integer.parseInt(addr.group(3))));
    }
    if (out.isEmpty()) throw new StorageException("the Ceph configuration names no v1 monitor address", null);
    return out;
  }

  private List<Entry> list() {
    return entries(commands.run(rbd.list(), QUICK));
  }

  private static String volumeImage(String volumeId) {
    return LibvirtPoolBackend.PREFIX + RbdCommands.id(volumeId);
  }

  private static String snapshotName(String snapshotId) {
    return LibvirtPoolBackend.SNAPSHOT_PREFIX + RbdCommands.id(snapshotId);
  }

  private static String partialImage(String id) {
    return LibvirtPoolBackend.PARTIAL_PREFIX + RbdCommands.id(id);
  }

  private Optional<Entry> image(String name) {
    return list().stream().filter(e -> e.snapshot().isEmpty() && e.image().equals(name)).findFirst();
  }

  /** The image that holds the snapshot, if any does. */
  private Optional<String> imageOfSnapshot(String snapshotId) {
    String name = snapshotName(snapshotId);
    return list().stream().filter(e -> e.snapshot().equals(Optional.of(name))).map(Entry::image).findFirst();
  }

  @Override
  public boolean direct() {
    return true;
  }

  @Override
  public Map<String, Long> volumes() {
    Map<String, Long> out = new HashMap<>();
    for (Entry e : list()) {
      if (e.snapshot().isEmpty() && e.image().startsWith(LibvirtPoolBackend.PREFIX)) {
        out.put(e.image().substring(LibvirtPoolBackend.PREFIX.length()), e.size());
      }
    }
    return out;
  }

  @Override
  public Set<String> snapshots() {
    Set<String> out = new HashSet<>();
    for (Entry e : list()) {
      e.snapshot().filter(s -> s.startsWith(LibvirtPoolBackend.SNAPSHOT_PREFIX) && e.image().startsWith(LibvirtPoolBackend.PREFIX))
          .ifPresent(s -> out.add(s.substring(LibvirtPoolBackend.SNAPSHOT_PREFIX.length())));
    }
    return out;
  }

  @Override
  public Map<String, String> leftovers() {
    Map<String, String> out = new HashMap<>();
    for (Entry e : list()) {
      if (e.snapshot().isEmpty() && e.image().startsWith(LibvirtPoolBackend.PARTIAL_PREFIX)) {
        out.put(e.image(), e.image().substring(LibvirtPoolBackend.PARTIAL_PREFIX.length()));
      }
    }
    return out;
  }

  @Override
  public void removeLeftover(String name) {
    if (!name.startsWith(LibvirtPoolBackend.PARTIAL_PREFIX)) throw new StorageException("not a leftover of this pool: " + name, null);
    String image = partialImage(name.substring(LibvirtPoolBackend.PARTIAL_PREFIX.length()));
    if (image(image).isPresent()) run(rbd.remove(image), QUICK);
  }

  @Override
  public void create(String volumeId, long bytes) {
    String image = volumeImage(volumeId);
    if (image(image).isPresent()) return;
    run(rbd.create(image, bytes), QUICK);
  }

  @Override
  public void resize(String volumeId, long bytes) {
    Entry e = image(volumeImage(volumeId)).orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
    if (e.size() < bytes) run(rbd.resize(e.image(), bytes), QUICK);
  }

  @Override
  public String path(String volumeId) {
    String image = volumeImage(volumeId);
    if (image(image).isEmpty()) throw new StorageException("no storage for volume " + volumeId, null);
    return new RbdSource(rbd.user(), monitors, rbd.pool(), image).uri();
  }

  @Override
  public Optional<String> rbdTarget(String volumeId) {
    return Optional.of(new RbdSource(rbd.user(), monitors, rbd.pool(), volumeImage(volumeId)).uri());
  }

  @Override
  public void receive(String volumeId, String rbdSource, long bytes) {
    receiveRaw(volumeId, qemuSource(rbd, volumeId, rbdSource), bytes);
  }

  @Override
  public void send(String volumeId, String rbdTarget, long bytes) {
    if (!RbdSource.parse(rbdTarget).image().equals(volumeImage(volumeId))) {
      throw new StorageException("not volume " + volumeId + "'s image", null);
    }
    of(rbd, rbdTarget, commands).receiveRaw(volumeId, rbd.qemu(volumeImage(volumeId)), bytes);
  }

  /**
   * Writes the volume's image as a raw copy of {@code qemuSource} (a file of another backend on this
   * host, or an image as QEMU names it), unless it has it: the bytes are never probed for a format.
   */
  void receiveRaw(String volumeId, String qemuSource, long bytes) {
    if (image(volumeImage(volumeId)).isPresent()) return;
    whole(volumeId, bytes, partial -> run(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "raw", qemuSource,
        rbd.qemu(partial)), CONVERT_TIMEOUT));
  }

  /**
   * QEMU's name of the volume's image {@code rbdSource} names, read as this host's client
   * {@code client} (its own keyring; the pool the source names). Refused unless it is the volume's own image.
   */
  static String qemuSource(RbdCommands client, String volumeId, String rbdSource) {
    RbdSource source = RbdSource.parse(rbdSource);
    if (!source.image().equals(volumeImage(volumeId))) throw new StorageException("not volume " + volumeId + "'s image", null);
    return new RbdCommands(client.conf(), client.keyring(), client.user(), source.pool()).qemu(source.image());
  }

  /** A backend of the pool {@code rbdTarget} names, as this host's client {@code client} writes it. */
  static RbdBackend of(RbdCommands client, String rbdTarget, CommandRunner commands) {
    RbdSource target = RbdSource.parse(rbdTarget);
    return new RbdBackend(new RbdCommands(client.conf(), client.keyring(), client.user(), target.pool()), target.monitors(),
        commands);
  }

  @Override
  public void remove(String volumeId) {
    String image = volumeImage(volumeId);
    if (image(image).isPresent()) run(rbd.remove(image), CONVERT_TIMEOUT);
  }

  @Override
  public void snapshot(String volumeId, String snapshotId) {
    if (imageOfSnapshot(snapshotId).isPresent()) return;
    String image = volumeImage(volumeId);
    if (image(image).isEmpty()) throw new StorageException("no storage for volume " + volumeId, null);
    run(rbd.snapshot(image, snapshotName(snapshotId)), QUICK);
  }

  /** Streams the image's (or its snapshot's) bytes out of {@code rbd export}: no temporary copy. */
  @Override
  public java.nio.channels.ReadableByteChannel openRaw(String volumeId, Optional<String> snapshotId) throws IOException {
    String image = snapshotId.isPresent()
        ? imageOfSnapshot(snapshotId.get()).orElseThrow(() -> new StorageException("no storage for snapshot " + snapshotId.get(), null))
        : image(volumeImage(volumeId)).map(Entry::image).orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
    StreamedCommand command = StreamedCommand.reading("rbd export", rbd.export(image, snapshotId.map(RbdBackend::snapshotName)));
    try {
      return command.output();
    } catch (IOException | RuntimeException e) {
      command.stop();
      throw e;
    }
  }

  /** Streams the bytes into the image through {@code rbd import-diff} ({@link RbdDiffWriter}): no temporary copy. */
  @Override
  public RawWriter rawWriter(String volumeId) throws IOException {
    Entry image = image(volumeImage(volumeId)).orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
    StreamedCommand command = StreamedCommand.writing("rbd import-diff", rbd.importDiff(image.image()));
    try {
      return new RbdDiffWriter(command.input(), image.size(), command::await, command::stop);
    } catch (IOException | RuntimeException e) {
      command.stop();
      throw e;
    }
  }

  @Override
  public RawWriter rawWriterOf(String volumeId, String rbdImage) throws IOException {
    return writerOf(rbd, volumeId, rbdImage, commands);
  }

  /** A writer into the volume's own image {@code rbdImage} names, as this host's client {@code client}; any other refused. */
  static RawWriter writerOf(RbdCommands client, String volumeId, String rbdImage, CommandRunner commands) throws IOException {
    if (!RbdSource.parse(rbdImage).image().equals(volumeImage(volumeId))) {
      throw new StorageException("not volume " + volumeId + "'s image", null);
    }
    return of(client, rbdImage, commands).rawWriter(volumeId);
  }

  @Override
  public void removeSnapshot(String snapshotId) {
    Optional<String> image = imageOfSnapshot(snapshotId);
    if (image.isPresent()) run(rbd.removeSnapshot(image.get(), snapshotName(snapshotId)), QUICK);
  }

  @Override
  public void createFrom(String volumeId, String snapshotId, long bytes) {
    if (image(volumeImage(volumeId)).isPresent()) return;
    String source = imageOfSnapshot(snapshotId)
        .orElseThrow(() -> new StorageException("no storage for snapshot " + snapshotId, null));
    whole(volumeId, bytes, partial -> run(rbd.copy(source, Optional.of(snapshotName(snapshotId)), partial), CONVERT_TIMEOUT));
  }

  @Override
  public void cloneVolume(String volumeId, String sourceId, long bytes) {
    if (image(volumeImage(volumeId)).isPresent()) return;
    String source = volumeImage(sourceId);
    if (image(source).isEmpty()) throw new StorageException("no storage for volume " + sourceId, null);
    whole(volumeId, bytes, partial -> run(rbd.copy(source, Optional.empty(), partial), CONVERT_TIMEOUT));
  }

  @Override
  public void createFromImage(String volumeId, Path image, String diskFormat, long bytes) {
    if (image(volumeImage(volumeId)).isPresent()) return;
    String format = LibvirtPoolBackend.qemuFormat(diskFormat);
    try {
      // the bytes are a tenant's: looked at again here, before qemu-img opens them
      ImageInspector.check(image, diskFormat);
    } catch (ImageInspector.Refused e) {
      throw new StorageException("Image refused: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new StorageException("cannot read the image: " + e.getMessage(), e);
    }
    long virtual = LibvirtPoolBackend.virtualSize(commands.run(LibvirtPoolBackend.infoCommand(format, image), QUICK));
    if (virtual > bytes) {
      throw new StorageException("Image virtual size is " + gigabytes(virtual) + "GB and doesn't fit in a volume of size "
          + gigabytes(bytes) + "GB.", null);
    }
    whole(volumeId, bytes, partial -> run(rbd.convertInto(format, image, partial), CONVERT_TIMEOUT));
  }

  /**
   * Writes the volume's image through a partial one, grown to {@code bytes} if smaller, then
   * renamed: a write cut short (a crash) never passes for the volume, and its leftover is removed
   * here before it is written again.
   */
  private void whole(String volumeId, long bytes, java.util.function.Consumer<String> write) {
    String partial = partialImage(volumeId);
    if (image(partial).isPresent()) run(rbd.remove(partial), CONVERT_TIMEOUT);
    try {
      write.accept(partial);
      Entry written = image(partial).orElseThrow(() -> new StorageException("the copy left no image", null));
      if (written.size() < bytes) run(rbd.resize(partial, bytes), QUICK);
      run(rbd.rename(partial, volumeImage(volumeId)), QUICK);
    } catch (RuntimeException e) {
      try {
        if (image(partial).isPresent()) run(rbd.remove(partial), CONVERT_TIMEOUT);
      } catch (RuntimeException ignored) {
        // the reconciliation removes the leftover
      }
      throw e instanceof StorageException s ? s : new StorageException("cannot write volume " + volumeId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Path exportImage(String volumeId, String diskFormat) {
    if (!LibvirtPoolBackend.UPLOAD_FORMATS.contains(diskFormat)) {
      throw new StorageException("A volume is uploaded as raw or qcow2, not " + diskFormat, null);
    }
    String image = volumeImage(volumeId);
    if (image(image).isEmpty()) throw new StorageException("no storage for volume " + volumeId, null);
    Path target;
    try {
      target = Files.createTempFile(LibvirtPoolBackend.UPLOAD_PREFIX + volumeId, "." + diskFormat);
    } catch (IOException e) {
      throw new StorageException("cannot make the upload's file: " + e.getMessage(), e);
    }
    try {
      run(rbd.convertFrom(image, diskFormat, target), CONVERT_TIMEOUT);
      return target;
    } catch (RuntimeException e) {
      try {
        Files.deleteIfExists(target);
      } catch (IOException ignored) {
        // a temporary file left behind
      }
      throw e;
    }
  }

  private void run(List<String> command, Duration timeout) {
    try {
      commands.run(command, timeout);
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StorageException(e.getMessage(), e);
    }
  }

  private static long gigabytes(long bytes) {
    return (bytes + (1L << 30) - 1) >> 30;
  }

  @Override
  public void close() {
    // every call is a process of its own: nothing is held
  }
}
