package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP API: where it listens, how large a body may be, how long it waits for entities, and
 * how long a read-side projection may stand still behind the journal before readiness fails, and
 * the operator's policy file (rules that override the API's defaults), if any.
 */
public record ApiSettings(String host, int port, long maxBodyBytes, Duration askTimeout, Duration projectionStallAfter,
    Optional<Tls> tls, Optional<Path> policyFile) {

  /** The API's certificate and key, PEM files. */
  public record Tls(Path certFile, Path keyFile) {}

  public String scheme() {
    return tls.isPresent() ? "https" : "http";
  }

  static ApiSettings from(Config c) {
    long max = c.getBytes("max-body-bytes");
    if (max < 1024) {
      throw new SettingsException("nimbus.api.max-body-bytes", max + " bytes is too small",
          "allow at least 1 KiB");
    }
    return new ApiSettings(c.getString("host"), Ports.check("nimbus.api.port", c.getInt("port"), true),
        max, c.getDuration("ask-timeout"), c.getDuration("projection-stall-after"), tls(c), policyFile(c));
  }

  /** Only that the file is readable: its rules are checked by the API, which knows their names. */
  private static Optional<Path> policyFile(Config c) {
    String file = c.getString("policy-file");
    if (file.isBlank()) return Optional.empty();
    Path path = Path.of(file).toAbsolutePath();
    if (!Files.isReadable(path)) {
      throw new SettingsException("nimbus.api.policy-file", "cannot read " + file,
          "give a readable JSON or HOCON file of rule names to check strings, or leave it empty");
    }
    return Optional.of(path);
  }

  private static Optional<Tls> tls(Config c) {
    String cert = c.getString("tls-cert-file");
    String key = c.getString("tls-key-file");
    if (cert.isBlank() && key.isBlank()) return Optional.empty();
    if (cert.isBlank() || key.isBlank()) {
      throw new SettingsException("nimbus.api.tls-cert-file", "HTTPS needs both a certificate and a key",
          "set tls-cert-file and tls-key-file, or neither");
    }
    for (String file : java.util.List.of(cert, key)) {
      if (!Files.isReadable(Path.of(file))) {
        throw new SettingsException("nimbus.api.tls-cert-file", "cannot read " + file, "give readable PEM files");
      }
    }
    return Optional.of(new Tls(Path.of(cert).toAbsolutePath(), Path.of(key).toAbsolutePath()));
  }
}
