package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An image registered at start from configuration: files as the hosts see them, as absolute
 * paths (empty strings: no such file).
 */
public record ImageSeed(String name, String kernel, String ramdisk, String disk, String diskFormat) {

  private static final Set<String> FORMATS = Set.of("qcow2", "raw");

  static List<ImageSeed> listFrom(Config nimbus, Path workingDir) {
    List<ImageSeed> seeds = new ArrayList<>();
    for (Config c : nimbus.getConfigList("images")) {
      String format = c.getString("disk-format");
      if (!FORMATS.contains(format)) {
        throw new SettingsException("nimbus.images.disk-format", "unknown format '" + format + "'",
            "use one of " + FORMATS);
      }
      seeds.add(new ImageSeed(c.getString("name"), absolute(c.getString("kernel"), workingDir),
          absolute(c.getString("ramdisk"), workingDir), absolute(c.getString("disk"), workingDir), format));
    }
    return List.copyOf(seeds);
  }

  private static String absolute(String path, Path workingDir) {
    return path.isBlank() ? "" : workingDir.resolve(path).normalize().toString();
  }

  /** The seed's files that exist nowhere on this machine (for a node that is also its host). */
  public List<Path> missingFiles() {
    return Stream.of(kernel, ramdisk, disk).filter(f -> !f.isBlank()).map(Path::of)
        .filter(f -> !Files.isReadable(f)).toList();
  }
}
