package nimbus.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * All of a node's settings, typed and validated. Built only through {@link #load}, so a value
 * that exists is a value that was checked.
 */
public record NimbusSettings(
    Set<Role> roles,
    Path dataDir,
    ClusterSettings cluster,
    DatabaseSettings database,
    ApiSettings api,
    HostSettings host,
    ComputeSettings compute,
    NetworkSettings network,
    IdentitySettings identity,
    ImageStoreSettings imageStore,
    List<ImageSeed> images,
    VolumeBackendSettings volumeBackend) {

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** Settings from the defaults, an optional file and overrides (which win). */
  public static NimbusSettings load(Optional<Path> file, Config overrides) {
    Config fromFile = ConfigFactory.empty();
    if (file.isPresent()) {
      Path path = file.get();
      if (!Files.isReadable(path)) {
        throw new SettingsException("--config", "cannot read " + path,
            "give the path of a readable HOCON file");
      }
      try {
        fromFile = ConfigFactory.parseFile(path.toFile(),
            ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new SettingsException("--config", firstLine(e.getMessage()), "fix the file's syntax");
      }
    }
    Config merged;
    try {
      // The reference unresolved: its ${nimbus.data-dir} then follows a data-dir set by the file,
      // the command line or NIMBUS_DATA_DIR, not the default it had on its own.
      merged = overrides.withFallback(fromFile).withFallback(ConfigFactory.defaultReferenceUnresolved())
          .resolve();
    } catch (ConfigException e) {
      throw new SettingsException("configuration", firstLine(e.getMessage()), "fix the value");
    }
    return from(merged.getConfig("nimbus"));
  }

  /**
   * Settings from a resolved {@code nimbus} block. Every path is made absolute here, against the
   * working directory at start, before anything uses it: libvirt and QEMU run elsewhere.
   */
  public static NimbusSettings from(Config c) {
    try {
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String r : c.getStringList("roles")) roles.add(Role.parse(r));
      if (roles.isEmpty()) {
        throw new SettingsException("nimbus.roles", "no role given", "use control, compute or both");
      }
      Path dataDir = Path.of(c.getString("data-dir")).toAbsolutePath().normalize();
      return new NimbusSettings(
          roles,
          dataDir,
          ClusterSettings.from(c.getConfig("cluster")),
          DatabaseSettings.from(c.getConfig("database"), dataDir),
          ApiSettings.from(c.getConfig("api")),
          HostSettings.from(c.getConfig("host"), dataDir),
          ComputeSettings.from(c.getConfig("compute")),
          NetworkSettings.from(c.getConfig("network")),
          IdentitySettings.from(c.getConfig("identity")),
          ImageStoreSettings.from(c.getConfig("image-store"), dataDir),
          ImageSeed.listFrom(c, Path.of("").toAbsolutePath()),
          VolumeBackendSettings.from(c.getConfig("host")));
    } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue e) {
      throw new SettingsException("configuration", firstLine(e.getMessage()),
          "see config/src/main/resources/reference.conf for its form");
    }
  }

  static String firstLine(String message) {
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
