package nimbus.config;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** An image registered at start from configuration (paths as the hosts see them). */
public record ImageSeed(String name, String kernel, String ramdisk, String disk, String diskFormat) {

  private static final Set<String> FORMATS = Set.of("qcow2", "raw");

  static List<ImageSeed> listFrom(Config nimbus) {
    List<ImageSeed> seeds = new ArrayList<>();
    for (Config c : nimbus.getConfigList("images")) {
      String format = c.getString("disk-format");
      if (!FORMATS.contains(format)) {
        throw new SettingsException("nimbus.images.disk-format", "unknown format '" + format + "'",
            "use one of " + FORMATS);
      }
      seeds.add(new ImageSeed(c.getString("name"), c.getString("kernel"), c.getString("ramdisk"),
          c.getString("disk"), format));
    }
    return List.copyOf(seeds);
  }
}
