package nimbus.network;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a network's or port's workflow claims from other entities, and gives back: a project's
 * quota and a segmentation id. Each call is idempotent by the claiming resource's id, so a step
 * asked again after a timeout or a crash changes nothing twice.
 */
public interface NetworkClaims {

  /** Holds one unit of {@code kind} (network, subnet, port) of the project's quota for {@code id}. */
  CompletionStage<StatusReply<Done>> reserve(String projectId, String kind, String id);

  /** Gives back what these resources hold of the project's quota. */
  CompletionStage<StatusReply<Done>> release(String projectId, List<String> ids);

  /** A segmentation id of {@code pool} for the network: the one wanted, or any free one. */
  CompletionStage<StatusReply<Integer>> allocateSegment(String pool, String networkId, Optional<Integer> wanted);

  CompletionStage<StatusReply<Done>> releaseSegment(String pool, String networkId);

  /** A CIDR of subnet pool {@code poolId} for the subnet ({@link SubnetPoolEntity.Allocate}). */
  CompletionStage<StatusReply<String>> allocateCidr(String poolId, String subnetId, Optional<String> cidr,
      Optional<Integer> prefixlen);

  /** The subnet's CIDR goes back to its pool. */
  CompletionStage<StatusReply<Done>> releaseCidr(String poolId, String subnetId);

  /** The port's MAC and addresses on its network ({@link NetworkEntity.AttachPort}). */
  CompletionStage<StatusReply<Attachment>> attachPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips);

  /** Other addresses and/or MAC for the port, in place of those it holds ({@link NetworkEntity.ReaddressPort}). */
  CompletionStage<StatusReply<Attachment>> readdressPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips);

  /** The port's addresses go back to its network. */
  CompletionStage<StatusReply<Done>> detachPort(String networkId, String portId);

  /** Port {@code portId} is in security group {@code groupId}, sending from {@code addresses} ({@link SecurityGroupEntity.Join}). */
  CompletionStage<StatusReply<Done>> joinGroup(String groupId, String portId, List<String> addresses);

  /** Port {@code portId} leaves security group {@code groupId}. */
  CompletionStage<StatusReply<Done>> leaveGroup(String groupId, String portId);

  /** The network holds how hosts filter the port ({@link NetworkEntity.SecurePort}). */
  CompletionStage<StatusReply<Done>> securePort(String networkId, String portId, PortSecurity security);
  /** The floating IPs associated with the port let it go (a deleted port's, as Neutron does). */
  default CompletionStage<StatusReply<Done>> releaseFloatingIps(String portId) {
    return java.util.concurrent.CompletableFuture.completedFuture(StatusReply.ack());
  }
}
