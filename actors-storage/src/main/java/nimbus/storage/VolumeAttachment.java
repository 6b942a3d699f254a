package nimbus.storage;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume's attachment to a server, as Cinder's volume view lists it: {@code id} is the
 * attachment's id, {@code device} and {@code hostName} are known once the server's host has the
 * disk ({@code attachedAt}). {@code declared}: only recorded through Cinder's {@code os-reserve}
 * or {@code os-attach} by whoever connects the disk themselves; no host of this cloud holds it, so
 * Cinder's {@code os-detach} may end it (one made through the compute API only the server ends).
 */
public record VolumeAttachment(String id, String serverId, Optional<String> device, Optional<String> hostName,
    Optional<Instant> attachedAt, boolean declared) implements CborSerializable {

  /** Reserved for the server, before its host has the disk. */
  public static VolumeAttachment reserved(String id, String serverId) {
    return new VolumeAttachment(id, serverId, Optional.empty(), Optional.empty(), Optional.empty(), false);
  }

  /** Declared through Cinder's API: reserved (no server yet), or in use by {@code serverId} at {@code device}. */
  static VolumeAttachment declared(String id, String serverId, Optional<String> device, Optional<String> hostName,
      Optional<Instant> at) {
    return new VolumeAttachment(id, serverId, device, hostName, at, true);
  }

  VolumeAttachment attached(String dev, String host, Instant at) {
    return new VolumeAttachment(id, serverId, Optional.of(dev), Optional.of(host), Optional.of(at), declared);
  }
}
