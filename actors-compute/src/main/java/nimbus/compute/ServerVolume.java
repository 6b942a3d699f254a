package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume attached to a server (Nova's volume attachment): its id, the attachment's, its device
 * in the domain, and where its storage host exported it ({@code path}, a host's file, never shown
 * to users). The path goes with every spawn of the server, so a domain defined again (resized,
 * rebuilt, or lost with its host) keeps its volumes.
 */
public record ServerVolume(String volumeId, String attachmentId, String device, Optional<String> path)
    implements CborSerializable {
  public ServerVolume {
    if (path == null) path = Optional.empty(); // attached before the path was kept
  }
}
