package nimbus.node.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import nimbus.storage.StoredFile;

/**
 * A host's copies of image store files, in {@code instances/_base} (where Nova keeps its image
 * cache): fetched from the cluster's image file service on first use, checked against their
 * SHA-512 before they are used, then shared by every server of the host as the backing file of
 * its qcow2 overlay. Blocking: call it on the blocking dispatcher.
 */
public final class ImageCache {
  private final Path dir;
  private final ImageStoreClient store;
  private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

  public ImageCache(Path dir, ImageStoreClient store) {
    this.dir = dir;
    this.store = store;
  }

  /** The cached file with this SHA-512, fetched first if the host does not have it. */
  public Path file(String sha512) throws IOException {
    if (!StoredFile.SHA512.matcher(sha512).matches()) throw new IOException("not an image file name: " + sha512);
    Path cached = dir.resolve(sha512);
    if (!Files.exists(cached)) {
      Files.createDirectories(dir);
      // one fetch per file: a second server booting the same image waits for the first
      synchronized (locks.computeIfAbsent(sha512, k -> new Object())) {
        if (!Files.exists(cached)) fetch(sha512, cached);
      }
    }
    Files.setLastModifiedTime(cached, FileTime.from(Instant.now())); // used now: see evict
    return cached;
  }

  /**
   * Removes the cached files no server of this host uses ({@code inUse}) that were last used
   * before {@code olderThan} (Nova's image cache manager does the same with its _base files).
   * Answers how many went.
   */
  public int evict(Set<String> inUse, Instant olderThan) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    int removed = 0;
    try (var cached = Files.list(dir)) {
      for (Path p : cached.toList()) {
        String name = p.getFileName().toString();
        if (StoredFile.SHA512.matcher(name).matches() && !inUse.contains(name)
            && Files.getLastModifiedTime(p).toInstant().isBefore(olderThan)) {
          Files.deleteIfExists(p);
          removed++;
        }
      }
    }
    return removed;
  }

  private void fetch(String sha512, Path target) throws IOException {
    Path partial = dir.resolve(sha512 + ".part-" + UUID.randomUUID());
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-512");
      try (InputStream in = new DigestInputStream(store.open(sha512), digest)) {
        Files.copy(in, partial);
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(sha512)) throw new IOException("image file " + sha512 + " arrived corrupted");
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      Files.deleteIfExists(partial);
    }
  }
}
