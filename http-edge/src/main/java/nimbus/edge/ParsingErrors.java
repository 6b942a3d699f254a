package nimbus.edge;

import nimbus.edge.identity.IdentityRoutes;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The answer to a request Pekko cannot parse far enough to route (a URI or headers over its
 * limits): JSON like every other error of the API instead of Pekko's plain text. Which service
 * the request was for is unknown here, so it is Keystone's format, the one keystonemiddleware
 * answers every service's 401s in and clients read whatever service they asked.
 * Set as {@code pekko.http.server.parsing.error-handler} (this module's reference.conf).
 */
public final class ParsingErrors extends ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    log.warning("Illegal request, responding with status '{}': {}", status, error.summary());
    return IdentityRoutes.error(status.intValue(), error.summary());
  }
}
