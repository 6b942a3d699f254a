package nimbus.compute;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * A server's ports, as steps of its build and its delete. Every call is idempotent: the ports a
 * server makes have ids derived from the server's id and the NIC's place ({@link #portId}).
 */
public interface ServerPorts {

  /** A port to give back: the server's own (deleted), or the user's (let go), with its network if known. */
  record PortRef(String portId, java.util.Optional<String> networkId, boolean owned) {}

  /** One more port of the server, with id {@code portId} if the server makes it (a NIC attached later). */
  CompletionStage<StatusReply<ServerPort>> allocateOne(String serverId, String projectId, NicRequest nic, String portId);

  /** The server's ports: made on the networks asked for, or the user's ports claimed for it. */
  CompletionStage<StatusReply<List<ServerPort>>> allocate(String serverId, String projectId, List<NicRequest> nics);

  /** The ports are bound to {@code host}, whose agent plugs them. */
  CompletionStage<StatusReply<Done>> bind(List<ServerPort> ports, String host);

  /** The ports the server made are deleted, the user's let go (no device, unbound, plugged nowhere). */
  CompletionStage<StatusReply<Done>> release(String serverId, List<PortRef> ports);

  /** The id of the port a server makes for its {@code index}th NIC. */
  static String portId(String serverId, int index) {
    return java.util.UUID.nameUUIDFromBytes((serverId + "/nic/" + index).getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .toString();
  }
}
