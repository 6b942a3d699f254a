package nimbus.edge;

import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Version discovery of the services still to come (volume) and of the image service, in each service's
 * own document format, so clients find them in the catalog and learn what they speak.
 */
final class OtherVersions extends AllDirectives {

  Route route(String apiBase) {
    return concat(
        pathPrefix("volume", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> complete(Json.response(300, volume(apiBase))))),
            // the version's own document (Cinder's "show API v3 details")
            path(PathMatchers.segment("v3").slash(), () -> get(() -> complete(Json.response(200, volume(apiBase))))),
            path("v3", () -> get(() -> complete(Json.response(200, volume(apiBase))))))),
        pathPrefix("image", () -> pathEndOrSingleSlash(() -> get(() -> complete(Json.response(300,
            versions("v2.0", "CURRENT", apiBase + "/image/v2/", null, null)))))));
  }

  private static Map<String, List<VersionDoc>> volume(String apiBase) {
    return Map.of("versions", List.of(VersionDoc.of("v3.0", "CURRENT", apiBase + "/volume/v3/").microversions(VolumeVersions.MIN, VolumeVersions.MAX)
        .described("2016-02-08T12:20:21Z", "application/vnd.openstack.volume+json;version=3")));
  }

  private static Map<String, List<VersionDoc>> versions(String id, String status, String href, String min, String max) {
    VersionDoc v = VersionDoc.of(id, status, href);
    return Map.of("versions", List.of(max == null ? v : v.microversions(min, max)));
  }
}
