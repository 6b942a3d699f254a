package nimbus.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The HTTP API: where it listens, how large a body may be, how long it waits for entities, and
 * how long a read-side projection may stand still behind the journal before readiness fails.
 */
public record ApiSettings(String host, int port, long maxBodyBytes, Duration askTimeout, Duration projectionStallAfter) {

  static ApiSettings from(Config c) {
    long max = c.getBytes("max-body-bytes");
    if (max < 1024) {
      throw new SettingsException("nimbus.api.max-body-bytes", max + " bytes is too small",
          "allow at least 1 KiB");
    }
    return new ApiSettings(c.getString("host"), Ports.check("nimbus.api.port", c.getInt("port"), true),
        max, c.getDuration("ask-timeout"), c.getDuration("projection-stall-after"));
  }
}
