package nimbus.edge;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Nova's version documents: the API is v2.1, microversions 2.1 to 2.1 for now. */
final class ComputeVersions {
  static final String MIN = "2.1";
  static final String MAX = "2.1";

  private ComputeVersions() {}

  private static final List<HttpHeader> ANSWER = List.of(
      RawHeader.create("X-OpenStack-Nova-API-Version", MAX),
      RawHeader.create("OpenStack-API-Version", "compute " + MAX),
      RawHeader.create("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"));

  /**
   * Microversion negotiation: a request may ask for a version with
   * {@code OpenStack-API-Version: compute 2.x} or {@code X-OpenStack-Nova-API-Version: 2.x};
   * every answer says which version it speaks. Asking for one outside the range gets 406.
   */
  static Route negotiate(AllDirectives d, Supplier<Route> inner) {
    return d.optionalHeaderValueByName("OpenStack-API-Version", generic ->
        d.optionalHeaderValueByName("X-OpenStack-Nova-API-Version", legacy -> {
          Optional<String> asked = generic.filter(v -> v.trim().startsWith("compute "))
              .map(v -> v.trim().substring("compute ".length()).trim()).or(() -> legacy.map(String::trim));
          if (asked.isPresent() && !asked.get().equals("latest")) {
            if (!asked.get().matches("\\d+\\.\\d+")) {
              return d.complete(NovaErrors.response(400, "Invalid API version request: " + asked.get()));
            }
            if (compare(asked.get(), MIN) < 0 || compare(asked.get(), MAX) > 0) {
              return d.complete(NovaErrors.response(406, "Version " + asked.get()
                  + " is not supported by the API. Minimum is " + MIN + " and maximum is " + MAX + "."));
            }
          }
          return d.respondWithHeaders(ANSWER, inner);
        }));
  }

  /** Versions compared as numbers of any length: 2.99999999999 is a version, only not one we speak. */
  private static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    int major = new java.math.BigInteger(x[0]).compareTo(new java.math.BigInteger(y[0]));
    return major != 0 ? major : new java.math.BigInteger(x[1]).compareTo(new java.math.BigInteger(y[1]));
  }

  static Map<String, List<VersionDoc>> all(String baseUrl) {
    return Map.of("versions", List.of(version(baseUrl)));
  }

  static Map<String, VersionDoc> current(String baseUrl) {
    return Map.of("version", version(baseUrl));
  }

  private static VersionDoc version(String baseUrl) {
    return VersionDoc.of("v2.1", "CURRENT", baseUrl + "/v2.1/").microversions(MIN, MAX)
        .described("2013-07-23T11:33:21Z", "application/vnd.openstack.compute+json;version=2.1");
  }
}
