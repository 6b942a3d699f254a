package nimbus.config;

import java.util.Locale;

/** What a node does in the cluster. */
public enum Role {
  /** API, entities and read side. */
  CONTROL,
  /** A HostAgent that runs servers on this machine. */
  COMPUTE,
  /** A program that only sends messages to entities (no shards, no agent). */
  CLIENT;

  /** The name Pekko cluster roles use. */
  public String clusterRole() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Role parse(String value) {
    for (Role role : values()) {
      if (role.clusterRole().equals(value)) return role;
    }
    throw new SettingsException("nimbus.roles", "unknown role '" + value + "'",
        "use control, compute or client");
  }
}
