package nimbus.compute;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A {@link ServerCreation}'s steps as messages to the entities that own them: the project's
 * quota, its server groups, each server. A refusal answers as a {@link Rejection}; no answer in
 * time fails the stage, and the creation asks again.
 */
final class ShardedCreationSteps implements ServerCreation.Steps {
  private final ClusterSharding sharding;
  private final Duration timeout;

  ShardedCreationSteps(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Optional<Rejection>> reserve(String projectId, Map<String, Resources> need) {
    return Answers.refusalOf(sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .<org.apache.pekko.Done>askWithStatus(r -> new ProjectQuotaEntity.Reserve(need, r), timeout));
  }

  @Override
  public CompletionStage<Optional<Rejection>> join(String projectId, String groupId, List<String> serverIds) {
    return Answers.refusalOf(sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, projectId)
        .<ServerGroupsEntity.Group>askWithStatus(r -> new ServerGroupsEntity.Join(groupId, serverIds, r), timeout));
  }

  @Override
  public CompletionStage<Optional<Rejection>> create(String serverId, ServerSpec spec, String requestId) {
    return Answers.refusalOf(sharding.entityRefFor(ServerEntity.TYPE_KEY, serverId)
        .<ServerView>askWithStatus(r -> new ServerEntity.ForRequest(requestId, new ServerEntity.Create(spec, r)), timeout));
  }

  @Override
  public CompletionStage<Void> undo(String projectId, Optional<String> groupId, List<String> serverIds) {
    groupId.ifPresent(g -> serverIds.forEach(id ->
        sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, projectId).tell(new ServerGroupsEntity.Leave(g, id))));
    return sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .<org.apache.pekko.Done>askWithStatus(r -> new ProjectQuotaEntity.ReleaseConfirmed(serverIds, r), timeout)
        .thenApply(done -> null);
  }
}
