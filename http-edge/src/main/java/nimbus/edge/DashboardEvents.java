package nimbus.edge;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import nimbus.compute.ServerChange;
import nimbus.compute.ServerChanges;
import nimbus.edge.identity.IdentityService;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The event streams of the dashboard's events API. A browser's {@code EventSource} cannot send
 * the token in a header, and a token must never sit in a URL (logs, history, referrers): so the
 * token buys a ticket (single use, short-lived) and the stream is opened with the ticket. A
 * stream carries the server changes its token may see (its project's; every one for the cloud's
 * admin) and ends when the token expires or is revoked.
 */
final class DashboardEvents {
  static final Duration TICKET_LIFETIME = Duration.ofSeconds(30);
  static final Duration HEARTBEAT = Duration.ofSeconds(5);
  private static final int BUFFER = 1024;

  /** What a ticket stands for: the token it was bought with, and until when it can be used. */
  private record Ticket(String token, RequestContext context, Instant expiresAt) {}

  private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final IdentityService identity;
  private final ServerChanges changes;
  private final Clock clock;

  DashboardEvents(IdentityService identity, ServerChanges changes, Clock clock) {
    this.identity = identity;
    this.changes = changes;
    this.clock = clock;
  }

  /** A new ticket for the holder of {@code token}, whose context is {@code context}. */
  String ticket(String token, RequestContext context) {
    Instant now = clock.instant();
    tickets.values().removeIf(t -> !t.expiresAt().isAfter(now));
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    tickets.put(ticket, new Ticket(token, context, now.plus(TICKET_LIFETIME)));
    return ticket;
  }

  /** The stream a ticket opens, once: empty for an unknown, used or expired ticket, or a token no longer valid. */
  Optional<Source<ServerSentEvent, NotUsed>> open(String ticket) {
    Ticket t = tickets.remove(ticket);
    if (t == null || !t.expiresAt().isAfter(clock.instant()) || !valid(t.token())) return Optional.empty();
    RequestContext ctx = t.context();
    Source<ServerSentEvent, NotUsed> serverChanges = ActorSource.<ServerChange>actorRef(m -> false,
            m -> Optional.empty(), BUFFER, OverflowStrategy.fail())
        .mapMaterializedValue(ref -> {
          changes.subscribe(ref);
          return NotUsed.notUsed();
        })
        .filter(c -> ctx.isAdmin() || c.projectId().equals(ctx.projectId()))
        .map(c -> event(c, ctx.isAdmin()));
    Source<ServerSentEvent, NotUsed> beats = Source.tick(HEARTBEAT, HEARTBEAT, ServerSentEvent.heartbeat())
        .mapMaterializedValue(c -> NotUsed.notUsed());
    // a stream is checked at every event and beat: a revoked or expired token stops it within a beat
    return Optional.of(Source.single(ServerSentEvent.create("{}", "ready"))
        .concat(serverChanges.merge(beats))
        .takeWhile(e -> valid(t.token())));
  }

  private boolean valid(String token) {
    return identity.validate(token).isPresent();
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
    try {
      return ServerSentEvent.create(Json.MAPPER.writeValueAsString(body), "server");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
