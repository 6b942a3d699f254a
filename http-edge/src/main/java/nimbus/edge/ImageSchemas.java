package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Glance's {@code /v2/schemas/image(s)} and {@code /member(s)}: the documents clients (the
 * glance CLI, tempest) read to learn an image's fields. The image and member documents are
 * {@code schemas/glance/*.json}, ported from glance/api/v2/images.py and image_members.py with
 * the formats Nimbus knows; a patched image is checked against the same image document
 * ({@link #IMAGE}). The collections wrap them as Glance's CollectionSchema does.
 */
final class ImageSchemas extends AllDirectives {
  /** The image document: Glance's permissive schema (properties beyond its fields are strings). */
  static final RequestSchema IMAGE = RequestSchema.named("glance/image");

  private static final JsonNode IMAGE_DOC = read("schemas/glance/image.json");
  private static final JsonNode MEMBER_DOC = read("schemas/glance/member.json");

  /** A property of a collection's schema: its type and, for the list, its items' schema. */
  record Property(String type, @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_ABSENT) Optional<JsonNode> items) {}

  /** Glance's CollectionSchema: the list under the collection's name, and its pages' links. */
  record Collection(String name, Map<String, Property> properties, List<Link> links) {}

  Route route() {
    return pathPrefix(PathMatchers.segment("v2").slash("schemas"), () -> get(() -> concat(
        path("image", () -> complete(Json.response(200, IMAGE_DOC))),
        path("images", () -> complete(Json.response(200, collection("images", IMAGE_DOC)))),
        path("member", () -> complete(Json.response(200, MEMBER_DOC))),
        path("members", () -> complete(Json.response(200, collection("members", MEMBER_DOC)))))));
  }

  static Collection collection(String name, JsonNode items) {
    Map<String, Property> properties = new LinkedHashMap<>();
    properties.put(name, new Property("array", Optional.of(items)));
    for (String page : List.of("first", "next", "schema")) properties.put(page, new Property("string", Optional.empty()));
    return new Collection(name, properties,
        List.of(new Link("first", "{first}"), new Link("next", "{next}"), new Link("describedby", "{schema}")));
  }

  private static JsonNode read(String resource) {
    try (InputStream in = ImageSchemas.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      return Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
