package nimbus.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.dispatch.Dispatchers;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Image files on disk, content-addressed: a file is named by the SHA-512 of its bytes, so the
 * same content is stored once and a name always means the same bytes. A write streams to a
 * temporary file while hashing and then moves it into place, so a file under its name is
 * always complete; nothing is ever held whole in memory.
 */
public final class ImageStore {
  private static final int READ_CHUNK = 256 * 1024;

  private final Path files;
  private final Path incoming;

  private ImageStore(Path root) {
    this.files = root.resolve("sha512");
    this.incoming = root.resolve("incoming");
  }

  /** The store under {@code root}, with its directories made and stale partial writes removed. */
  public static ImageStore at(Path root) {
    ImageStore store = new ImageStore(root);
    try {
      Files.createDirectories(store.files);
      Files.createDirectories(store.incoming);
      try (var partial = Files.list(store.incoming)) {
        for (Path p : partial.toList()) Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the image store at " + root, e);
    }
    return store;
  }

  /**
   * Streams {@code data} into the store. Fails with {@link TooLarge} past {@code maxBytes}, and
   * with {@link ImageInspector.Refused} if the bytes are not safely of {@code diskFormat}; a
   * failed write leaves nothing behind.
   */
  public CompletionStage<StoredFile> write(Source<ByteString, ?> data, long maxBytes, String diskFormat,
      Materializer materializer) {
    Path partial = incoming.resolve(UUID.randomUUID().toString());
    Hashing hashing = new Hashing();
    // the two digests run as a pipeline on two threads (async boundaries), beside the file write:
    // an upload then goes as fast as the slower digest, not as both one after the other
    return data
        .map(chunk -> {
          hashing.count(chunk, maxBytes);
          hashing.md5(chunk);
          return chunk;
        })
        .async()
        .map(chunk -> {
          hashing.sha512(chunk);
          return chunk;
        })
        .async()
        .toMat(FileIO.toPath(partial), Keep.right())
        .run(materializer)
        // fsync and rename block: they run on Pekko's blocking I/O dispatcher, not a stream's thread
        .handleAsync((IOResult written, Throwable failure) -> {
          try {
            if (failure != null) throw tooLargeIn(failure).orElseGet(() -> new java.util.concurrent.CompletionException(failure));
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
              channel.force(true); // an active image's file survives a crash
            }
            ImageInspector.check(partial, diskFormat); // before the file is anyone's
            StoredFile file = hashing.result();
            Path target = files.resolve(file.sha512());
            if (Files.exists(target)) {
              Files.delete(partial); // the same bytes are already stored
              Files.setLastModifiedTime(target, FileTime.from(Instant.now())); // young again: see sweep
            } else {
              Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return file;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } finally {
            try {
              Files.deleteIfExists(partial);
            } catch (IOException ignored) {
              // removed at the next start
            }
          }
        }, materializer.system().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId()));
  }

  /** The size limit's failure, if that is what failed the stream (file sinks wrap it). */
  private static Optional<RuntimeException> tooLargeIn(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TooLarge tooLarge) return Optional.of(tooLarge);
    }
    return Optional.empty();
  }

  /**
   * Removes the stored files that are not in {@code keep} and were last written before
   * {@code olderThan} (a file just stored or just shared again is kept: the image it is for may
   * not be active yet). Blocking. Answers how many files went.
   */
  public int sweep(Set<String> keep, Instant olderThan) throws IOException {
    int removed = 0;
    try (var stored = Files.list(files)) {
      for (Path p : stored.toList()) {
        String name = p.getFileName().toString();
        if (!keep.contains(name) && Files.getLastModifiedTime(p).toInstant().isBefore(olderThan)) {
          Files.deleteIfExists(p);
          removed++;
        }
      }
    }
    return removed;
  }

  /** The stored file with this SHA-512, if the store has it. */
  public Optional<Path> path(String sha512) {
    if (!StoredFile.SHA512.matcher(sha512).matches()) return Optional.empty();
    Path p = files.resolve(sha512);
    return Files.exists(p) ? Optional.of(p) : Optional.empty();
  }

  /** The bytes of a stored file, streamed. */
  public Optional<Source<ByteString, CompletionStage<IOResult>>> read(String sha512) {
    return path(sha512).map(p -> FileIO.fromPath(p, READ_CHUNK));
  }

  /** An upload larger than the store accepts. */
  public static final class TooLarge extends RuntimeException {
    public TooLarge(long maxBytes) {
      this("Image exceeds the storage quota: the largest image is " + maxBytes + " bytes");
    }

    public TooLarge(String message) {
      super(message);
    }
  }

  /**
   * MD5 and SHA-512 of a stream, computed as it passes. Each digest is updated by one stage
   * only, and the stream hands chunks from stage to stage, so no two threads share a digest.
   */
  private static final class Hashing {
    private final MessageDigest md5 = digest("MD5");
    private final MessageDigest sha512 = digest("SHA-512");
    private long size;

    void count(ByteString chunk, long maxBytes) {
      size += chunk.size();
      if (size > maxBytes) throw new TooLarge(maxBytes);
    }

    void md5(ByteString chunk) {
      for (java.nio.ByteBuffer b : chunk.getByteBuffers()) md5.update(b);
    }

    void sha512(ByteString chunk) {
      for (java.nio.ByteBuffer b : chunk.getByteBuffers()) sha512.update(b);
    }

    StoredFile result() {
      HexFormat hex = HexFormat.of();
      return new StoredFile(hex.formatHex(sha512.digest()), hex.formatHex(md5.digest()), size);
    }

    private static MessageDigest digest(String algorithm) {
      try {
        return MessageDigest.getInstance(algorithm);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(algorithm + " is part of every Java runtime", e);
      }
    }
  }
}
