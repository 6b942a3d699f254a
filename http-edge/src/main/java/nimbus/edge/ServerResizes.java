package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import nimbus.compute.Flavor;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerView;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Nova's {@code resize} action: the new flavor must differ and must not shrink the root disk.
 * The rest is the server's own persisted work: holding the project's quota for the larger of the
 * two flavors (a refusal answers 403), choosing where it goes, and settling at the end.
 */
final class ServerResizes {
  private final ClusterSharding sharding;
  private final FlavorRoutes flavors;
  private final Duration timeout;

  ServerResizes(ClusterSharding sharding, FlavorRoutes flavors, Duration timeout) {
    this.sharding = sharding;
    this.flavors = flavors;
    this.timeout = timeout;
  }

  CompletionStage<HttpResponse> resize(RequestContext ctx, ServerView server, JsonNode args, String requestId) {
    String flavorRef = Ids.lastSegment(args.get("flavorRef").asText()); // checked by server-action-resize.json
    Flavor old = server.flavor();
    return flavors.usable(ctx, flavorRef)
        .thenCompose(flavor -> {
          if (flavor.id().equals(old.id())) throw ApiError.badRequest("When resizing, instances must change flavor!");
          if (flavor.diskGb() < old.diskGb()) throw ApiError.badRequest("Unable to resize disk down.");
          return sharding.entityRefFor(ServerEntity.TYPE_KEY, server.id())
              .<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId, new ServerEntity.Resize(flavor, r)), timeout);
        })
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }
}
