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

  /** The only caller until identity arrives: the cloud's admin in the admin project. */
  public static final RequestContext ADMIN = new RequestContext("admin", "admin", Set.of("admin"));
}
