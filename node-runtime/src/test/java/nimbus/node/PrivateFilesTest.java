package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import nimbus.config.NimbusSettings;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data directory left readable by others (an older version's, a loose umask) is mended at start. */
class PrivateFilesTest {
  @TempDir
  Path data;

  @Test
  void theDatabaseTheImageStoreAndTheSecretsBecomeTheOwnersAlone() throws Exception {
    NimbusSettings settings = TestConfig.allInOne(data, Map.of("nimbus.database.url",
        "jdbc:h2:file:" + data.resolve("db/nimbus") + ";DATABASE_TO_UPPER=false"));
    Files.createDirectories(data.resolve("db"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.writeString(data.resolve("clouds.yaml"), "clouds: {}");
    Files.setPosixFilePermissions(data.resolve("clouds.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(data.resolve("token-keys"), "key");
    Files.setPosixFilePermissions(data.resolve("token-keys"), PosixFilePermissions.fromString("rw-rw-rw-"));

    PrivateFiles.protect(settings);

    assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(data.resolve("db")));
    assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(settings.imageStore().dir()));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(data.resolve("clouds.yaml")));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(data.resolve("token-keys")));
  }
}
