package nimbus.edge;

import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Nova's error body: {@code {"itemNotFound": {"code": 404, "message": "..."}}}. */
public final class NovaErrors {
  // nova/api/openstack/wsgi.py names each status so
  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(400, "badRequest"), Map.entry(401, "unauthorized"), Map.entry(403, "forbidden"),
      Map.entry(404, "itemNotFound"), Map.entry(405, "badMethod"),
      Map.entry(406, "notAcceptable"), Map.entry(409, "conflictingRequest"),
      Map.entry(413, "overLimit"), Map.entry(415, "badMediaType"), Map.entry(429, "overLimit"),
      Map.entry(501, "notImplemented"), Map.entry(503, "serviceUnavailable"));

  private NovaErrors() {}

  record Fault(int code, String message) {}

  public static HttpResponse response(int status, String message) {
    return Json.response(status, Map.of(NAMES.getOrDefault(status, "computeFault"), new Fault(status, message)));
  }
}
