package nimbus.edge.identity;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a token says: who, in which project (empty: unscoped), with which roles, from when to
 * when, and the revocation generations of its user and project when it was issued (see
 * {@link RevocationList}). Tokens carry it all, encrypted and authenticated, so validating one
 * reads no database.
 */
public record Token(String userId, Optional<String> projectId, List<String> roles,
    Instant issuedAt, Instant expiresAt, String auditId, List<String> methods, int userGeneration,
    int projectGeneration) {

  public boolean hasRole(String role) {
    return roles.contains(role);
  }
}
