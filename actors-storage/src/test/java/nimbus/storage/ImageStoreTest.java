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
    StoredFile file = store.write(chunks(bytes, 65536), 10_000_000, m).toCompletableFuture().get(30, TimeUnit.SECONDS);
    HexFormat hex = HexFormat.of();
    assertEquals(hex.formatHex(MessageDigest.getInstance("SHA-512").digest(bytes)), file.sha512());
    assertEquals(hex.formatHex(MessageDigest.getInstance("MD5").digest(bytes)), file.md5());
    assertEquals(bytes.length, file.size());
    assertArrayEquals(bytes, Files.readAllBytes(store.path(file.sha512()).orElseThrow()));

    StoredFile again = store.write(chunks(bytes, 1000), 10_000_000, m).toCompletableFuture().get(30, TimeUnit.SECONDS);
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
        .write(chunks(bytes, 4096), 100_000, Materializer.matFromSystem(kit.system()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertInstanceOf(ImageStore.TooLarge.class, ImageUploads.cause(e.getCause()));
    try (var stored = Files.list(root.resolve("sha512")); var partial = Files.list(root.resolve("incoming"))) {
      assertEquals(0, stored.count());
      assertEquals(0, partial.count());
    }
    assertTrue(store.path("../../etc/passwd").isEmpty(), "only hashes name files");
  }
}
