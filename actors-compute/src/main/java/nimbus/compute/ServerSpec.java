package nimbus.compute;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a user asked for when creating a server (already checked by whoever sends it); {@code group}
 * is the server group it belongs to and {@code availabilityZone} the zone it asked for, if any.
 * What its guest reads about itself: {@code publicKey}, the key pair's key as it was at create
 * (the guest keeps it when the key pair is deleted, as in Nova), {@code userData} (base64, as
 * given) and whether it asked for a {@code configDrive}; its {@code access} addresses, as the user gave them;
 * its {@code description} (2.19) and {@code tags} (2.26, in the order they were given); its
 * {@code launch}: which create made it (Nova's reservation id and launch index, 2.3).
 */
public record ServerSpec(String name, String projectId, String userId, Flavor flavor,
    BootSource boot, Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
    Optional<String> availabilityZone, ServerNetworks networks, Optional<String> publicKey,
    Optional<String> userData, boolean configDrive, AccessAddresses access, Optional<String> description,
    List<String> tags, Optional<Launch> launch) implements CborSerializable {

  /**
   * Which create made the server: its {@code reservationId}, shared by the servers of one create,
   * its {@code index} among them, and the {@code hostname} its name gave it then (a rename keeps it).
   */
  public record Launch(String reservationId, int index, String hostname) implements CborSerializable {}

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
    if (description == null) description = Optional.empty();
    tags = tags == null ? List.of() : List.copyOf(tags);
    if (launch == null) launch = Optional.empty();
  }

  /** A server without description, tags or launch (as asked for before 2.19). */
  public ServerSpec(String name, String projectId, String userId, Flavor flavor,
      BootSource boot, Map<String, String> metadata, Optional<String> keyName, Optional<Placement> group,
      Optional<String> availabilityZone, ServerNetworks networks, Optional<String> publicKey,
      Optional<String> userData, boolean configDrive, AccessAddresses access) {
    this(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone, networks, publicKey,
        userData, configDrive, access, Optional.empty(), List.of(), Optional.empty());
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
        networks, publicKey, userData, configDrive, access, description, tags, launch);
  }

  public ServerSpec withFlavor(Flavor newFlavor) {
    return new ServerSpec(name, projectId, userId, newFlavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access, description, tags, launch);
  }

  /** The spec with other metadata (the server-metadata routes): the guest's data stay. */
  public ServerSpec withMetadata(Map<String, String> newMetadata) {
    return new ServerSpec(name, projectId, userId, flavor, boot, Map.copyOf(newMetadata), keyName, group,
        availabilityZone, networks, publicKey, userData, configDrive, access, description, tags, launch);
  }

  /** The same server from another boot source: a rebuild keeps its user data, key and config drive. */
  public ServerSpec withBoot(BootSource newBoot) {
    return new ServerSpec(name, projectId, userId, flavor, newBoot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access, description, tags, launch);
  }

  public ServerSpec withAccess(AccessAddresses newAccess) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, newAccess, description, tags, launch);
  }

  /** The spec with what its guest reads about itself. */
  public ServerSpec withGuestData(Optional<String> newPublicKey, Optional<String> newUserData, boolean newConfigDrive) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, newPublicKey, newUserData, newConfigDrive, access, description, tags, launch);
  }

  public ServerSpec withDescription(Optional<String> newDescription) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access, newDescription, tags, launch);
  }

  public ServerSpec withTags(List<String> newTags) {
    return new ServerSpec(name, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access, description, newTags, launch);
  }

  /**
   * Server {@code serverId}, number {@code index} (from 0) of the {@code count} the create
   * {@code reservationId} asked for: Nova names several name-1, name-2, ... and gives each a
   * hostname made from its name.
   */
  public ServerSpec launched(String reservationId, String serverId, int count, int index) {
    String newName = count == 1 ? name : name + "-" + (index + 1);
    return new ServerSpec(newName, projectId, userId, flavor, boot, metadata, keyName, group, availabilityZone,
        networks, publicKey, userData, configDrive, access, description, tags,
        Optional.of(new Launch(reservationId, index, Hostnames.of(name, serverId, count, index))));
  }
}
