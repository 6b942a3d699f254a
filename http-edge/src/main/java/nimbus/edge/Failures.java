package nimbus.edge;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import nimbus.cluster.Rejection;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns whatever failed behind a route into the status and message the client gets. */
final class Failures {
  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static Rejection rejection(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof StatusReply.ErrorMessage) return Rejection.from(t);
    return new Rejection(Rejection.Kind.UNAVAILABLE, "unexpected");
  }

  static RuntimeException rethrow(Throwable e) {
    Throwable t = unwrap(e);
    return t instanceof RuntimeException r ? r : new CompletionException(t);
  }

  /** Whether a read-side query failed because the database could not be reached (SQL state class 08). */
  private static boolean databaseUnavailable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.sql.SQLTransientConnectionException || c instanceof java.sql.SQLRecoverableException
          || c instanceof java.sql.SQLException e && e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether something behind the route did not answer in time. Pekko's typed ask fails with a
   * TimeoutException, an EntityRef's ask with its subclass AskTimeoutException, and streams' and
   * connections' timeouts are TimeoutExceptions too; a request's streamed body
   * that nothing subscribed to in time (an upload waiting on its image) fails with a stream's
   * SubscriptionTimeoutException, and a stream ref's with StreamRefSubscriptionTimeoutException.
   */
  static boolean timedOut(Throwable t) {
    return t instanceof TimeoutException
        || t instanceof org.apache.pekko.stream.impl.SubscriptionTimeoutException
        || t instanceof org.apache.pekko.stream.StreamRefSubscriptionTimeoutException;
  }

  /** The status and message for a failure; unexpected ones are logged, never shown. */
  static ApiError toApiError(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof ApiError api) return api;
    if (t instanceof nimbus.storage.ImageStore.TooLarge) return new ApiError(413, t.getMessage());
    if (t instanceof nimbus.storage.ImageInspector.Refused) return ApiError.badRequest(t.getMessage());
    for (Throwable c = t; c != null; c = c.getCause()) {
      // the client's fault (it went away mid-body), not the service's: no error log
      if (c instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
        return ApiError.badRequest("The request body was cut off before its end.");
      }
    }
    if (databaseUnavailable(t)) return new ApiError(503, "The database is unavailable; try again.");
    if (t instanceof StatusReply.ErrorMessage) {
      Rejection r = Rejection.from(t);
      return new ApiError(r.kind().httpStatus, r.message());
    }
    if (timedOut(t)) {
      return new ApiError(503, "The service did not answer in time; try again.");
    }
    log.error("request failed unexpectedly", t);
    return new ApiError(500, "Unexpected API Error. The failure is logged with this request.");
  }
}
