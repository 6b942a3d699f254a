package nimbus.edge.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import nimbus.config.IdentitySettings;

/**
 * The keys tokens are sealed with: from the settings, or (all-in-one) one generated at first
 * start into a file only its owner can read.
 */
public final class TokenKeys {
  private TokenKeys() {}

  public static List<byte[]> load(IdentitySettings settings, Path dataDir) throws IOException {
    if (!settings.tokenKeys().isEmpty()) return settings.tokenKeys();
    Path file = dataDir.resolve("token-keys");
    if (!Files.exists(file)) {
      Files.createDirectories(dataDir);
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n");
    }
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::trim)
        .filter(l -> !l.isEmpty()).map(l -> Base64.getDecoder().decode(l)).toList();
  }
}
