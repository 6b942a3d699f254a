package nimbus.edge;

import java.util.List;
import java.util.Map;
import nimbus.edge.identity.IdentityRoutes;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web dashboard: its files at {@code /dashboard/} ({@code /} sends browsers there; nothing
 * else answered {@code /}), and its events API ({@code POST /dashboard/v1/event-tickets},
 * {@code GET /dashboard/v1/events?ticket=}). The pages talk to the same OpenStack APIs as any
 * client; every file goes out under a policy that lets a page run only the node's own scripts.
 */
final class DashboardRoutes extends AllDirectives {
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "object-src 'none'; frame-ancestors 'none'; base-uri 'none'";
  private static final List<HttpHeader> PAGE_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      // revalidated at every load (answered 304 while unchanged): a new node's files are seen at once
      RawHeader.create("Cache-Control", "no-cache"));

  private static final String HOME = "/dashboard/";
  private final DashboardFiles files;
  private final DashboardEvents events;

  DashboardRoutes(DashboardFiles files, DashboardEvents events) {
    this.files = files;
    this.events = events;
  }

  Route route() {
    return concat(
        pathSingleSlash(() -> get(() -> redirect(Uri.create(HOME), StatusCodes.FOUND))),
        pathPrefix("dashboard", () -> concat(
            pathEnd(() -> get(() -> redirect(Uri.create(HOME), StatusCodes.FOUND))),
            pathPrefix("v1", this::eventsApi),
            respondWithHeaders(PAGE_HEADERS, () -> concat(
                pathSingleSlash(() -> get(() -> file("index.html"))),
                path(PathMatchers.segment(), name -> get(() -> file(name))))))));
  }

  private Route file(String name) {
    return files.file(name)
        .map(f -> conditional(f.tag(), () -> complete(HttpResponse.create().withEntity(f.entity()))))
        .orElseGet(() -> complete(NovaErrors.response(404, "The resource could not be found.")));
  }

  private Route eventsApi() {
    return concat(
        path("event-tickets", () -> post(() -> optionalHeaderValueByName("X-Auth-Token", token -> {
          String ticket;
          try {
            ticket = events.ticket(token.orElse(""));
          } catch (ApiError e) {
            return complete(IdentityRoutes.error(401, e.getMessage()));
          }
          return complete(Json.response(201, Map.of("ticket", ticket,
              "expires_in", DashboardEvents.TICKET_LIFETIME.toSeconds())));
        }))),
        path("events", () -> get(() -> parameterOptional("ticket", ticket -> events.open(ticket.orElse(""))
            .map(stream -> respondWithHeader(RawHeader.create("Cache-Control", "no-store"),
                () -> completeOK(stream, EventStreamMarshalling.toEventStream())))
            .orElseGet(() -> complete(IdentityRoutes.error(401,
                "The ticket is unknown, used or expired, or its token is no longer valid: get a new one.")))))));
  }
}
