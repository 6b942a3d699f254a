package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron's tags of one resource ({@code standard-attr-tag}): {@code .../{id}/tags} (all of them,
 * replaced at once) and {@code .../{id}/tags/{tag}} (one). The resource's routes say how its tags
 * are read (by who may see it) and changed (by who may change it); every change is a new revision.
 */
final class NeutronTags extends ServiceRoutes {
  private static final RequestSchema TAGS = RequestSchema.named("neutron-tags");

  /** Reads a resource's tags, as the caller may. */
  interface Reader {
    CompletionStage<List<String>> tags(RequestContext ctx, String id);
  }

  /** Replaces a resource's tags, as the caller may; answers them. */
  interface Writer {
    CompletionStage<List<String>> set(RequestContext ctx, String id, List<String> tags);
  }

  private final Reader reader;
  private final Writer writer;

  NeutronTags(Reader reader, Writer writer) {
    super(NeutronErrors::response);
    this.reader = reader;
    this.writer = writer;
  }

  Route route(RequestContext ctx, String id) {
    return pathPrefix("tags", () -> concat(
        pathEnd(() -> concat(
            get(() -> respond(() -> reader.tags(ctx, id).thenApply(NeutronTags::all))),
            put(() -> body(b -> respond(() -> {
              JsonNode body = TAGS.validateAsNeutron(Json.parseObject(b));
              return writer.set(ctx, id, NetworkRoutes.strings(body.get("tags"))).thenApply(NeutronTags::all);
            }))),
            delete(() -> respond(() -> writer.set(ctx, id, List.of()).thenApply(t -> noContent()))))),
        path(PathMatchers.segment(), tag -> concat(
            get(() -> respond(() -> reader.tags(ctx, id).thenApply(tags -> {
              if (!tags.contains(tag)) throw notFound(tag);
              return noContent();
            }))),
            put(() -> respond(() -> {
              if (tag.isEmpty() || tag.length() > 255) throw NeutronErrors.invalidInput("Invalid tag " + tag);
              return reader.tags(ctx, id).thenCompose(tags -> {
                if (tags.contains(tag)) return writer.set(ctx, id, tags);
                List<String> next = new ArrayList<>(tags);
                next.add(tag);
                return writer.set(ctx, id, List.copyOf(next));
              }).thenApply(t -> HttpResponse.create().withStatus(201));
            })),
            delete(() -> respond(() -> reader.tags(ctx, id).thenCompose(tags -> {
              if (!tags.contains(tag)) throw notFound(tag);
              return writer.set(ctx, id, tags.stream().filter(t -> !t.equals(tag)).toList());
            }).thenApply(t -> noContent())))))));
  }

  private static ApiError notFound(String tag) {
    return NeutronErrors.error(404, "TagNotFound", "Tag " + tag + " could not be found.");
  }

  private static HttpResponse all(List<String> tags) {
    return Json.response(200, Map.of("tags", tags));
  }

  private static HttpResponse noContent() {
    return HttpResponse.create().withStatus(204);
  }
}
