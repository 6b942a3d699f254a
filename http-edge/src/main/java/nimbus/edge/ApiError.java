package nimbus.edge;

/**
 * A request refused with an HTTP status and a message; the routes turn it into the service's
 * own error body. Thrown only for bad input, so it carries no stack trace.
 */
public final class ApiError extends RuntimeException {
  public final int status;

  public ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message);
  }
}
