package nimbus.network;

import java.util.List;
import java.util.Map;
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
 * Answers a router's claims as the test says; an unscripted one gets no answer (a lost message),
 * so the router must ask it again. A port it makes is answered by {@link #ports}, given the port
 * asked for ({@code null}: no answer).
 */
final class ScriptedRouterClaims implements RouterClaims {
  final List<String> asked = new CopyOnWriteArrayList<>();
  final List<Port> portsAsked = new CopyOnWriteArrayList<>();
  private final Map<String, StatusReply<?>> answers = new ConcurrentHashMap<>();
  volatile Function<Port, StatusReply<Port>> ports = p -> null;

  void accept(String step) {
    answers.put(step, StatusReply.ack());
  }

  /** The zone hints each placement was asked with. */
  final List<List<String>> placeHints = new CopyOnWriteArrayList<>();

  void answer(String step, Object value) {
    answers.put(step, StatusReply.success(value));
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
    return step("release " + ids);
  }

  @Override
  public CompletionStage<StatusReply<Port>> createPort(Port port) {
    asked.add("create port " + port.attributes().deviceOwner());
    portsAsked.add(port);
    StatusReply<Port> answer = ports.apply(port);
    return answer != null ? CompletableFuture.completedFuture(answer)
        : CompletableFuture.failedFuture(new TimeoutException("no answer to the port"));
  }

  @Override
  public CompletionStage<StatusReply<Port>> claimPort(String portId, String deviceId, String deviceOwner) {
    return step("claim " + portId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> deletePort(String portId, String networkId, String projectId) {
    return step("delete " + portId);
  }

  @Override
  public CompletionStage<StatusReply<String>> place(String routerId, List<String> zoneHints) {
    placeHints.add(zoneHints);
    return step("place");
  }

  @Override
  public CompletionStage<StatusReply<Done>> addFloatingIp(String routerId, Router.FloatingIpMapping mapping) {
    return step("add fip " + mapping.floatingIpId() + " to " + routerId);
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeFloatingIp(String routerId, String floatingIpId) {
    return step("remove fip " + floatingIpId + " from " + routerId);
  }

  /** The port asked for, holding {@code ip} in {@code subnetId}. */
  static StatusReply<Port> made(Port asked, String subnetId, String ip) {
    return StatusReply.success(new Port(asked.id(), asked.networkId(), asked.projectId(), asked.attributes(),
        asked.requestedMac(), asked.requestedIps(), "fa:16:3e:00:00:09", List.of(new FixedIp(subnetId, ip)),
        asked.hostId(), "DOWN", Port.Phase.READY, true, true, asked.createdAt(), asked.updatedAt(), 1, Port.Security.NONE));
  }

  static <T> StatusReply<T> refusal(String message) {
    return Rejection.of(Rejection.Kind.CONFLICT, message);
  }
}
