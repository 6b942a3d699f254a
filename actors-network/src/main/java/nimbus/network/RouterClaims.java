package nimbus.network;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What the workflows of routers and floating IPs claim from other entities, and give back: a
 * project's quota, the ports they make or take, a host to carry a router, and a router's
 * translation of a floating IP. Each call is idempotent by the ids it names,
 * so a step asked again after a timeout or a crash changes nothing twice.
 */
public interface RouterClaims {

  /** Holds one unit of {@code kind} (router, floatingip) of the project's quota for {@code id}. */
  CompletionStage<StatusReply<Done>> reserve(String projectId, String kind, String id);

  CompletionStage<StatusReply<Done>> release(String projectId, List<String> ids);

  /** Makes the port ({@link PortEntity.Create}), answered once it holds its addresses. */
  CompletionStage<StatusReply<Port>> createPort(Port port);

  /** Takes the user's port for device {@code deviceId} (409 PortInUse when another device has it). */
  CompletionStage<StatusReply<Port>> claimPort(String portId, String deviceId, String deviceOwner);

  /**
   * Deletes the port and gives its addresses back to {@code networkId} and its quota to
   * {@code projectId} before answering; a port that is gone already is acknowledged.
   */
  CompletionStage<StatusReply<Done>> deletePort(String portId, String networkId, String projectId);

  /**
   * The host that should carry the router, one in its availability {@code zoneHints} if it has any
   * (refused while no host can).
   */
  CompletionStage<StatusReply<String>> place(String routerId, List<String> zoneHints);

  /** Router {@code routerId} translates the floating IP ({@link RouterEntity.AddFloatingIp}). */
  CompletionStage<StatusReply<Done>> addFloatingIp(String routerId, Router.FloatingIpMapping mapping);

  /** Router {@code routerId} no longer translates it (acknowledged if it did not). */
  CompletionStage<StatusReply<Done>> removeFloatingIp(String routerId, String floatingIpId);
}
