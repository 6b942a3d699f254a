package nimbus.compute;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a guest may learn about itself, through the metadata service or its config drive; its
 * host builds OpenStack's and EC2's documents from it. {@code userData} is base64 as the user
 * gave it; {@code publicKey} is the key pair's key as it was when the server was created.
 */
public record InstanceMetadata(String serverId, String name, String projectId, String availabilityZone,
    Map<String, String> meta, Optional<String> keyName, Optional<String> publicKey,
    Optional<String> userData, boolean configDrive) implements CborSerializable {

  public InstanceMetadata {
    meta = meta == null ? Map.of() : Map.copyOf(meta);
    if (keyName == null) keyName = Optional.empty();
    if (publicKey == null) publicKey = Optional.empty();
    if (userData == null) userData = Optional.empty();
  }

  /** What the server's spec lets its guest see. */
  public static InstanceMetadata of(String serverId, ServerSpec spec) {
    return new InstanceMetadata(serverId, spec.name(), spec.projectId(),
        spec.availabilityZone().orElse("nova"), spec.metadata(), spec.keyName(), spec.publicKey(),
        spec.userData(), spec.configDrive());
  }

  /** The guest's host name, made from its display name as Nova's {@code sanitize_hostname} does. */
  public String hostname() {
    String h = name.toLowerCase(Locale.ROOT).replaceAll("[ _.]", "-").replaceAll("[^a-z0-9-]", "")
        .replaceAll("^-+|-+$", "");
    if (h.length() > 63) h = h.substring(0, 63).replaceAll("-+$", "");
    return h.isEmpty() ? "server-" + serverId : h;
  }
}
