package nimbus.edge.identity;

import java.time.Clock;
import nimbus.cluster.Entities;
import org.apache.pekko.actor.typed.ActorSystem;

/** Registers identity on a node: the catalog entity, and on control nodes the revocations it journals. */
public final class Identity {
  private Identity() {}

  public static void init(ActorSystem<?> system, Clock clock, boolean control) {
    Revocations revocations = Revocations.get(system);
    Entities.init(system, IdentityEntity.TYPE_KEY, ctx -> IdentityEntity.create(clock, revocations::publish));
    if (control) revocations.follow(system, "jdbc-read-journal");
  }
}
