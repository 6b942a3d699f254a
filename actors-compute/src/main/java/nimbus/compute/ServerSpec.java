package nimbus.compute;

import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a user asked for when creating a server (already checked by whoever sends it); {@code group}
 * is the server group it belongs to and {@code availabilityZone} the zone it asked for, if any.
 */
public record ServerSpec(String name, String projectId, String userId, Flavor flavor,
    BootSource boot, Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
    Optional<String> availabilityZone, ServerNetworks networks) implements CborSerializable {

  /** Servers asked for before tenant networks have no {@code networks}: the host-local one. */
  public ServerSpec {
    if (networks == null) networks = ServerNetworks.HOST_LOCAL;
  }

  /** A server on its host's local network. */
  public ServerSpec(String name, String projectId, String userId, Flavor flavor, BootSource boot,
      Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
      Optional<String> availabilityZone) {
    this(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone, ServerNetworks.HOST_LOCAL);
  }

  /** What the server asks of its host. */
  public Demand demand() {
    return new Demand(flavor.resources(), availabilityZone, group);
  }

  public ServerSpec withName(String newName) {
    return new ServerSpec(newName, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone, networks);
  }

  public ServerSpec withFlavor(Flavor newFlavor) {
    return new ServerSpec(name, projectId, userId, newFlavor, boot, metadata, keyName, group, availabilityZone, networks);
  }

  public ServerSpec withMetadata(Map<String, String> newMetadata) {
    return new ServerSpec(name, projectId, userId, flavor, boot, Map.copyOf(newMetadata), keyName, group, availabilityZone, networks);
  }

  public ServerSpec withBoot(BootSource newBoot) {
    return new ServerSpec(name, projectId, userId, flavor, newBoot, metadata, keyName, group, availabilityZone, networks);
  }
}
