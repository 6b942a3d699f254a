package nimbus.edge;

import java.util.Set;

/**
 * Who is asking: the project a request acts in, the user and their roles, and whether the token
 * is the cloud's admin (the admin role on the admin project). Every route reads and writes only
 * within {@code projectId}, unless the {@link Policy} lets the caller do more.
 */
public record RequestContext(String projectId, String userId, Set<String> roles, boolean cloudAdmin) {

  /** The cloud's admin (the policy's {@code is_admin:True}); not the admin role on any other project. */
  public boolean isAdmin() {
    return cloudAdmin;
  }
}
