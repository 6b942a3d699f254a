package nimbus.compute;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

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
    return refusalOf(sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .<org.apache.pekko.Done>askWithStatus(r -> new ProjectQuotaEntity.Reserve(need, r), timeout));
  }

  @Override
  public CompletionStage<Optional<Rejection>> join(String projectId, String groupId, List<String> serverIds) {
    return refusalOf(sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, projectId)
        .<ServerGroupsEntity.Group>askWithStatus(r -> new ServerGroupsEntity.Join(groupId, serverIds, r), timeout));
  }

  @Override
  public CompletionStage<Optional<Rejection>> create(String serverId, ServerSpec spec) {
    return refusalOf(sharding.entityRefFor(ServerEntity.TYPE_KEY, serverId)
        .<ServerView>askWithStatus(r -> new ServerEntity.Create(spec, r), timeout));
  }

  @Override
  public CompletionStage<Void> undo(String projectId, Optional<String> groupId, List<String> serverIds) {
    groupId.ifPresent(g -> serverIds.forEach(id ->
        sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, projectId).tell(new ServerGroupsEntity.Leave(g, id))));
    return sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .<org.apache.pekko.Done>askWithStatus(r -> new ProjectQuotaEntity.ReleaseConfirmed(serverIds, r), timeout)
        .thenApply(done -> null);
  }

  /** The entity's refusal as a value; any other failure (no answer in time) stays a failure. */
  private static CompletionStage<Optional<Rejection>> refusalOf(CompletionStage<?> answer) {
    return answer.handle((ok, failure) -> {
      Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (t == null) return Optional.<Rejection>empty();
      if (t instanceof StatusReply.ErrorMessage) return Optional.of(Rejection.from(t));
      throw new CompletionException(t);
    });
  }
}
