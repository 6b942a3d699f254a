package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/**
 * One API version as OpenStack's version documents describe it; the microversion range and the
 * media types only where the service publishes them.
 */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
public record VersionDoc(String id, String status, Optional<String> version,
    @JsonProperty("min_version") Optional<String> minVersion, Optional<String> updated, List<Link> links,
    @JsonProperty("media-types") Optional<List<MediaType>> mediaTypes) {

  /** A media type the version speaks. */
  public record MediaType(String base, String type) {}

  /** A version with its self link and nothing else. */
  public static VersionDoc of(String id, String status, String href) {
    return new VersionDoc(id, status, Optional.empty(), Optional.empty(), Optional.empty(),
        List.of(Link.self(href)), Optional.empty());
  }

  /** The same version with its microversion range. */
  public VersionDoc microversions(String min, String max) {
    return new VersionDoc(id, status, Optional.of(max), Optional.of(min), updated, links, mediaTypes);
  }

  /** The same version with when it was last changed and the media type it speaks. */
  public VersionDoc described(String updatedAt, String mediaType) {
    return new VersionDoc(id, status, version, minVersion, Optional.of(updatedAt), links,
        Optional.of(List.of(new MediaType("application/json", mediaType))));
  }
}
