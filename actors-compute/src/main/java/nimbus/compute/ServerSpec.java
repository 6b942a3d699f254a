package nimbus.compute;

import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a user asked for when creating a server (already checked by whoever sends it); {@code group}
 * is the server group it belongs to and {@code availabilityZone} the zone it asked for, if any.
 * What its guest reads about itself: {@code publicKey}, the key pair's key as it was at create
 * (the guest keeps it when the key pair is deleted, as in Nova), {@code userData} (base64, as
 * given) and whether it asked for a {@code configDrive}; its {@code access} addresses, as the user gave them.
 */
public record ServerSpec(String name, String projectId, String userId, Flavor flavor,
    BootSource boot, Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
    Optional<String> availabilityZone, ServerNetworks networks, Optional<String> publicKey,
    Optional<String> userData, boolean configDrive, AccessAddresses access) implements CborSerializable {

  /**
   * Servers asked for before tenant networks have no {@code networks}: the host-local one;
   * before the metadata service, no key, no user data (and no config drive); before access
   * addresses, none.
   */
  public ServerSpec {
    if (networks == null) networks = ServerNetworks.HOST_LOCAL;
    if (publicKey == null) publicKey = Optional.empty();
    if (userData == null) userData = Optional.empty();
    if (access == null) access = AccessAddresses.NONE;
  }

  /** A server on its host's local network. */
  public ServerSpec(String name, String projectId, String userId, Flavor flavor, BootSource boot,
      Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
      Optional<String> availabilityZone) {
    this(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone, ServerNetworks.HOST_LOCAL);
  }

  /** A server without user data, config drive or captured key. */
  public ServerSpec(String name, String projectId, String userId, Flavor flavor, BootSource boot,
      Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
      Optional<String> availabilityZone, ServerNetworks networks) {
    this(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone, networks,
        Optional.empty(), Optional.empty(), false, AccessAddresses.NONE);
  }

  /** What the server asks of its host. */
  public Demand demand() {
    return new Demand(flavor.resources(), availabilityZone, group);
  }

  public ServerSpec withName(String newName) {
    return new ServerSpec(newName, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access);
  }

  public ServerSpec withFlavor(Flavor newFlavor) {
    return new ServerSpec(name, projectId, userId, newFlavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access);
  }

  /** The spec with other metadata (the server-metadata routes): the guest's data stay. */
  public ServerSpec withMetadata(Map<String, String> newMetadata) {
    return new ServerSpec(name, projectId, userId, flavor, boot, Map.copyOf(newMetadata), keyName, group,
        availabilityZone, networks, publicKey, userData, configDrive, access);
  }

  /** The same server from another boot source: a rebuild keeps its user data, key and config drive. */
  public ServerSpec withBoot(BootSource newBoot) {
    return new ServerSpec(name, projectId, userId, flavor, newBoot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access);
  }

  public ServerSpec withAccess(AccessAddresses newAccess) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, newAccess);
  }

  /** The spec with what its guest reads about itself. */
  public ServerSpec withGuestData(Optional<String> newPublicKey, Optional<String> newUserData, boolean newConfigDrive) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, newPublicKey, newUserData, newConfigDrive, access);
  }
}
