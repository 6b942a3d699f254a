package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import nimbus.storage.ImageInspector.Format;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images made by qemu-img as an attacker would make them (backing files, external data files,
 * {@code json:} backing names, descriptors of other files) and as users make them: the first are
 * refused with the reason, the second pass as what they are.
 */
class ImageInspectorTest {
  @TempDir
  Path dir;

  /** {@code qemu-img create -q ARGS FILE 1M}. */
  private Path qemuImg(String name, String... args) {
    return TestImages.create(dir.resolve(name), "1M", args);
  }

  private static String refusal(Path file, String declared) {
    return assertThrows(ImageInspector.Refused.class, () -> ImageInspector.check(file, declared)).getMessage();
  }

  private static void patch(Path file, long at, byte... bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      f.write(bytes);
    }
  }

  @Test
  void imagesUsersMakePassAsWhatTheyAre() throws Exception {
    assertEquals(Format.QCOW2, ImageInspector.check(qemuImg("plain.qcow2", "-f", "qcow2"), "qcow2"));
    assertEquals(Format.QCOW2, ImageInspector.check(qemuImg("v2.qcow2", "-f", "qcow2", "-o", "compat=0.10"), "qcow2"));
    assertEquals(Format.QCOW2, ImageInspector.check(
        qemuImg("l2.qcow2", "-f", "qcow2", "-o", "extended_l2=on"), "qcow2"));
    assertEquals(Format.VMDK, ImageInspector.check(qemuImg("sparse.vmdk", "-f", "vmdk"), "vmdk"));
    assertEquals(Format.VMDK, ImageInspector.check(
        qemuImg("stream.vmdk", "-f", "vmdk", "-o", "subformat=streamOptimized"), "vmdk"));
    assertEquals(Format.VHD, ImageInspector.check(qemuImg("dynamic.vhd", "-f", "vpc"), "vhd"));
    assertEquals(Format.VHD, ImageInspector.check(qemuImg("fixed.vhd", "-f", "vpc", "-o", "subformat=fixed"), "vhd"));
    assertEquals(Format.VHDX, ImageInspector.check(qemuImg("plain.vhdx", "-f", "vhdx"), "vhdx"));
    assertEquals(Format.VDI, ImageInspector.check(qemuImg("plain.vdi", "-f", "vdi"), "vdi"));
    Path raw = Files.write(dir.resolve("kernel"), "MZ a kernel, or any bytes at all".getBytes(StandardCharsets.US_ASCII));
    assertEquals(Format.RAW, ImageInspector.check(raw, "raw"));
    assertEquals(Format.RAW, ImageInspector.check(raw, "aki"));
    Path iso = Files.write(dir.resolve("cd.iso"), new byte[40_000]);
    patch(iso, 0x8001, "CD001".getBytes(StandardCharsets.US_ASCII));
    assertEquals(Format.ISO, ImageInspector.check(iso, "iso"));
    assertEquals(Format.ISO, ImageInspector.check(iso, "raw"), "an ISO read as raw bytes references nothing");
  }

  @Test
  void aBackingFileOnTheHostOrBehindAJsonUrlIsRefused() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), "the cloud's keys");
    assertEquals("qcow2 image has a backing file",
        refusal(qemuImg("leak.qcow2", "-f", "qcow2", "-u", "-F", "raw", "-b", secret.toString()), "qcow2"));
    assertEquals("qcow2 image has a backing file", refusal(qemuImg("net.qcow2", "-f", "qcow2", "-u", "-F", "raw",
        "-b", "json:{\"driver\": \"http\", \"url\": \"http://127.0.0.1:9/x\"}"), "qcow2"));
    assertEquals("qcow2 image has a backing file",
        refusal(qemuImg("v2leak.qcow2", "-f", "qcow2", "-o", "compat=0.10", "-u", "-F", "raw", "-b", secret.toString()), "qcow2"));
  }

  @Test
  void anExternalDataFileIsRefused() throws Exception {
    Path data = dir.resolve("data.raw");
    assertEquals("qcow2 image has an external data file",
        refusal(qemuImg("data.qcow2", "-f", "qcow2", "-o", "data_file=" + data + ",data_file_raw=on"), "qcow2"));
  }

  @Test
  void contentMustBeTheDeclaredFormat() throws Exception {
    Path qcow2 = qemuImg("q.qcow2", "-f", "qcow2");
    assertEquals("Image content is qcow2, not the declared disk format raw", refusal(qcow2, "raw"));
    assertEquals("Image content is qcow2, not the declared disk format aki", refusal(qcow2, "aki"));
    Path raw = Files.write(dir.resolve("r.img"), new byte[4096]);
    assertEquals("Image content is raw, not the declared disk format qcow2", refusal(raw, "qcow2"));
    assertEquals("Image content is raw, not the declared disk format iso", refusal(raw, "iso"));
    assertEquals("Image content is qed, not the declared disk format raw", refusal(qemuImg("e.qed", "-f", "qed"), "raw"));
    assertTrue(refusal(raw, "ploop").contains("cannot be inspected"));
  }

  @Test
  void unknownFeaturesEncryptionAndBrokenHeadersAreRefused() throws Exception {
    Path unknown = qemuImg("unknown.qcow2", "-f", "qcow2");
    patch(unknown, 72 + 7, (byte) 0x20); // incompatible feature bit 5: not one QEMU knows today
    assertEquals("qcow2 image has unknown incompatible features 0x20", refusal(unknown, "qcow2"));
    Path corrupt = qemuImg("corrupt.qcow2", "-f", "qcow2");
    patch(corrupt, 72 + 7, (byte) 0x02);
    assertTrue(refusal(corrupt, "qcow2").startsWith("qcow2 image has unknown incompatible features"));
    Path encrypted = qemuImg("enc.qcow2", "-f", "qcow2");
    patch(encrypted, 32, (byte) 0, (byte) 0, (byte) 0, (byte) 1);
    assertEquals("qcow2 image is encrypted", refusal(encrypted, "qcow2"));
    Path truncated = Files.write(dir.resolve("t.qcow2"), new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
    assertEquals("qcow2 header is truncated", refusal(truncated, "qcow2"));
  }

  @Test
  void formatsThatNameOtherFilesAreRefused() throws Exception {
    Path flat = qemuImg("flat.vmdk", "-f", "vmdk", "-o", "subformat=monolithicFlat");
    assertEquals("VMDK image is not a sparse extent", refusal(flat, "vmdk"), "a descriptor of another file");
    Path split = qemuImg("split.vmdk", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse");
    assertTrue(refusal(split, "vmdk").startsWith("VMDK"), "a descriptor of extents");
    Path differencing = qemuImg("diff.vhd", "-f", "vpc");
    patch(differencing, 60, (byte) 0, (byte) 0, (byte) 0, (byte) 4);
    assertEquals("VHD image is a differencing disk", refusal(differencing, "vhd"));
    Path undo = qemuImg("diff.vdi", "-f", "vdi");
    patch(undo, 0x4C, (byte) 4, (byte) 0, (byte) 0, (byte) 0);
    assertEquals("VDI image type 4 depends on another image", refusal(undo, "vdi"));
  }
}
