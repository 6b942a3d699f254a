package nimbus.storage;

import nimbus.cluster.Entities;
import org.apache.pekko.actor.typed.ActorSystem;

/** Registers the storage entities on a node. */
public final class Storage {
  private Storage() {}

  public static void init(ActorSystem<?> system) {
    Entities.init(system, ImageEntity.TYPE_KEY, ctx -> ImageEntity.create(ctx.getEntityId()));
  }
}
