package nimbus.compute;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import nimbus.cluster.Rejection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import nimbus.config.ComputeSettings;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/** The hosts as host entities in the cluster, ranked from this node's {@link HostDirectory}. */
public final class ShardedHostGateway implements HostGateway {
  private final ClusterSharding sharding;
  private final HostDirectory directory;
  private final ComputeSettings settings;
  private final Duration askTimeout;

  public ShardedHostGateway(ActorSystem<?> system, ComputeSettings settings) {
    this.sharding = ClusterSharding.get(system);
    this.directory = HostDirectory.get(system);
    this.settings = settings;
    // a claim waits behind the host's other claims; it is only re-sent after this long
    this.askTimeout = settings.stepRetryInterval().multipliedBy(3);
  }

  @Override
  public List<String> candidates(Demand demand, Set<String> excluded) {
    return directory.candidates(demand, excluded, settings);
  }

  @Override
  public boolean settled() {
    return directory.listeningFor(settings.hostDownAfter());
  }

  @Override
  public CompletionStage<StatusReply<Done>> claim(String host, String serverId, Resources need,
      Optional<Placement> placement) {
    CompletionStage<StatusReply<Done>> claimed = sharding.entityRefFor(HostEntity.TYPE_KEY, host)
        .ask(replyTo -> new HostEntity.Claim(serverId, need, placement, replyTo), askTimeout);
    Optional<Placement> together = placement.filter(Placement::together);
    if (together.isEmpty()) return claimed;
    // the host holds the room; the group decides whether it is the group's host (first one wins)
    Placement p = together.get();
    return claimed.thenCompose(reply -> reply.isError() ? CompletableFuture.completedFuture(reply)
        : sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, p.projectId())
            .<StatusReply<String>>ask(r -> new ServerGroupsEntity.Pin(p.groupId(), host, r), askTimeout)
            .thenApply(pinned -> {
              if (pinned.isSuccess() && !pinned.getValue().equals(host)) {
                release(host, serverId);
                return Rejection.conflict("Affinity server group " + p.groupId() + " is on host " + pinned.getValue());
              }
              return reply;
            }));
  }

  @Override
  public void release(String host, String serverId) {
    sharding.entityRefFor(HostEntity.TYPE_KEY, host).tell(new HostEntity.Release(serverId));
  }

  @Override
  public CompletionStage<Done> giveBack(ServerSpec spec, Optional<String> host, String serverId) {
    CompletionStage<Done> room = host.<CompletionStage<Done>>map(h -> sharding.entityRefFor(HostEntity.TYPE_KEY, h)
        .askWithStatus(r -> new HostEntity.ReleaseConfirmed(serverId, r), askTimeout))
        .orElse(CompletableFuture.completedFuture(Done.getInstance()));
    CompletionStage<Done> quota = sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, spec.projectId())
        .askWithStatus(r -> new ProjectQuotaEntity.ReleaseConfirmed(List.of(serverId), r), askTimeout);
    CompletionStage<Done> group = spec.group().<CompletionStage<Done>>map(g ->
            sharding.entityRefFor(ServerGroupsEntity.TYPE_KEY, spec.projectId())
                .askWithStatus(r -> new ServerGroupsEntity.LeaveConfirmed(g.groupId(), serverId, r), askTimeout))
        .orElse(CompletableFuture.completedFuture(Done.getInstance()));
    return room.thenCompose(a -> quota).thenCompose(b -> group);
  }

  @Override
  public CompletionStage<Optional<Rejection>> reserveQuota(String projectId, String serverId, Resources resources) {
    return Answers.refusalOf(sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .<Done>askWithStatus(r -> new ProjectQuotaEntity.Reserve(java.util.Map.of(serverId, resources), r), askTimeout));
  }

  @Override
  public CompletionStage<Done> settleQuota(String projectId, String serverId, Resources resources) {
    return sharding.entityRefFor(ProjectQuotaEntity.TYPE_KEY, projectId)
        .askWithStatus(r -> new ProjectQuotaEntity.Adjust(serverId, resources, r), askTimeout);
  }

  @Override
  public void tellAgent(String host, HostAgentCommand command) {
    // straight to the agent: it dedupes, and a command lost on the way is sent again
    directory.agent(host).ifPresent(agent -> agent.tell(command));
  }
}
