package nimbus.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import nimbus.compute.Flavor;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** Nova's {@code /flavors}: list, detail and show of the cloud's flavors (read-only for now). */
final class FlavorRoutes extends ServiceRoutes {

  FlavorRoutes() {
    super(NovaErrors::response);
  }

  Route route(String baseUrl) {
    return pathPrefix("flavors", () -> get(() -> concat(
        pathEndOrSingleSlash(() -> complete(list(baseUrl, false))),
        path("detail", () -> complete(list(baseUrl, true))),
        path(PathMatchers.segment(), id -> respond(() -> CompletableFuture.completedFuture(show(baseUrl, id)))),
        path(PathMatchers.segment().slash("os-extra_specs"), id -> respond(() -> CompletableFuture.completedFuture(
            extraSpecs(id)))))));
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse list(String baseUrl, boolean detail) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode flavors = body.putArray("flavors");
    Flavor.DEFAULTS.forEach(f -> flavors.add(detail ? detail(f, baseUrl) : summary(f, baseUrl)));
    return Json.response(200, body);
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse show(String baseUrl, String id) {
    Flavor f = Flavor.byId(id).orElseThrow(() -> ApiError.notFound("Flavor " + id + " could not be found."));
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("flavor", detail(f, baseUrl));
    return Json.response(200, body);
  }

  /** The built-in flavors have no extra specs. */
  private static org.apache.pekko.http.javadsl.model.HttpResponse extraSpecs(String id) {
    Flavor.byId(id).orElseThrow(() -> ApiError.notFound("Flavor " + id + " could not be found."));
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putObject("extra_specs");
    return Json.response(200, body);
  }

  private static ObjectNode summary(Flavor f, String baseUrl) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", f.id()).put("name", f.name());
    o.set("links", ServerJson.links(baseUrl, "flavors", f.id()));
    return o;
  }

  private static ObjectNode detail(Flavor f, String baseUrl) {
    ObjectNode o = summary(f, baseUrl);
    o.put("ram", f.ramMb()).put("vcpus", f.vcpus()).put("disk", f.diskGb())
        .put("OS-FLV-EXT-DATA:ephemeral", 0).put("swap", "").put("rxtx_factor", 1.0)
        .put("os-flavor-access:is_public", true).put("OS-FLV-DISABLED:disabled", false);
    return o;
  }
}
