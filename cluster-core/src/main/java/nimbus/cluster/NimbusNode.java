package nimbus.cluster;

import com.typesafe.config.Config;
import java.time.Duration;
import nimbus.config.NimbusSettings;
import nimbus.config.Role;
import org.apache.pekko.actor.typed.ActorSystem;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Starts the ActorSystem of one Nimbus node: Pekko configured from the node's settings, its
 * cluster credentials in place (a founding node makes them), the journal schema in place before
 * anything persists, and the node in its cluster (a node without seed nodes founds one).
 */
public final class NimbusNode {
  private NimbusNode() {}

  /**
   * Starts the node; {@code services} then registers entities, projections and actors (after the
   * schema exists, so remembered entities can recover).
   */
  public static ActorSystem<Void> start(NimbusSettings settings, Config extra,
      Consumer<ActorSystem<Void>> services) {
    ClusterTls.ensure(settings);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), PekkoConfig.SYSTEM_NAME,
        PekkoConfig.of(settings, extra));
    try {
      if (settings.has(Role.CONTROL)) {
        JournalSchema.ensureBlocking(system, Duration.ofSeconds(30));
        ReadSideProjection.createOffsetTables(system, Duration.ofSeconds(30));
      }
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("database " + settings.database().url() + ": "
          + rootMessage(e), e);
    }
    services.accept(system);
    if (settings.cluster().seedNodes().isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    return system;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage();
  }
}
