package nimbus.cluster;

import org.apache.pekko.pattern.StatusReply;

/**
 * Why an entity refused a command, carried in a {@link StatusReply} error so it crosses the
 * cluster as plain text: {@code "<kind>: <message>"}. The HTTP edge turns the kind into a status
 * code and the message into the API's error body.
 */
public record Rejection(Kind kind, String message) {

  /** Reasons to refuse, each with the HTTP status the edge answers with. */
  public enum Kind {
    INVALID(400), FORBIDDEN(403), NOT_FOUND(404), CONFLICT(409), TOO_MANY(413), UNAVAILABLE(503);

    public final int httpStatus;

    Kind(int httpStatus) {
      this.httpStatus = httpStatus;
    }
  }

  public static <T> StatusReply<T> notFound(String message) {
    return of(Kind.NOT_FOUND, message);
  }

  public static <T> StatusReply<T> conflict(String message) {
    return of(Kind.CONFLICT, message);
  }

  public static <T> StatusReply<T> invalid(String message) {
    return of(Kind.INVALID, message);
  }

  public static <T> StatusReply<T> unavailable(String message) {
    return of(Kind.UNAVAILABLE, message);
  }

  public static <T> StatusReply<T> of(Kind kind, String message) {
    return StatusReply.error(kind.name() + ": " + message);
  }

  /** The rejection as a failure to complete a future with, read back like a refused reply. */
  public static RuntimeException failure(Kind kind, String message) {
    return new StatusReply.ErrorMessage(kind.name() + ": " + message);
  }

  /** Whether a failure (as a future hands it over, perhaps wrapped) is a refusal as not found. */
  public static boolean isNotFound(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return from(cause).kind() == Kind.NOT_FOUND;
  }

  /** Reads a rejection back from a StatusReply error (or any failure: then UNAVAILABLE). */
  public static Rejection from(Throwable error) {
    String text = error.getMessage() == null ? error.toString() : error.getMessage();
    int colon = text.indexOf(": ");
    if (colon > 0) {
      try {
        return new Rejection(Kind.valueOf(text.substring(0, colon)), text.substring(colon + 2));
      } catch (IllegalArgumentException notOurs) {
        // fall through
      }
    }
    return new Rejection(Kind.UNAVAILABLE, "The service is unavailable: " + text);
  }
}
