package nimbus.compute;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * How a server reaches the rest of the cloud: choose candidate hosts, claim capacity and release
 * it, send work to a host's agent, hold its project's quota and give it back when it is gone. One
 * interface so the server's lifecycle can be tested on its own.
 */
public interface HostGateway {

  /** Hosts that meet the server's demand, best first. */
  List<String> candidates(Demand demand, Set<String> excluded);

  /**
   * Whether this node has heard from the hosts long enough that no candidate means no host
   * (right after a node starts, its view is still filling).
   */
  boolean settled();

  CompletionStage<StatusReply<Done>> claim(String host, String serverId, Resources need, Optional<Placement> placement);

  void release(String host, String serverId);

  /**
   * The server is deleted: its host's room, its project's quota and its place in its group are
   * given back; done once all three have answered.
   */
  CompletionStage<Done> giveBack(ServerSpec spec, Optional<String> host, String serverId);

  /** A resize begins: the project's quota holds {@code resources} for the server (empty), or why not. */
  CompletionStage<Optional<Rejection>> reserveQuota(String projectId, String serverId, Resources resources);

  /** A resize ended: the project's quota counts {@code resources} for the server (never refused). */
  CompletionStage<Done> settleQuota(String projectId, String serverId, Resources resources);

  void tellAgent(String host, HostAgentCommand command);
}
