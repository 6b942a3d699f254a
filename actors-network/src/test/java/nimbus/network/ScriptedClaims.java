package nimbus.network;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * Answers each claim as the test says; an unscripted one gets no answer (a lost message), so the
 * entity must ask it again. Port attachments go to a real network state the test provides.
 */
final class ScriptedClaims implements NetworkClaims {
  final List<String> asked = new CopyOnWriteArrayList<>();
  private final Map<String, StatusReply<?>> answers = new ConcurrentHashMap<>();
  volatile Function<String, StatusReply<Attachment>> attach = port -> null;

  void accept(String step) {
    answers.put(step, StatusReply.ack());
  }

  void answer(String step, Object value) {
    answers.put(step, StatusReply.success(value));
  }

  /** The step goes unanswered again. */
  void unscript(String step) {
    answers.remove(step);
  }

  void refuse(String step, Rejection.Kind kind, String message) {
    answers.put(step, Rejection.of(kind, message));
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<StatusReply<T>> step(String name) {
    asked.add(name);
    StatusReply<?> answer = answers.get(name);
    return answer != null ? CompletableFuture.completedFuture((StatusReply<T>) answer)
        : CompletableFuture.failedFuture(new TimeoutException("no answer to " + name));
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserve(String projectId, String kind, String id) {
    return step("reserve " + kind + " " + id);
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String projectId, List<String> ids) {
    return step("release " + ids.stream().sorted().toList());
  }

  @Override
  public CompletionStage<StatusReply<Integer>> allocateSegment(String pool, String networkId, Optional<Integer> wanted) {
    return step("segment " + pool);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseSegment(String pool, String networkId) {
    return step("release segment " + pool);
  }

  @Override
  public CompletionStage<StatusReply<String>> allocateCidr(String poolId, String subnetId, Optional<String> cidr,
      Optional<Integer> prefixlen) {
    return step("cidr " + poolId + " " + subnetId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> releaseCidr(String poolId, String subnetId) {
    return step("release cidr " + poolId + " " + subnetId);
  }

  @Override
  public CompletionStage<StatusReply<Attachment>> attachPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips) {
    return step("attach " + portId);
  }

  @Override
  public CompletionStage<StatusReply<Attachment>> readdressPort(String networkId, String portId, String projectId,
      String deviceOwner, Optional<String> mac, Optional<List<IpRequest>> ips) {
    return step("readdress " + portId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> detachPort(String networkId, String portId) {
    return step("detach " + portId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> joinGroup(String groupId, String portId, List<String> addresses) {
    return step("join " + groupId + " " + portId + " " + addresses);
  }

  @Override
  public CompletionStage<StatusReply<Done>> leaveGroup(String groupId, String portId) {
    return step("leave " + groupId + " " + portId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> securePort(String networkId, String portId, PortSecurity security) {
    return step("secure " + portId + " " + security.enabled() + " " + security.securityGroups());
  }
}
