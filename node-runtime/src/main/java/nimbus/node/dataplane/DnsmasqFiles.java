package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The files a dnsmasq reads: it reads them after it has dropped root, so every directory on the
 * way must be searchable by others and every file readable; and it reads new files as they
 * appear, so each is written beside and moved in whole.
 */
final class DnsmasqFiles {
  private DnsmasqFiles() {}

  /**
   * Makes {@code dir} (readable by all) and checks that dnsmasq can reach it: without a path it
   * may search, it would serve no lease at all, and say so only in a log nobody reads.
   */
  static void makeReadable(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    for (Path d = dir; d != null; d = d.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          throw new IllegalStateException(d + " is not searchable by others, so dnsmasq cannot read the leases in "
              + dir + " (chmod o+x, or set nimbus.host.local-network.dhcp-dir elsewhere)");
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the permissions of " + d + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Writes {@code content} to {@code file} unless it holds it already: written beside its
   * directory and moved in whole, so dnsmasq never reads half a file. Answers whether it changed.
   */
  static boolean write(Path file, String content) {
    try {
      if (Files.exists(file) && Files.readString(file).equals(content)) return false;
      Path dir = file.getParent();
      Path partial = Files.writeString(dir.resolveSibling("." + dir.getFileName() + "-" + file.getFileName()), content);
      Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
