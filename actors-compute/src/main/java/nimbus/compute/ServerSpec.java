package nimbus.compute;

import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/** What a user asked for when creating a server (already checked by whoever sends it). */
public record ServerSpec(String name, String projectId, String userId, Flavor flavor,
    BootSource boot, Map<String, String> metadata, Optional<String> keyName) implements CborSerializable {

  public ServerSpec withName(String newName) {
    return new ServerSpec(newName, projectId, userId, flavor, boot, metadata, keyName);
  }

  public ServerSpec withFlavor(Flavor newFlavor) {
    return new ServerSpec(name, projectId, userId, newFlavor, boot, metadata, keyName);
  }

  public ServerSpec withBoot(BootSource newBoot) {
    return new ServerSpec(name, projectId, userId, flavor, newBoot, metadata, keyName);
  }
}
