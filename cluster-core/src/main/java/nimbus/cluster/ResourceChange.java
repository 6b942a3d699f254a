package nimbus.cluster;

import java.util.List;

/**
 * A resource changed (or is gone): which one, and who may know of it. Live views (the dashboard's
 * event stream) tell it to those who may see the resource, who then read it through the API.
 * {@code kind} is the resource's name in the events API ({@code volume}, {@code network}, ...);
 * {@code everyone} is true for what every project lists (shared or external networks, public and
 * community images); {@code sharedWith} holds the other projects that see it (an image's members).
 */
public record ResourceChange(String kind, String id, String projectId, boolean everyone, List<String> sharedWith,
    boolean deleted) implements CborSerializable {

  public ResourceChange {
    sharedWith = List.copyOf(sharedWith);
  }

  /** A change of a resource only its own project (and the cloud's admin) sees. */
  public static ResourceChange owned(String kind, String id, String projectId, boolean deleted) {
    return new ResourceChange(kind, id, projectId, false, List.of(), deleted);
  }

  /** Whether a token of {@code projectId} (an admin's if {@code admin}) may know of this change. */
  public boolean visibleTo(String projectId, boolean admin) {
    return admin || everyone || this.projectId.equals(projectId) || sharedWith.contains(projectId);
  }
}
