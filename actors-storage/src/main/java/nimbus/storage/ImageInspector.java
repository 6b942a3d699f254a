package nimbus.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what an image file is from its bytes alone, and refuses a file that is not what its
 * owner declared or that could make QEMU or qemu-img open anything besides itself: a qcow2 with
 * a backing file (a host path or a {@code json:} URL), an external data file, encryption or
 * feature bits this code does not know; a VMDK that is a descriptor of other files; differencing
 * VHD, VHDX and VDI images. Tenants' bytes are hostile: this runs on every upload before the file
 * is stored, and on every host before the file is used (OpenStack's OSSA-2024-001, more strictly).
 * Blocking: it reads the file's headers.
 */
public final class ImageInspector {
  private ImageInspector() {}

  /** What the bytes say a file is. */
  public enum Format { RAW, QCOW2, QED, VMDK, VHD, VHDX, VDI, LUKS, ISO, PARALLELS }

  /** A file refused: the reason names what was found. */
  public static final class Refused extends RuntimeException {
    public Refused(String reason) {
      super(reason);
    }
  }

  /** Which detected formats each declared disk format accepts. */
  private static final Map<String, Set<Format>> ACCEPTS = Map.of(
      "raw", Set.of(Format.RAW, Format.ISO),
      "aki", Set.of(Format.RAW),
      "ari", Set.of(Format.RAW),
      "ami", Set.of(Format.RAW),
      "iso", Set.of(Format.ISO),
      "qcow2", Set.of(Format.QCOW2),
      "vmdk", Set.of(Format.VMDK),
      "vhd", Set.of(Format.VHD),
      "vhdx", Set.of(Format.VHDX),
      "vdi", Set.of(Format.VDI));

  private static final int HEAD = 64 * 1024;
  private static final long QCOW2_KNOWN_INCOMPATIBLE = 0b11001; // dirty, compression type, extended L2
  private static final long QCOW2_EXTERNAL_DATA = 0b00100;
  private static final int EXT_BACKING_FORMAT = 0xE2792ACA;
  private static final int EXT_DATA_FILE = 0x44415441;
  private static final int EXT_ENCRYPTION = 0x0537BE77;
  private static final Pattern VMDK_CREATE_TYPE = Pattern.compile("createType\\s*=\\s*\"([^\"]*)\"");
  private static final Set<String> VMDK_SELF_CONTAINED = Set.of("monolithicSparse", "streamOptimized");
  /** The VHDX metadata item that names a differencing disk's parent, as its GUID lies on disk. */
  private static final byte[] VHDX_PARENT_LOCATOR = guid("a8d35f2d-b30b-454d-abf7-d3d84834ab0c");

  /**
   * Checks {@code file} against the disk format its owner declared: the bytes must be of that
   * format and must reference nothing outside the file. Throws {@link Refused} otherwise.
   */
  public static Format check(Path file, String declaredFormat) throws IOException {
    if (declaredFormat.isEmpty()) {
      throw new Refused("Properties disk_format, container_format must be set prior to saving data.");
    }
    Set<Format> accepted = ACCEPTS.get(declaredFormat);
    if (accepted == null) throw new Refused("Disk format " + declaredFormat + " cannot be inspected");
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Format found = detect(channel);
      if (!accepted.contains(found)) {
        throw new Refused("Image content is " + found.name().toLowerCase() + ", not the declared disk format "
            + declaredFormat);
      }
      switch (found) {
        case QCOW2 -> checkQcow2(channel);
        case VMDK -> checkVmdk(channel);
        case VHD -> checkVhd(channel);
        case VHDX -> checkVhdx(channel);
        case VDI -> checkVdi(channel);
        default -> { } // raw and ISO images are read as plain bytes: they can reference nothing
      }
      return found;
    }
  }

  /** The format the bytes have, by their signatures; RAW when they have none of them. */
  static Format detect(FileChannel channel) throws IOException {
    ByteBuffer head = read(channel, 0, HEAD);
    if (startsWith(head, 0, "QFI\u00fb")) return Format.QCOW2;
    if (startsWith(head, 0, "QED\0")) return Format.QED;
    if (startsWith(head, 0, "KDMV") || startsWith(head, 0, "COWD") || startsWith(head, 0, "# Disk DescriptorFile")) {
      return Format.VMDK;
    }
    if (startsWith(head, 0, "vhdxfile")) return Format.VHDX;
    if (startsWith(head, 0, "conectix")) return Format.VHD;
    if (head.limit() >= 68 && head.order(ByteOrder.LITTLE_ENDIAN).getInt(64) == 0xBEDA107F) return Format.VDI;
    if (startsWith(head, 0, "LUKS\u00ba\u00be")) return Format.LUKS;
    if (startsWith(head, 0, "WithoutFreeSpace") || startsWith(head, 0, "WithouFreSpacExt")) return Format.PARALLELS;
    long size = channel.size();
    if (size >= 512 && startsWith(read(channel, size - 512, 8), 0, "conectix")) return Format.VHD; // fixed VHD
    if (startsWith(read(channel, 0x8001, 5), 0, "CD001")) return Format.ISO;
    return Format.RAW;
  }

  private static void checkQcow2(FileChannel channel) throws IOException {
    ByteBuffer h = read(channel, 0, HEAD).order(ByteOrder.BIG_ENDIAN);
    if (h.limit() < 72) throw new Refused("qcow2 header is truncated");
    int version = h.getInt(4);
    if (version != 2 && version != 3) throw new Refused("qcow2 version " + version + " is not supported");
    if (h.getLong(8) != 0) throw new Refused("qcow2 image has a backing file");
    int clusterBits = h.getInt(20);
    if (clusterBits < 9 || clusterBits > 21) throw new Refused("qcow2 cluster size is invalid");
    if (h.getInt(32) != 0) throw new Refused("qcow2 image is encrypted");
    int extensionsAt = 72;
    if (version == 3) {
      if (h.limit() < 104) throw new Refused("qcow2 header is truncated");
      long incompatible = h.getLong(72);
      if ((incompatible & QCOW2_EXTERNAL_DATA) != 0) throw new Refused("qcow2 image has an external data file");
      if ((incompatible & ~QCOW2_KNOWN_INCOMPATIBLE) != 0) {
        throw new Refused("qcow2 image has unknown incompatible features 0x" + Long.toHexString(incompatible));
      }
      extensionsAt = h.getInt(100);
      if (extensionsAt < 104 || extensionsAt > h.limit() - 8) throw new Refused("qcow2 header length is invalid");
    }
    int clusterEnd = (int) Math.min(1L << clusterBits, h.limit());
    for (int at = extensionsAt; ; ) {
      if (at + 8 > clusterEnd) throw new Refused("qcow2 header extensions do not end in the first cluster");
      int type = h.getInt(at);
      long length = Integer.toUnsignedLong(h.getInt(at + 4));
      if (type == 0) return;
      if (type == EXT_BACKING_FORMAT) throw new Refused("qcow2 image names a backing file format");
      if (type == EXT_DATA_FILE) throw new Refused("qcow2 image has an external data file");
      if (type == EXT_ENCRYPTION) throw new Refused("qcow2 image is encrypted");
      at += 8 + (int) ((length + 7) & ~7L);
    }
  }

  /** Only the self-contained sparse kinds: any other VMDK is a descriptor of extents in other files. */
  private static void checkVmdk(FileChannel channel) throws IOException {
    ByteBuffer h = read(channel, 0, 512).order(ByteOrder.LITTLE_ENDIAN);
    if (!startsWith(h, 0, "KDMV") || h.limit() < 44) throw new Refused("VMDK image is not a sparse extent");
    long descriptorSector = h.getLong(28);
    long descriptorSectors = h.getLong(36);
    if (descriptorSector <= 0 || descriptorSectors <= 0 || descriptorSectors > 2048) {
      throw new Refused("VMDK image has no embedded descriptor");
    }
    ByteBuffer d = read(channel, descriptorSector * 512, (int) (descriptorSectors * 512));
    String descriptor = StandardCharsets.ISO_8859_1.decode(d).toString();
    Matcher type = VMDK_CREATE_TYPE.matcher(descriptor);
    if (!type.find() || !VMDK_SELF_CONTAINED.contains(type.group(1))) {
      throw new Refused("VMDK create type " + (type.find(0) ? type.group(1) : "(none)") + " may reference other files");
    }
  }

  /** VHD footers say the disk type: 4 is a differencing disk, which names its parent's path. */
  private static void checkVhd(FileChannel channel) throws IOException {
    long size = channel.size();
    ByteBuffer footer = startsWith(read(channel, 0, 8), 0, "conectix") ? read(channel, 0, 512)
        : read(channel, size - 512, 512);
    if (footer.limit() < 64) throw new Refused("VHD footer is truncated");
    if (footer.order(ByteOrder.BIG_ENDIAN).getInt(60) == 4) throw new Refused("VHD image is a differencing disk");
  }

  private static void checkVhdx(FileChannel channel) throws IOException {
    ByteBuffer h = read(channel, 0, 4 * 1024 * 1024);
    if (indexOf(h, VHDX_PARENT_LOCATOR) >= 0) throw new Refused("VHDX image is a differencing disk");
  }

  /** VDI image types 3 (undo) and 4 (differencing) depend on another image. */
  private static void checkVdi(FileChannel channel) throws IOException {
    ByteBuffer h = read(channel, 0, 0x50).order(ByteOrder.LITTLE_ENDIAN);
    if (h.limit() < 0x50) throw new Refused("VDI header is truncated");
    int type = h.getInt(0x4C);
    if (type != 1 && type != 2) throw new Refused("VDI image type " + type + " depends on another image");
  }

  private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, Math.min(length, channel.size() - position)));
    while (b.hasRemaining() && channel.read(b, position + b.position()) >= 0) {
      // a file may hand its bytes over in parts
    }
    return b.flip();
  }

  private static boolean startsWith(ByteBuffer b, int at, String signature) {
    byte[] s = signature.getBytes(StandardCharsets.ISO_8859_1);
    if (b.limit() < at + s.length) return false;
    for (int i = 0; i < s.length; i++) if (b.get(at + i) != s[i]) return false;
    return true;
  }

  private static int indexOf(ByteBuffer b, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= b.limit(); i++) {
      for (int j = 0; j < needle.length; j++) if (b.get(i + j) != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** A GUID's bytes as Microsoft lays them out: the first three fields little-endian. */
  private static byte[] guid(String text) {
    String hex = text.replace("-", "");
    byte[] raw = java.util.HexFormat.of().parseHex(hex);
    return new byte[] {raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6],
        raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]};
  }
}
