package nimbus.edge;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import nimbus.compute.ServerView;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * What the routes under one server ({@code metadata}, {@code os-interface},
 * {@code os-volume_attachments}) need of {@link ServerRoutes}: the entities, the ask timeout,
 * the policy, and the server if the caller may see it ({@code visible}) or change it
 * ({@code unlocked}).
 */
record ServerAccess(ClusterSharding sharding, Duration timeout, Policy policy,
    BiFunction<RequestContext, String, CompletionStage<ServerView>> visible,
    BiFunction<RequestContext, String, CompletionStage<ServerView>> unlocked) {}
