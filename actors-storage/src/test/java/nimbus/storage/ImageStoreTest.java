package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content-addressed store: files named by SHA-512, kept once, never left half-written. */
class ImageStoreTest {
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Source<ByteString, ?> chunks(byte[] bytes, int chunk) {
    return Source.range(0, (bytes.length - 1) / chunk)
        .map(i -> ByteString.fromArray(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk)));
  }

  @Test
  void aFileIsNamedByItsHashesAndStoredOnce(@TempDir Path root) throws Exception {
    byte[] bytes = new byte[1_000_003];
    new Random(7).nextBytes(bytes);
    ImageStore store = ImageStore.at(root);
    Materializer m = Materializer.matFromSystem(kit.system());
    StoredFile file = store.write(chunks(bytes, 65536), 10_000_000, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    HexFormat hex = HexFormat.of();
    assertEquals(hex.formatHex(MessageDigest.getInstance("SHA-512").digest(bytes)), file.sha512());
    assertEquals(hex.formatHex(MessageDigest.getInstance("MD5").digest(bytes)), file.md5());
    assertEquals(bytes.length, file.size());
    assertArrayEquals(bytes, Files.readAllBytes(store.path(file.sha512()).orElseThrow()));

    StoredFile again = store.write(chunks(bytes, 1000), 10_000_000, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(file, again);
    try (var files = Files.list(root.resolve("sha512"))) {
      assertEquals(1, files.count(), "the same bytes are stored once");
    }
    ByteString read = store.read(file.sha512()).orElseThrow().runFold(ByteString.emptyByteString(), ByteString::concat, m)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertArrayEquals(bytes, read.toArray());
  }

  @Test
  void aTooLargeUploadFailsAndLeavesNothing(@TempDir Path root) throws Exception {
    ImageStore store = ImageStore.at(root);
    byte[] bytes = new byte[300_000];
    ExecutionException e = assertThrows(ExecutionException.class, () -> store
        .write(chunks(bytes, 4096), 100_000, "raw", Materializer.matFromSystem(kit.system()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertInstanceOf(ImageStore.TooLarge.class, ImageUploads.cause(e.getCause()));
    try (var stored = Files.list(root.resolve("sha512")); var partial = Files.list(root.resolve("incoming"))) {
      assertEquals(0, stored.count());
      assertEquals(0, partial.count());
    }
    assertTrue(store.path("../../etc/passwd").isEmpty(), "only hashes name files");
  }

  @Test
  void aSweepRemovesOldFilesNoImageHoldsAndKeepsTheRest(@TempDir Path root) throws Exception {
    ImageStore store = ImageStore.at(root);
    Materializer m = Materializer.matFromSystem(kit.system());
    StoredFile held = store.write(chunks(new byte[] {1, 2, 3}, 2), 100, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    StoredFile free = store.write(chunks(new byte[] {4, 5, 6}, 2), 100, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    StoredFile young = store.write(chunks(new byte[] {7, 8, 9}, 2), 100, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    java.time.Instant hourAgo = java.time.Instant.now().minus(java.time.Duration.ofHours(1));
    for (StoredFile f : java.util.List.of(held, free)) {
      Files.setLastModifiedTime(store.path(f.sha512()).orElseThrow(), java.nio.file.attribute.FileTime.from(hourAgo));
    }

    assertEquals(1, store.sweep(java.util.Set.of(held.sha512()), java.time.Instant.now().minusSeconds(60)));
    assertTrue(store.path(held.sha512()).isPresent(), "an image holds it");
    assertTrue(store.path(free.sha512()).isEmpty(), "old and free: gone");
    assertTrue(store.path(young.sha512()).isPresent(), "too young to tell");

    // stored again: the same bytes make an existing file young again
    Files.setLastModifiedTime(store.path(held.sha512()).orElseThrow(), java.nio.file.attribute.FileTime.from(hourAgo));
    store.write(chunks(new byte[] {1, 2, 3}, 3), 100, "raw", m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(0, store.sweep(java.util.Set.of(), java.time.Instant.now().minusSeconds(60)));
  }
}
