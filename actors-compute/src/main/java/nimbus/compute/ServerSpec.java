package nimbus.compute;

import java.util.Map;
import nimbus.cluster.CborSerializable;

/** What a user asked for when creating a server (already checked by whoever sends it). */
public record ServerSpec(String name, String projectId, String userId, Flavor flavor,
    BootSource boot, Map<String, String> metadata) implements CborSerializable {

  public ServerSpec withName(String newName) {
    return new ServerSpec(newName, projectId, userId, flavor, boot, metadata);
  }
}
