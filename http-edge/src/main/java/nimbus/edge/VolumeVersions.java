package nimbus.edge;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's microversions: 3.0 up to {@link #MAX}, the highest whose changes are built (3.1: an
 * upload to an image takes {@code visibility} and {@code protected}; 3.2's {@code bootable} list
 * filter is not). A request asks with {@code OpenStack-API-Version: volume 3.x}; every answer
 * names the version it speaks.
 */
final class VolumeVersions {
  static final String MIN = "3.0";
  static final String MAX = "3.1";

  private VolumeVersions() {}

  /**
   * No header is {@link #MIN}, {@code latest} is {@link #MAX}; a malformed one is a 400, one
   * outside the range a 406, as Cinder answers them. No route differs between 3.0 and 3.1 (the
   * upload takes its two fields at every version), so the routes need not know which was asked.
   */
  static Route negotiate(AllDirectives d, Supplier<Route> inner) {
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
      return d.respondWithHeaders(answer, inner);
    });
  }
}
