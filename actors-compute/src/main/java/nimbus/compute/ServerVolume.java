package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume attached to a server (Nova's volume attachment): its id, the attachment's, its device
 * in the domain, and where its storage host exported it ({@code path}, a host's file, never shown
 * to users). The path goes with every spawn of the server, so a domain defined again (resized,
 * rebuilt, or lost with its host) keeps its volumes. {@code deleteOnTermination}: the volume goes
 * with the server (a boot volume asked for so; attached volumes never are).
 */
public record ServerVolume(String volumeId, String attachmentId, String device, Optional<String> path,
    boolean deleteOnTermination) implements CborSerializable {
  public ServerVolume {
    if (path == null) path = Optional.empty(); // attached before the path was kept
  }

  public ServerVolume(String volumeId, String attachmentId, String device, Optional<String> path) {
    this(volumeId, attachmentId, device, path, false);
  }

  ServerVolume deletedWithServer(boolean delete) {
    return new ServerVolume(volumeId, attachmentId, device, path, delete);
  }
}
