package nimbus.edge;

import java.util.Set;

/**
 * Who is asking: the project a request acts in, the user and their roles, and whether the token
 * is the cloud's admin (the admin role on the admin project). Every route reads and writes only
 * within {@code projectId}, unless the cloud's admin asks for more.
 */
public record RequestContext(String projectId, String userId, Set<String> roles, boolean cloudAdmin) {

  /** Cloud-wide powers (all projects, flavors, quotas, public images, hosts, identity): the cloud's admin alone. */
  public boolean isAdmin() {
    return cloudAdmin;
  }

  /** Members (and admins) may change things in their project; readers may only look. */
  public boolean canWrite() {
    return roles.contains("member") || roles.contains("admin");
  }
}
