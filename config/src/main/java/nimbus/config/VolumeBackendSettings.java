package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which storage backend a host's storage agent serves ({@code nimbus.host.storage-backend}:
 * {@code pool} or {@code rbd}), under which name ({@code nimbus.host.volume-backend-name}, what a
 * volume type's {@code volume_backend_name} asks for), and its Ceph client ({@code nimbus.host.ceph}).
 * The keyring is also what a compute host's guests open RBD volumes with; without it, the host
 * attaches none.
 */
public record VolumeBackendSettings(String storageBackend, String name, Optional<Path> conf, Optional<Path> keyring,
    String user, String pool, String nbdPorts) {

  public boolean rbd() {
    return storageBackend.equals("rbd");
  }

  /** Reads {@code host}, the {@code nimbus.host} section. */
  public static VolumeBackendSettings from(Config host) {
    String backend = host.getString("storage-backend");
    if (!backend.equals("pool") && !backend.equals("rbd")) {
      throw new SettingsException("nimbus.host.storage-backend", "unknown storage backend '" + backend + "'",
          "use pool (the libvirt pool of storage-pool-type) or rbd (a Ceph pool)");
    }
    Config c = host.getConfig("ceph");
    String user = name(c, "user");
    String pool = name(c, "pool");
    Optional<Path> conf = file(c, "conf", backend.equals("rbd"));
    Optional<Path> keyring = file(c, "keyring", backend.equals("rbd"));
    return new VolumeBackendSettings(backend, host.getString("volume-backend-name"), conf, keyring, user, pool,
        host.getString("nbd-ports"));
  }

  private static String name(Config c, String key) {
    String value = c.getString(key);
    if (!value.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new SettingsException("nimbus.host.ceph." + key, "'" + value + "' is not a Ceph name",
          "use letters, digits, '_', '.' and '-'");
    }
    return value;
  }

  private static Optional<Path> file(Config c, String key, boolean required) {
    String value = c.getString(key);
    if (value.isBlank()) {
      if (required) {
        throw new SettingsException("nimbus.host.ceph." + key, "storage-backend = rbd needs the cluster's " + key,
            "set nimbus.host.ceph." + key + " to its file");
      }
      return Optional.empty();
    }
    Path path = Path.of(value).toAbsolutePath().normalize();
    // QEMU's rbd: string separates its fields with ':'
    if (path.toString().contains(":") || !Files.isReadable(path)) {
      throw new SettingsException("nimbus.host.ceph." + key, "'" + path + "' is not a readable file without ':'",
          "give the path of the cluster's " + key);
    }
    return Optional.of(path);
  }
}
