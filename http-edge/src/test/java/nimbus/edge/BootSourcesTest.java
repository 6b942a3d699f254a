package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.compute.Flavor;
import nimbus.storage.Image;
import nimbus.storage.ImageMetadata;
import nimbus.storage.StoredFile;
import org.junit.jupiter.api.Test;

/** Nova's checks of an image against the flavor a server boots it with. */
class BootSourcesTest {
  private static final long GIB = 1024L * 1024 * 1024;

  private static Image image(int minRam, int minDisk, long size) {
    ImageMetadata m = new ImageMetadata("i", "raw", "bare", "private", false, minDisk, minRam, Map.of(), List.of());
    return new Image("8c8f7f4e-6b8e-4c1a-9a53-3b0f4f1f1a10", "p", "active", m, Optional.empty(),
        Optional.of(new StoredFile("a".repeat(128), "md5", size)), Instant.EPOCH, Instant.EPOCH);
  }

  private static String refusal(Image image, Flavor flavor) {
    ApiError e = assertThrows(ApiError.class, () -> BootSources.checkFits(image, flavor));
    assertEquals(400, e.status);
    return e.getMessage();
  }

  @Test
  void anImageNeedingMoreMemoryOrDiskThanTheFlavorIsRefused() {
    Flavor small = new Flavor("s", "small", 1, 512, 1);
    assertEquals("Flavor's memory is too small for requested image.", refusal(image(1024, 0, 1), small));
    assertEquals("Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is "
        + GIB + " bytes, minimum size is " + 2 * GIB + " bytes.", refusal(image(0, 2, 1), small));
    assertEquals("Flavor's disk is too small for requested image. Flavor disk is " + GIB + " bytes, image is "
        + (GIB + 1) + " bytes.", refusal(image(0, 0, GIB + 1), small));
  }

  @Test
  void aFittingImageOrAFlavorWithoutDiskPasses() {
    BootSources.checkFits(image(512, 1, GIB), new Flavor("s", "small", 1, 512, 1));
    BootSources.checkFits(image(0, 5, 10 * GIB), new Flavor("z", "zero", 1, 512, 0)); // Nova: 0 GB is not checked
  }
}
