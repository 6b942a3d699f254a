package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import nimbus.node.agent.ImageCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host's image cache lets go of files no server uses once they have not been used for a while. */
class ImageCacheTest {

  @Test
  void unusedOldFilesGoAndTheRestStay(@TempDir Path dir) throws Exception {
    String used = "a".repeat(128);
    String unused = "b".repeat(128);
    String fresh = "c".repeat(128);
    Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
    for (String name : Set.of(used, unused, fresh)) Files.writeString(dir.resolve(name), name);
    Files.writeString(dir.resolve("not-an-image"), "kept");
    for (String name : Set.of(used, unused, "not-an-image")) {
      Files.setLastModifiedTime(dir.resolve(name), FileTime.from(dayAgo));
    }
    ImageCache cache = new ImageCache(dir, null); // evicting never fetches

    assertEquals(1, cache.evict(Set.of(used), Instant.now().minus(Duration.ofHours(1))));
    assertTrue(Files.exists(dir.resolve(used)), "a server uses it");
    assertFalse(Files.exists(dir.resolve(unused)), "unused for a day: gone");
    assertTrue(Files.exists(dir.resolve(fresh)), "used an hour ago or less");
    assertTrue(Files.exists(dir.resolve("not-an-image")), "only image files are the cache's");
  }
}
