package nimbus.node.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import nimbus.node.metadata.ConfigDriveImage;
import nimbus.node.metadata.MetadataDocuments;

/**
 * Writes a server's config drive: its metadata documents laid out in a scratch directory beside
 * the image (private to the agent's user, as the image is), then {@link ConfigDriveImage#genisoimage}
 * over them. The image replaces the old one
 * only once whole, so a spawn sent again never leaves a half-written drive. Blocking.
 */
final class ConfigDrive {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final CommandRunner commands;

  ConfigDrive(CommandRunner commands) {
    this.commands = commands;
  }

  void write(MetadataDocuments documents, Path iso) throws IOException {
    Path dir = iso.toAbsolutePath().getParent();
    Path tree = Files.createTempDirectory(dir, "config-drive-");
    Path building = dir.resolve(iso.getFileName() + ".new");
    try {
      for (Map.Entry<String, byte[]> file : documents.configDriveFiles().entrySet()) {
        Path path = tree.resolve(file.getKey()).normalize();
        // the names are the builder's own, never a tenant's; checked all the same
        if (!path.startsWith(tree)) throw new IllegalStateException("config drive file outside its tree: " + file.getKey());
        Files.createDirectories(path.getParent());
        Files.write(path, file.getValue());
      }
      Files.deleteIfExists(building);
      commands.run(ConfigDriveImage.genisoimage(tree, building), TIMEOUT);
      // user data may hold a tenant's secrets: no other user of the host reads them (QEMU runs as root)
      Files.setPosixFilePermissions(building, PosixFilePermissions.fromString("rw-------"));
      Files.move(building, iso, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(building);
      try (Stream<Path> files = Files.walk(tree)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }
}
