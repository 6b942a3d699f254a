package nimbus.edge;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Neutron's error body: {@code {"NeutronError": {"type": "NetworkInUse", "message": ..., "detail": ""}}}.
 * The type is Neutron's exception class. Refusals of the network entities carry it ahead of
 * their text ({@code "NetworkInUse: Unable to ..."}, see {@code NetworkRefusal}), and so do the
 * errors the network routes raise ({@link #error}); any other error is named by its status, as
 * webob's exceptions are ({@code HTTPNotFound}).
 */
public final class NeutronErrors {
  /** A leading exception name: one CamelCase word and a colon. */
  private static final Pattern TYPED = Pattern.compile("([A-Z][A-Za-z0-9]+): (.*)", Pattern.DOTALL);

  private NeutronErrors() {}

  record Body(String type, String message, String detail) {}

  public static HttpResponse response(int status, String message) {
    Matcher m = TYPED.matcher(message);
    Body body = m.matches() ? new Body(m.group(1), m.group(2), "") : new Body(webobName(status), message, "");
    return Json.response(status, Map.of("NeutronError", body));
  }

  /** An error the network routes raise, with Neutron's exception name. */
  static ApiError error(int status, String type, String message) {
    return new ApiError(status, type + ": " + message);
  }

  static ApiError badRequest(String message) {
    return error(400, "HTTPBadRequest", message);
  }

  /** Neutron's own BadRequest: "Bad RESOURCE request: MESSAGE." */
  static ApiError badRequest(String resource, String message) {
    return error(400, "BadRequest", "Bad " + resource + " request: " + message + ".");
  }

  static ApiError invalidInput(String message) {
    return error(400, "InvalidInput", "Invalid input for operation: " + message + ".");
  }

  /** Errors webob raises are named by their class. */
  private static String webobName(int status) {
    return switch (status) {
      case 400 -> "HTTPBadRequest";
      case 401 -> "HTTPUnauthorized";
      case 403 -> "HTTPForbidden";
      case 404 -> "HTTPNotFound";
      case 405 -> "HTTPMethodNotAllowed";
      case 409 -> "HTTPConflict";
      case 413 -> "HTTPRequestEntityTooLarge";
      case 415 -> "HTTPUnsupportedMediaType";
      case 501 -> "HTTPNotImplemented";
      case 503 -> "HTTPServiceUnavailable";
      default -> "HTTPInternalServerError";
    };
  }
}
