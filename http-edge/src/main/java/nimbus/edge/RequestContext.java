package nimbus.edge;

import java.util.Set;

/**
 * Who is asking: the project a request acts in, the user and their roles. Every route reads and
 * writes only within {@code projectId}, unless an admin asks for all projects.
 */
public record RequestContext(String projectId, String userId, Set<String> roles) {

  public boolean isAdmin() {
    return roles.contains("admin");
  }

  /** Members (and admins) may change things in their project; readers may only look. */
  public boolean canWrite() {
    return roles.contains("member") || roles.contains("admin");
  }
}
