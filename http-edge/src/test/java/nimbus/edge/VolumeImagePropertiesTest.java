package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Map;
import nimbus.storage.Volume;
import nimbus.storage.VolumeImage;
import org.junit.jupiter.api.Test;

/** A volume's image properties as Cinder shows them and as its upload carries them into a new image. */
class VolumeImagePropertiesTest {
  private static final Map<String, String> PROPERTIES = Map.of("kernel_id", "k-1", "ramdisk_id", "r-1",
      "os_distro", "nimbus", "image_name", "a property", "size", "7", "os_glance_importing_to_stores", "x",
      "img_signature", "sig", "img_signature_hash_method", "SHA-256");
  private static final VolumeImage IMAGE = new VolumeImage("img-1", "guest", "bare", "qcow2", 1, 64, 12345L, "abc",
      "store:" + "0".repeat(128), PROPERTIES);

  private static Volume volume(VolumeImage image) {
    Volume v = Volume.requested("v-1", "p", "u", "", "", 1, Map.of(), "nova", "__DEFAULT__", Instant.EPOCH);
    return image == null ? v : v.fromImage(image);
  }

  @Test
  void theVolumeShowsTheImagesPropertiesUnderItsOwnAttributes() {
    Map<String, String> shown = VolumeRoutes.imageMetadata(IMAGE);
    assertEquals("k-1", shown.get("kernel_id"));
    assertEquals("nimbus", shown.get("os_distro"));
    assertEquals("guest", shown.get("image_name"), "the image's name wins over a property of that name");
    assertEquals("12345", shown.get("size"));
    assertEquals("img-1", shown.get("image_id"));
  }

  @Test
  void anUploadCarriesThePropertiesLessCindersCoreOnesAndGlancesReservedNamespaces() {
    assertEquals(Map.of("kernel_id", "k-1", "ramdisk_id", "r-1", "os_distro", "nimbus"),
        VolumeActions.carriedProperties(volume(IMAGE)));
    assertEquals(Map.of(), VolumeActions.carriedProperties(volume(null)), "a volume not made from an image carries none");
  }
}
