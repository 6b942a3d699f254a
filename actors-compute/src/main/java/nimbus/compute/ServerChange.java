package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A server as it is after a change, in brief: what a live view needs to update its row (the
 * dashboard's event stream carries it). {@code status} is Nova's, {@code DELETED} at the end.
 */
public record ServerChange(String id, String projectId, String name, String status, Optional<String> taskState,
    Optional<String> host) implements CborSerializable {

  static ServerChange of(ServerView view) {
    return new ServerChange(view.id(), view.projectId(), view.name(), view.status(), view.taskState(), view.host());
  }
}
