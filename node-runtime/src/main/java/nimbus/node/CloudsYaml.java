package nimbus.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import nimbus.config.NimbusSettings;

/**
 * The {@code clouds.yaml} that points the openstack CLI at an all-in-one node (cloud name
 * {@code nimbus}). It holds the admin password, so only its owner may read it.
 */
final class CloudsYaml {
  private CloudsYaml() {}

  /** Writes the file when the password is known now; an earlier file stays as it is otherwise. */
  static Path write(NimbusSettings settings, String apiUrl, Optional<String> generatedPassword) {
    Path file = settings.dataDir().resolve("clouds.yaml");
    Optional<String> password = generatedPassword.or(() -> settings.identity().adminPassword());
    if (password.isEmpty() && Files.exists(file)) return file;
    String yaml = """
        clouds:
          nimbus:
            auth:
              auth_url: %s/identity/v3
              username: admin
              password: "%s"
              project_name: admin
              user_domain_name: Default
              project_domain_name: Default
            region_name: RegionOne
            identity_api_version: 3
            interface: public
        """.formatted(apiUrl, password.orElse("SET-ME").replace("\\", "\\\\").replace("\"", "\\\""));
    try {
      if (!Files.exists(file)) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }
}
