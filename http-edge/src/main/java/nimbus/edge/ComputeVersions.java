package nimbus.edge;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's version documents: the API is v2.1, microversions 2.1 to {@link #MAX}; v2.0 is listed
 * first and served at {@code /v2/} by the same routes at 2.1, as Nova serves its legacy v2 API
 * with the v2.1 code (clients that discover versions expect it: tempest checks the order).
 */
final class ComputeVersions {
  static final String MIN = "2.1";
  static final String MAX = "2.26";

  private ComputeVersions() {}

  /**
   * Every answer names the version it speaks (the one negotiated) and carries a request id, as
   * Nova's do (clients and tempest read {@code x-compute-request-id}).
   */
  private static List<HttpHeader> answer(Microversion version, String requestId) {
    List<HttpHeader> headers = new java.util.ArrayList<>(List.of(
        RawHeader.create("X-OpenStack-Nova-API-Version", version.toString()),
        RawHeader.create("OpenStack-API-Version", "compute " + version),
        RawHeader.create("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version")));
    headers.addAll(requestIdHeaders(requestId));
    return headers;
  }

  /** A new request's id, as Nova makes them: the server actions it begins record it. */
  private static String newRequestId() {
    return "req-" + java.util.UUID.randomUUID();
  }

  private static List<HttpHeader> requestIdHeaders(String requestId) {
    return List.of(RawHeader.create("x-compute-request-id", requestId),
        RawHeader.create("x-openstack-request-id", requestId));
  }

  /**
   * Microversion negotiation: a request may ask for a version with
   * {@code OpenStack-API-Version: compute 2.x} or {@code X-OpenStack-Nova-API-Version: 2.x};
   * every answer says which version it speaks. Asking for one outside the range gets 406.
   */
  static Route negotiate(AllDirectives d, BiFunction<Microversion, String, Route> inner) {
    return d.optionalHeaderValueByName("OpenStack-API-Version", generic ->
        d.optionalHeaderValueByName("X-OpenStack-Nova-API-Version", legacy -> {
          Optional<String> asked = generic.filter(v -> v.trim().startsWith("compute "))
              .map(v -> v.trim().substring("compute ".length()).trim()).or(() -> legacy.map(String::trim));
          // no header is the minimum, "latest" the maximum (Nova's rules)
          Microversion version = Microversion.of(asked.isEmpty() ? MIN : asked.get().equals("latest") ? MAX : "0.0");
          if (asked.isPresent() && !asked.get().equals("latest")) {
            if (!asked.get().matches("\\d+\\.\\d+")) {
              return d.complete(NovaErrors.response(400, "Invalid API version request: " + asked.get()));
            }
            version = Microversion.of(asked.get());
            Optional<HttpResponse> unsupported = version.unsupported(asked.get(), MIN, MAX);
            if (unsupported.isPresent()) return d.complete(unsupported.get());
          }
          Microversion negotiated = version;
          String requestId = newRequestId();
          return d.respondWithHeaders(answer(negotiated, requestId), () -> inner.apply(negotiated, requestId));
        }));
  }

  /** The legacy v2 API speaks no microversions: its answers carry only the request id. */
  static Route legacy(AllDirectives d, BiFunction<Microversion, String, Route> inner) {
    String requestId = newRequestId();
    return d.respondWithHeaders(requestIdHeaders(requestId), () -> inner.apply(Microversion.of(MIN), requestId));
  }

  static Map<String, List<VersionDoc>> all(String baseUrl) {
    return Map.of("versions", List.of(legacyVersion(baseUrl), version(baseUrl)));
  }

  static Map<String, VersionDoc> current(String baseUrl) {
    return Map.of("version", version(baseUrl));
  }

  static Map<String, VersionDoc> legacy(String baseUrl) {
    return Map.of("version", legacyVersion(baseUrl));
  }

  private static VersionDoc legacyVersion(String baseUrl) {
    return VersionDoc.of("v2.0", "SUPPORTED", baseUrl + "/v2/").microversions("", "")
        .described("2011-01-21T11:33:21Z", "application/vnd.openstack.compute+json;version=2");
  }

  private static VersionDoc version(String baseUrl) {
    return VersionDoc.of("v2.1", "CURRENT", baseUrl + "/v2.1/").microversions(MIN, MAX)
        .described("2013-07-23T11:33:21Z", "application/vnd.openstack.compute+json;version=2.1");
  }
}
