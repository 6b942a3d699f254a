package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import nimbus.compute.Flavor;
import nimbus.compute.ProjectQuotaEntity;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerView;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Nova's {@code resize} action: the new flavor must differ and must not shrink the root disk,
 * and the project's quota must hold the larger of the two flavors while the resize waits to be
 * confirmed or reverted. Where the server goes (its host, or another) is the entity's to decide.
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

  CompletionStage<HttpResponse> resize(RequestContext ctx, ServerView server, JsonNode args) {
    if (args == null || !args.isObject()) throw Fields.wrongType("resize", args, "object");
    Fields.onlyKnown(args, "resize", Set.of("flavorRef", "OS-DCF:diskConfig"));
    String flavorRef = Ids.lastSegment(Fields.reference(args, "flavorRef"));
    Flavor old = server.flavor();
    EntityRef<ProjectQuotaEntity.Command> quota = sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, server.projectId());
    return flavors.usable(ctx, flavorRef)
        .thenCompose(flavor -> {
          if (flavor.id().equals(old.id())) throw ApiError.badRequest("When resizing, instances must change flavor!");
          if (flavor.diskGb() < old.diskGb()) throw ApiError.badRequest("Unable to resize disk down.");
          return quota.<Done>askWithStatus(r -> new ProjectQuotaEntity.Reserve(
                  Map.of(server.id(), old.resources().max(flavor.resources())), r), timeout)
              .thenCompose(reserved -> sharding.entityRefFor(ServerEntity.TYPE_KEY, server.id())
                  .<Done>askWithStatus(r -> new ServerEntity.Resize(flavor, r), timeout)
                  .whenComplete((done, refused) -> {
                    if (refused != null) quota.tell(new ProjectQuotaEntity.Adjust(server.id(), old.resources()));
                  }));
        })
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }
}
