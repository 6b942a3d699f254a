package nimbus.edge;

import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's microversions: 3.0 up to {@link #MAX}, 3.44 (the attachments API of 3.27 with 3.44's
 * {@code os-complete}). What each version between changes, and what of it is built, is in
 * ARCHITECTURE.md ("Cinder's microversions"); a resource of a version whose feature Nimbus does
 * not have (messages, groups, clusters, ...) answers 404, as Cinder's routes answer for an
 * API it does not hold. A request asks with {@code OpenStack-API-Version: volume 3.x}; every answer
 * names the version it speaks.
 */
final class VolumeVersions {
  static final String MIN = "3.0";
  static final String MAX = "3.44";

  private VolumeVersions() {}

  /**
   * No header is {@link #MIN}, {@code latest} is {@link #MAX}; a malformed one is a 400, one
   * outside the range a 406, as Cinder answers them; the routes are given the version negotiated.
   */
  static Route negotiate(AllDirectives d, java.util.function.Function<Microversion, Route> inner) {
    return d.optionalHeaderValueByName("OpenStack-API-Version", header -> {
      Optional<String> asked = header.map(String::trim).filter(v -> v.toLowerCase(java.util.Locale.ROOT).startsWith("volume "))
          .map(v -> v.substring("volume ".length()).trim());
      Microversion version = Microversion.of(MIN);
      if (asked.isPresent()) {
        if (asked.get().equals("latest")) {
          version = Microversion.of(MAX);
        } else if (!asked.get().matches("[1-9]\\d{0,3}\\.(0|[1-9]\\d{0,3})")) {
          return d.complete(NovaErrors.response(400, "API Version String " + asked.get() + " is of invalid format."
              + " Must be of format MajorNum.MinorNum."));
        } else {
          version = Microversion.of(asked.get());
          Optional<HttpResponse> unsupported = version.unsupported(asked.get(), MIN, MAX);
          if (unsupported.isPresent()) return d.complete(unsupported.get());
        }
      }
      Microversion negotiated = version;
      List<HttpHeader> answer = List.of(RawHeader.create("OpenStack-API-Version", "volume " + negotiated),
          RawHeader.create("Vary", "OpenStack-API-Version"));
      return d.respondWithHeaders(answer, () -> inner.apply(negotiated));
    });
  }
}
