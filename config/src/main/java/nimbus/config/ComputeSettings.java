package nimbus.config;

import com.typesafe.config.Config;
import java.time.Duration;

/** How servers are scheduled and how long their steps may take. */
public record ComputeSettings(
    Duration buildTimeout,
    Duration taskTimeout,
    Duration stepRetryInterval,
    int maxBuildAttempts,
    Weigher weigher,
    Duration hostDownAfter,
    int quotaInstances,
    int quotaCores,
    int quotaRamMb,
    Duration snapshotTimeout,
    int quotaServerGroups,
    int quotaServerGroupMembers) {

  /** Which host wins among those that fit. */
  public enum Weigher { SPREAD, PACK }

  static ComputeSettings from(Config c) {
    Weigher weigher = switch (c.getString("weigher")) {
      case "spread" -> Weigher.SPREAD;
      case "pack" -> Weigher.PACK;
      default -> throw new SettingsException("nimbus.compute.weigher",
          "unknown weigher '" + c.getString("weigher") + "'", "use spread or pack");
    };
    int attempts = c.getInt("max-build-attempts");
    if (attempts < 1) {
      throw new SettingsException("nimbus.compute.max-build-attempts", attempts + " is below 1",
          "use 1 or more");
    }
    return new ComputeSettings(c.getDuration("build-timeout"), c.getDuration("task-timeout"),
        c.getDuration("step-retry-interval"), attempts, weigher, c.getDuration("host-down-after"),
        c.getInt("default-quota.instances"), c.getInt("default-quota.cores"), c.getInt("default-quota.ram-mb"),
        c.getDuration("snapshot-timeout"), c.getInt("default-quota.server-groups"),
        c.getInt("default-quota.server-group-members"));
  }

  /** Defaults, for tests and tools that do not read a file. */
  public static ComputeSettings defaults() {
    return from(com.typesafe.config.ConfigFactory.defaultReference().resolve()
        .getConfig("nimbus.compute"));
  }
}
