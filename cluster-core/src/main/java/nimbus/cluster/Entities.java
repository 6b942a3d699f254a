package nimbus.cluster;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Registers an entity type with cluster sharding the Nimbus way: entities live on nodes with the
 * {@code control} role (other nodes get a proxy). Entities that carry out long work are
 * remembered, so one that was busy when its node died is started again and resumes; they
 * passivate themselves when idle. Others passivate after the default idle time.
 */
public final class Entities {
  public static final String CONTROL_ROLE = "control";

  /**
   * How an entity meets a journal that fails (its database down or unreachable): it restarts,
   * later and later up to every few seconds, keeping the commands that arrive meanwhile, and
   * recovers once the database is back. Without it, a failed write or replay stops the entity.
   */
  public static final BackoffSupervisorStrategy JOURNAL_BACKOFF =
      SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2);

  private Entities() {}

  /** Entities that resume work after a crash. */
  public static <M> ActorRef<ShardingEnvelope<M>> initRemembered(
      ActorSystem<?> system, EntityTypeKey<M> key, Function<EntityContext<M>, Behavior<M>> create) {
    return init(system, key, create, true);
  }

  /** Entities with no work in flight between commands. */
  public static <M> ActorRef<ShardingEnvelope<M>> init(
      ActorSystem<?> system, EntityTypeKey<M> key, Function<EntityContext<M>, Behavior<M>> create) {
    return init(system, key, create, false);
  }

  private static <M> ActorRef<ShardingEnvelope<M>> init(ActorSystem<?> system,
      EntityTypeKey<M> key, Function<EntityContext<M>, Behavior<M>> create, boolean remember) {
    ClusterShardingSettings settings = ClusterShardingSettings.create(system)
        .withRole(CONTROL_ROLE)
        .withRememberEntities(remember);
    return ClusterSharding.get(system).init(Entity.of(key, create::apply).withSettings(settings));
  }
}
