package nimbus.edge.identity;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tokens are revoked, as one node knows it: single tokens by audit id, and every token of
 * a user or of a project up to a revocation generation. A token carries the generations of its
 * user and project at issue; one issued before a revocation has a lower generation. No clock is
 * compared, so a node whose clock runs ahead cannot mint tokens that outlive a revocation.
 *
 * <p>What is recorded only grows (generations are kept at their highest), so the same
 * revocation may arrive twice, and in any order, from the local entity, the journal and the
 * catalog at start.
 */
final class RevocationList {
  private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
  private final Map<String, Integer> users = new ConcurrentHashMap<>();
  private final Map<String, Integer> projects = new ConcurrentHashMap<>();

  void token(String auditId, Instant expiresAt, Instant now) {
    tokens.put(auditId, expiresAt);
    tokens.values().removeIf(expiry -> expiry.isBefore(now)); // an expired token is refused anyway
  }

  void user(String userId, int generation) {
    users.merge(userId, generation, Math::max);
  }

  void project(String projectId, int generation) {
    projects.merge(projectId, generation, Math::max);
  }

  boolean isRevoked(Token token) {
    return tokens.containsKey(token.auditId())
        || token.userGeneration() < users.getOrDefault(token.userId(), 0)
        || token.projectId().filter(p -> token.projectGeneration() < projects.getOrDefault(p, 0)).isPresent();
  }
}
