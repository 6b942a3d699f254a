package nimbus.storage;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume's attachment to a server, as Cinder's volume view lists it: {@code id} is the
 * attachment's id, {@code device} and {@code hostName} are known once the server's host has the
 * disk ({@code attachedAt}).
 */
public record VolumeAttachment(String id, String serverId, Optional<String> device, Optional<String> hostName,
    Optional<Instant> attachedAt) implements CborSerializable {

  /** Reserved for the server, before its host has the disk. */
  public static VolumeAttachment reserved(String id, String serverId) {
    return new VolumeAttachment(id, serverId, Optional.empty(), Optional.empty(), Optional.empty());
  }

  VolumeAttachment attached(String dev, String host, Instant at) {
    return new VolumeAttachment(id, serverId, Optional.of(dev), Optional.of(host), Optional.of(at));
  }
}
