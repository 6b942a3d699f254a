package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The libvirt pool backend against libvirt's test driver ({@code default-pool}): volumes made,
 * listed as Nimbus's own, made and removed again without harm. (Resizing is not in the test
 * driver; {@link SystemPoolBackendTest} resizes real files.)
 */
class LibvirtPoolBackendTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private final LibvirtPoolBackend backend = new LibvirtPoolBackend("test:///default", "default-pool", Optional.empty());

  @AfterEach
  void close() {
    backend.close();
  }

  @Test
  void aVolumeIsMadeOnceListedByItsIdAndRemovedOnce() {
    String id = UUID.randomUUID().toString();
    backend.create(id, GIB);
    backend.create(id, GIB);
    assertEquals(GIB, backend.volumes().get(id));
    backend.remove(id);
    backend.remove(id);
    assertFalse(backend.volumes().containsKey(id));
  }

  @Test
  void theDefinitionsNameOurFilesAndTheirSize() {
    assertTrue(LibvirtPoolBackend.volumeXml("abc", 5).contains("<name>nimbus-volume-abc</name>"));
    assertTrue(LibvirtPoolBackend.volumeXml("abc", 5).contains("<capacity unit='bytes'>5</capacity>"));
    assertTrue(LibvirtPoolBackend.poolXml("p", java.nio.file.Path.of("/x/y")).contains("<path>/x/y</path>"));
  }

  @Test
  void resizingAVolumeThatIsNotThereFails() {
    assertThrows(StorageException.class, () -> backend.resize(UUID.randomUUID().toString(), GIB));
  }

  @Test
  void aPoolThatIsNotThereIsAClearFailure() {
    try (LibvirtPoolBackend none = new LibvirtPoolBackend("test:///default", "no-such-pool", Optional.empty())) {
      StorageException e = assertThrows(StorageException.class, none::volumes);
      assertTrue(e.getMessage().contains("no-such-pool"), e.getMessage());
    }
  }

  @Test
  void imagesAreConvertedWithTheirFormatGivenNeverProbed() {
    java.nio.file.Path image = java.nio.file.Path.of("/cache/abc");
    java.nio.file.Path target = java.nio.file.Path.of("/pool/nimbus-partial-v");
    assertEquals(java.util.List.of("qemu-img", "convert", "-q", "-f", "vpc", "-O", "raw", "/cache/abc",
        "/pool/nimbus-partial-v"), LibvirtPoolBackend.convertCommand(LibvirtPoolBackend.qemuFormat("vhd"), image, target));
    assertEquals(java.util.List.of("qemu-img", "info", "-f", "raw", "--output=json", "/cache/abc"),
        LibvirtPoolBackend.infoCommand(LibvirtPoolBackend.qemuFormat("iso"), image));
    assertThrows(StorageException.class, () -> LibvirtPoolBackend.qemuFormat("ploop"));
    assertEquals(2147483648L, LibvirtPoolBackend.virtualSize("{\n  \"virtual-size\": 2147483648,\n  \"filename\": \"x\"}"));
    assertThrows(StorageException.class, () -> LibvirtPoolBackend.virtualSize("{}"));
  }
}
