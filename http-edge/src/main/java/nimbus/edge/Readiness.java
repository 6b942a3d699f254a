package nimbus.edge;

import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import nimbus.cluster.ProjectionWatch;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What {@code /readyz} checks: this node is an Up cluster member, the database answers and no
 * read-side projection has stopped (control nodes), and this host's agent has reported (compute
 * nodes).
 */
public final class Readiness {
  private final ActorSystem<?> system;
  private final Executor blocking;
  private final boolean control;
  private final Supplier<Boolean> agentReady;
  private final Map<String, String> projections;
  private final ProjectionWatch watch;

  /** {@code projections}: the read side's projections, name to tag, watched for stalls. */
  public Readiness(ActorSystem<?> system, Executor blocking, boolean control,
      Supplier<Boolean> agentReady, Map<String, String> projections, Duration stallAfter) {
    this.system = system;
    this.blocking = blocking;
    this.control = control;
    this.agentReady = agentReady;
    this.projections = Map.copyOf(projections);
    this.watch = new ProjectionWatch(stallAfter);
  }

  public CompletionStage<Map<String, Boolean>> check() {
    Map<String, Boolean> checks = new LinkedHashMap<>();
    checks.put("cluster", Cluster.get(system).selfMember().status() == MemberStatus.up());
    checks.put("agent", agentReady.get());
    if (!control) return CompletableFuture.completedFuture(checks);
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = ReadSideDatabase.get(system).connection()) {
        checks.put("database", c.isValid(2));
        for (Map.Entry<String, String> p : new java.util.TreeMap<>(projections).entrySet()) {
          checks.put("projection " + p.getKey(), watch.healthy(p.getKey(), ReadSideProjection.progress(c, p.getKey(), p.getValue())));
        }
      } catch (Exception e) {
        checks.put("database", false);
      }
      return checks;
    }, blocking);
  }
}
