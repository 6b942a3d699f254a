package nimbus.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import nimbus.config.DatabaseSettings;
import nimbus.config.NimbusSettings;
import nimbus.config.SettingsException;

/**
 * What only the node's own user may read: the embedded database, the image store (tenants'
 * bytes), the token keys and the admin's clouds.yaml. Made so at every start, so a data
 * directory from an earlier version, or one copied with a loose umask, is mended too.
 */
final class PrivateFiles {
  private PrivateFiles() {}

  static void protect(NimbusSettings settings) {
    Path data = settings.dataDir();
    try {
      Files.createDirectories(data);
      if (settings.database().kind() == DatabaseSettings.Kind.H2 && settings.database().url().startsWith("jdbc:h2:file:")) {
        privateDir(data.resolve("db"));
      }
      privateDir(settings.imageStore().dir());
      for (Path secret : List.of(data.resolve("token-keys"), data.resolve("clouds.yaml"))) {
        if (Files.exists(secret)) Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
      }
    } catch (IOException e) {
      throw new SettingsException("nimbus.data-dir", "cannot make " + data + " private: " + e.getMessage(),
          "start the node as the user that owns it");
    }
  }

  private static void privateDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }
}
