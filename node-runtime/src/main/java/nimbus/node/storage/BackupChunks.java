package nimbus.node.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import nimbus.storage.BackupHostCommand;

/**
 * A storage host's backups: chunks of volumes, content-addressed as the image store's files (named
 * by the SHA-512 of their bytes, so a chunk an earlier backup stored is never written again), and
 * one manifest per backup naming its chunks in order. A volume's file is only ever read and written
 * as plain bytes, never handed to anything that would probe its format. Calls block and are
 * serialized: a chunk is never removed while a backup that needs it is being stored.
 */
public final class BackupChunks {
  private static final Pattern ID = Pattern.compile("[0-9A-Za-z-]{1,64}");
  /** How a manifest writes a chunk of zeros (stored as nothing). */
  private static final String ZEROS = "-";

  private final Path chunks;
  private final Path manifests;
  private final Path incoming;
  private final int chunkBytes;

  /** The store under {@code root}, with chunks of {@code chunkBytes} (tests use small ones). */
  public BackupChunks(Path root, int chunkBytes) {
    this.chunks = root.resolve("sha512");
    this.manifests = root.resolve("manifests");
    this.incoming = root.resolve("incoming");
    this.chunkBytes = chunkBytes;
    try {
      Files.createDirectories(chunks);
      Files.createDirectories(manifests);
      Files.createDirectories(incoming);
      // a crash's partial writes: never named by anything
      try (var partial = Files.list(incoming)) {
        for (Path p : partial.toList()) Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the backup store at " + root, e);
    }
  }

  public BackupChunks(Path root) {
    this(root, BackupHostCommand.CHUNK_BYTES);
  }

  /**
   * Stores {@code volume}'s chunks as backup {@code backupId}'s; a backup stored already answers
   * with its manifest as it was. A failed store leaves no chunk that no backup names.
   */
  public BackupHostCommand.Manifest store(String backupId, Path volume) {
    return store(backupId, () -> FileChannel.open(volume, StandardOpenOption.READ));
  }

  /** Where a backup reads a volume's raw bytes from its start: opened only if the backup is not stored yet. */
  @FunctionalInterface
  public interface Source {
    /** The bytes; closing the channel fails if reading them failed (an RBD export's command). */
    ReadableByteChannel open() throws IOException;
  }

  /** As {@link #store(String, Path)}, the bytes read from {@code volume}. */
  public synchronized BackupHostCommand.Manifest store(String backupId, Source volume) {
    Path manifest = manifest(backupId);
    try {
      if (Files.exists(manifest)) return read(manifest);
      List<String> hashes = new ArrayList<>();
      List<String> written = new ArrayList<>();
      long bytes = 0;
      try (ReadableByteChannel in = volume.open()) {
        ByteBuffer buffer = ByteBuffer.allocate(chunkBytes);
        while (fill(in, buffer) > 0) {
          buffer.flip();
          if (zeros(buffer)) {
            hashes.add("");
          } else {
            String hash = sha512(buffer);
            hashes.add(hash);
            if (!Files.exists(chunk(hash))) {
              put(hash, buffer);
              written.add(hash);
              bytes += buffer.limit();
            }
          }
          buffer.clear();
        }
      } catch (IOException | RuntimeException e) {
        removeUnnamed(written);
        throw e;
      }
      BackupHostCommand.Manifest m = new BackupHostCommand.Manifest(hashes, bytes);
      Path partial = incoming.resolve(UUID.randomUUID().toString());
      List<String> lines = new ArrayList<>();
      lines.add(Long.toString(bytes));
      hashes.forEach(h -> lines.add(h.isEmpty() ? ZEROS : h));
      Files.write(partial, lines);
      Files.move(partial, manifest, StandardCopyOption.ATOMIC_MOVE);
      return m;
    } catch (IOException e) {
      throw new StorageException("Backup of the volume failed: " + e.getMessage(), e);
    }
  }

  /**
   * Stores a volume of {@code bytes} that has no file (a pool without files, as libvirt's test
   * driver's, whose volumes read as zeros) as backup {@code backupId}: chunks of zeros only.
   */
  public synchronized BackupHostCommand.Manifest storeZeros(String backupId, long bytes) {
    Path manifest = manifest(backupId);
    try {
      if (Files.exists(manifest)) return read(manifest);
      int count = (int) ((bytes + chunkBytes - 1) / chunkBytes);
      List<String> lines = new ArrayList<>();
      lines.add("0");
      for (int i = 0; i < count; i++) lines.add(ZEROS);
      Path partial = incoming.resolve(UUID.randomUUID().toString());
      Files.write(partial, lines);
      Files.move(partial, manifest, StandardCopyOption.ATOMIC_MOVE);
      return read(manifest);
    } catch (IOException e) {
      throw new StorageException("Backup of the volume failed: " + e.getMessage(), e);
    }
  }

  /**
   * Makes backup {@code backupId} name {@code hashes}, chunks this store holds already (an imported
   * record's): each must be a chunk's name, or empty for one of zeros, and be here as a plain file,
   * so a record never makes the store name (or later read or remove) anything outside it. Adopted
   * already with the same chunks: nothing changes.
   */
  public synchronized void adopt(String backupId, List<String> hashes) {
    Path manifest = manifest(backupId);
    try {
      if (Files.exists(manifest)) {
        if (read(manifest).chunks().equals(hashes)) return;
        throw new StorageException("Backup " + backupId + " exists with other chunks", null);
      }
      List<String> lines = new ArrayList<>();
      lines.add("0");
      for (String hash : hashes) {
        if (hash.isEmpty()) {
          lines.add(ZEROS);
          continue;
        }
        if (!nimbus.storage.StoredFile.SHA512.matcher(hash).matches()) {
          throw new StorageException("Not a chunk's name: " + hash, null);
        }
        if (!Files.isRegularFile(chunk(hash), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          throw new StorageException("Chunk " + hash + " is not in this host's backup store", null);
        }
        lines.add(hash);
      }
      Path partial = incoming.resolve(UUID.randomUUID().toString());
      Files.write(partial, lines);
      Files.move(partial, manifest, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new StorageException("Import of the backup failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the chunks into {@code volume} from its start, each verified against its name as it is
   * read; a chunk of zeros is written only where the volume holds something else.
   */
  public void restore(List<String> hashes, Path volume) {
    try (RawWriter out = RawWriter.file(volume)) {
      restore(hashes, out);
    } catch (IOException e) {
      throw new StorageException("Restore of the backup failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the chunks through {@code out} from the volume's start, each verified against its name as
   * it is read, a chunk of zeros as a range of zeros, then finishes the write.
   */
  public synchronized void restore(List<String> hashes, RawWriter out) {
    try {
      if (out.size() < (long) hashes.size() * chunkBytes) {
        throw new StorageException("The volume is smaller than the backup", null);
      }
      ByteBuffer buffer = ByteBuffer.allocate(chunkBytes);
      for (int i = 0; i < hashes.size(); i++) {
        long at = (long) i * chunkBytes;
        String hash = hashes.get(i);
        buffer.clear();
        if (hash.isEmpty()) {
          out.zero(at, chunkBytes);
          continue;
        }
        if (!nimbus.storage.StoredFile.SHA512.matcher(hash).matches()) throw new StorageException("Not a chunk's name: " + hash, null);
        try (FileChannel in = FileChannel.open(chunk(hash), StandardOpenOption.READ)) {
          if (in.size() > chunkBytes) throw new StorageException("Chunk " + hash + " is corrupt", null);
          fill(in, buffer);
        }
        buffer.flip();
        if (!sha512(buffer).equals(hash)) throw new StorageException("Chunk " + hash + " is corrupt", null);
        out.write(at, buffer);
      }
      out.finish();
    } catch (IOException e) {
      throw new StorageException("Restore of the backup failed: " + e.getMessage(), e);
    }
  }

  /**
   * Forgets backup {@code backupId}: the chunks no other backup names, then its manifest (so a
   * remove cut short is finished by the next, and leaves no chunk behind).
   */
  public synchronized void remove(String backupId) {
    Path manifest = manifest(backupId);
    try {
      if (!Files.exists(manifest)) return;
      Set<String> others = new HashSet<>();
      try (var files = Files.list(manifests)) {
        for (Path m : files.toList()) {
          if (!m.equals(manifest)) others.addAll(read(m).chunks());
        }
      }
      for (String hash : read(manifest).chunks()) {
        if (!hash.isEmpty() && !others.contains(hash)) Files.deleteIfExists(chunk(hash));
      }
      Files.delete(manifest);
    } catch (IOException e) {
      throw new StorageException("Removal of the backup failed: " + e.getMessage(), e);
    }
  }

  /** The backups it holds. */
  public synchronized Set<String> backups() {
    try (var files = Files.list(manifests)) {
      return Set.copyOf(files.map(p -> p.getFileName().toString()).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The chunks it holds (their names). */
  public synchronized Set<String> chunks() {
    try (var files = Files.list(chunks)) {
      return Set.copyOf(files.map(p -> p.getFileName().toString()).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes those of {@code candidates} that no manifest names. */
  private void removeUnnamed(List<String> candidates) throws IOException {
    Set<String> named = new HashSet<>();
    try (var files = Files.list(manifests)) {
      for (Path m : files.toList()) named.addAll(read(m).chunks());
    }
    for (String hash : candidates) {
      if (!hash.isEmpty() && !named.contains(hash)) Files.deleteIfExists(chunk(hash));
    }
  }

  private static BackupHostCommand.Manifest read(Path manifest) throws IOException {
    List<String> lines = Files.readAllLines(manifest);
    List<String> hashes = lines.subList(1, lines.size()).stream().map(h -> h.equals(ZEROS) ? "" : h).toList();
    return new BackupHostCommand.Manifest(hashes, Long.parseLong(lines.get(0)));
  }

  private void put(String hash, ByteBuffer data) throws IOException {
    Path partial = incoming.resolve(UUID.randomUUID().toString());
    try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer view = data.duplicate();
      while (view.hasRemaining()) out.write(view);
      out.force(false);
    }
    Files.move(partial, chunk(hash), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private Path chunk(String hash) {
    return chunks.resolve(hash);
  }

  private Path manifest(String backupId) {
    if (!ID.matcher(backupId).matches()) throw new StorageException("Not a backup id: " + backupId, null);
    return manifests.resolve(backupId);
  }

  /** Reads until the buffer is full or the file ends; the bytes read. */
  private static int fill(ReadableByteChannel in, ByteBuffer buffer) throws IOException {
    int total = 0;
    while (buffer.hasRemaining()) {
      int n = in.read(buffer);
      if (n < 0) break;
      total += n;
    }
    return total;
  }

  private static boolean zeros(ByteBuffer b) {
    for (int i = b.position(); i < b.limit(); i++) {
      if (b.get(i) != 0) return false;
    }
    return true;
  }

  private static String sha512(ByteBuffer b) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-512");
      digest.update(b.duplicate());
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
