package nimbus.cluster;

import java.util.List;

/**
 * A resource changed (or is gone): which one, and who may know of it. Live views (the dashboard's
 * event stream) tell it to those who may see the resource, who then read it through the API.
 * {@code kind} is the resource's name in the events API ({@code volume}, {@code network}, ...);
 * {@code everyone} is true for what every project lists (shared or external networks, public and
 * community images, public flavors); {@code sharedWith} holds the other projects that see it (an
 * image's members, a private flavor's projects). A resource of no project ({@code projectId}
 * empty: the identity catalog's, a private flavor's) is the cloud's admin's to know, and those of
 * {@code sharedWith}. {@code userId}, when not empty, narrows it to that user's tokens alone (a
 * key pair is its user's, whatever the project, even to the cloud's admin).
 */
public record ResourceChange(String kind, String id, String projectId, boolean everyone, List<String> sharedWith,
    boolean deleted, String userId) implements CborSerializable {

  public ResourceChange {
    sharedWith = List.copyOf(sharedWith);
    if (userId == null) userId = ""; // sent by a node from before personal changes
  }

  /** A change of a resource of a project, not of one user. */
  public ResourceChange(String kind, String id, String projectId, boolean everyone, List<String> sharedWith,
      boolean deleted) {
    this(kind, id, projectId, everyone, sharedWith, deleted, "");
  }

  /** A change of a resource only its own project (and the cloud's admin) sees. */
  public static ResourceChange owned(String kind, String id, String projectId, boolean deleted) {
    return new ResourceChange(kind, id, projectId, false, List.of(), deleted);
  }

  /** A change of a resource only the cloud's admin sees (the identity catalog's). */
  public static ResourceChange adminOnly(String kind, String id, boolean deleted) {
    return new ResourceChange(kind, id, "", false, List.of(), deleted);
  }

  /** A change of a resource of one user (a key pair), which only that user's tokens see. */
  public static ResourceChange personal(String kind, String id, String userId, boolean deleted) {
    return new ResourceChange(kind, id, "", false, List.of(), deleted, userId);
  }

  /** Whether a token of {@code userId} on {@code projectId} (an admin's if {@code admin}) may know of this change. */
  public boolean visibleTo(String projectId, String userId, boolean admin) {
    if (!this.userId.isEmpty()) return this.userId.equals(userId);
    return admin || everyone || (!this.projectId.isEmpty() && this.projectId.equals(projectId))
        || sharedWith.contains(projectId);
  }
}
