package nimbus.edge;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import nimbus.cluster.ResourceChange;
import nimbus.cluster.ResourceChanges;
import nimbus.compute.ServerChange;
import nimbus.compute.ServerChanges;
import nimbus.edge.identity.IdentityService;
import nimbus.edge.identity.Token;
import nimbus.edge.identity.TokenCodec;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The event streams of the dashboard's events API. A browser's {@code EventSource} cannot send
 * the token in a header, and a token must never sit in a URL (logs, history, referrers): so the
 * token buys a ticket (single use, short-lived) and the stream is opened with the ticket. A
 * ticket is the token's content and the ticket's expiry sealed under the cluster's token keys
 * (never the token's text, and never readable as a token): any node opens it, so streams work
 * behind a load balancer. Each node refuses a ticket it has already opened; a ticket could open
 * one stream on each of the nodes within its life, each for the same token. A stream carries the
 * changes its token may see (its project's; shared networks and public images to everyone; every
 * one for the cloud's admin; a key pair to its user alone) and ends when the token expires or is revoked.
 */
final class DashboardEvents {
  static final Duration TICKET_LIFETIME = Duration.ofSeconds(30);
  static final Duration HEARTBEAT = Duration.ofSeconds(5);
  /** How often an admin's stream looks whether a host went up or down (this node's view of the beats). */
  static final Duration HOST_CHECK = Duration.ofMillis(500);
  private static final int BUFFER = 1024;

  /** The tickets this node has opened, by id, until they expire. */
  private final Map<String, Instant> opened = new ConcurrentHashMap<>();
  private final IdentityService identity;
  private final ServerChanges servers;
  private final ResourceChanges resources;
  private final Clock clock;
  private final Supplier<Map<String, Boolean>> hostsUp;

  /** {@code hostsUp}: whether each host this node knows is up, by name (its beats arrive). */
  DashboardEvents(IdentityService identity, ServerChanges servers, ResourceChanges resources, Clock clock,
      Supplier<Map<String, Boolean>> hostsUp) {
    this.identity = identity;
    this.servers = servers;
    this.resources = resources;
    this.clock = clock;
    this.hostsUp = hostsUp;
  }

  /** A new ticket for the holder of {@code token} (an {@link ApiError} 401 unless it is valid and project-scoped). */
  String ticket(String token) {
    // validated once: a revocation between two checks would otherwise be an error, not a 401
    Token valid = identity.validate(token).filter(t -> t.projectId().isPresent())
        .orElseThrow(IdentityService::unauthorized);
    return identity.ticket(valid, clock.instant().plus(TICKET_LIFETIME));
  }

  /** The stream a ticket opens, once on this node: empty for a forged, used or expired ticket, or a token no longer valid. */
  Optional<Source<ServerSentEvent, NotUsed>> open(String ticket) {
    Optional<TokenCodec.Ticket> sealed = identity.openTicket(ticket);
    Instant now = clock.instant();
    if (sealed.isEmpty() || !sealed.get().expiresAt().isAfter(now)) return Optional.empty();
    Token token = sealed.get().token();
    if (!identity.stillValid(token)) return Optional.empty();
    opened.values().removeIf(expiry -> !expiry.isAfter(now));
    if (opened.putIfAbsent(sealed.get().id(), sealed.get().expiresAt()) != null) return Optional.empty();
    RequestContext ctx = identity.callerOf(token);
    Source<ServerSentEvent, NotUsed> serverChanges = subscribed(servers::subscribe)
        .filter(c -> ctx.isAdmin() || c.projectId().equals(ctx.projectId()))
        .map(c -> event(c, ctx.isAdmin()));
    Source<ServerSentEvent, NotUsed> resourceChanges = subscribed(resources::subscribe)
        .filter(c -> c.visibleTo(ctx.projectId(), ctx.userId(), ctx.isAdmin()))
        .map(DashboardEvents::event);
    Source<ServerSentEvent, NotUsed> beats = Source.tick(HEARTBEAT, HEARTBEAT, ServerSentEvent.heartbeat())
        .mapMaterializedValue(c -> NotUsed.notUsed());
    Source<ServerSentEvent, NotUsed> hosts = ctx.isAdmin() ? hostStates() : Source.empty();
    // a stream is checked at every event and beat: a revoked or expired token stops it within a beat
    return Optional.of(Source.single(ServerSentEvent.create("{}", "ready"))
        .concat(serverChanges.merge(resourceChanges).merge(hosts).merge(beats))
        .takeWhile(e -> identity.stillValid(token)));
  }

  /**
   * A {@code hypervisor} event for each host that goes down or up. Up or down is each node's own
   * view (heartbeats are not persisted, and each node times them by its own clock), so each
   * stream watches its node's view rather than a cluster topic that every node would fill.
   */
  private Source<ServerSentEvent, NotUsed> hostStates() {
    return Source.tick(HOST_CHECK, HOST_CHECK, "check").mapMaterializedValue(c -> NotUsed.notUsed())
        .statefulMapConcat(() -> {
          var last = new java.util.concurrent.atomic.AtomicReference<>(hostsUp.get());
          return check -> flipped(last.getAndSet(hostsUp.get()), last.get());
        })
        .map(host -> event(ResourceChange.adminOnly("hypervisor", host, false)));
  }

  /** The hosts known before and now whose state is not what it was (a new host's report has its own event). */
  static List<String> flipped(Map<String, Boolean> before, Map<String, Boolean> now) {
    return now.entrySet().stream()
        .filter(e -> before.containsKey(e.getKey()) && !before.get(e.getKey()).equals(e.getValue()))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /** What a topic publishes from now on, through {@code subscribe}; a slow reader's overflow ends the stream. */
  private static <T> Source<T, NotUsed> subscribed(java.util.function.Consumer<ActorRef<T>> subscribe) {
    return ActorSource.<T>actorRef(m -> false, m -> Optional.empty(), BUFFER, OverflowStrategy.fail())
        .mapMaterializedValue(ref -> {
          subscribe.accept(ref);
          return NotUsed.notUsed();
        });
  }

  static ServerSentEvent event(ServerChange c, boolean admin) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", c.id());
    body.put("project_id", c.projectId());
    body.put("name", c.name());
    body.put("status", c.status());
    body.put("task_state", c.taskState().orElse(null));
    // the host is the admins' to know, as in Nova's server documents
    if (admin) body.put("host", c.host().orElse(null));
    return ServerSentEvent.create(json(body), "server");
  }

  /** A resource's change: which one, and whether it is gone; the page reads the rest through the API. */
  static ServerSentEvent event(ResourceChange c) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", c.id());
    body.put("project_id", c.projectId());
    body.put("deleted", c.deleted());
    return ServerSentEvent.create(json(body), c.kind());
  }

  private static String json(Map<String, Object> body) {
    try {
      return Json.MAPPER.writeValueAsString(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
