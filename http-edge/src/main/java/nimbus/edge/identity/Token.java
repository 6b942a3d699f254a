package nimbus.edge.identity;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a token says: who, in which project (empty: unscoped), with which roles, from when to
 * when. Tokens carry it all, encrypted and authenticated, so validating one reads no database.
 */
public record Token(String userId, Optional<String> projectId, List<String> roles,
    Instant issuedAt, Instant expiresAt, String auditId, List<String> methods) {

  public boolean hasRole(String role) {
    return roles.contains(role);
  }
}
