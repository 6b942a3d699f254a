package nimbus.edge.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Revocations that no clock can outrun, and that may arrive twice or out of order. */
class RevocationListTest {
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  private static Token token(String user, String project, Instant issuedAt, int userGeneration, int projectGeneration) {
    return new Token(user, Optional.of(project), List.of("member"), issuedAt, issuedAt.plus(Duration.ofHours(1)),
        "audit-" + user + issuedAt, List.of("password"), userGeneration, projectGeneration);
  }

  @Test
  void aTokenFromANodeWhoseClockRunsAheadIsRevokedWithItsUser() {
    RevocationList list = new RevocationList();
    // issued before the revocation by a node ten minutes ahead: by its time, after it
    Token early = token("alice", "p", NOW.plus(Duration.ofMinutes(10)), 0, 0);
    list.user("alice", 1);
    assertTrue(list.isRevoked(early), "the revocation holds whatever the token says of its time");
    // issued after it by a node ten minutes behind: by its time, before it
    Token late = token("alice", "p", NOW.minus(Duration.ofMinutes(10)), 1, 0);
    assertFalse(list.isRevoked(late), "a new login works at once");
  }

  @Test
  void projectRevocationsWorkTheSameWay() {
    RevocationList list = new RevocationList();
    list.project("p", 2);
    assertTrue(list.isRevoked(token("bob", "p", NOW.plus(Duration.ofDays(1)), 0, 1)));
    assertFalse(list.isRevoked(token("bob", "p", NOW, 0, 2)));
    assertFalse(list.isRevoked(token("bob", "other", NOW, 0, 0)), "other projects are untouched");
  }

  @Test
  void aRevocationHeardTwiceOrLateChangesNothing() {
    RevocationList list = new RevocationList();
    list.user("carol", 3);
    list.user("carol", 1); // an older one, heard late
    list.user("carol", 3); // the same one, from the journal after the entity
    assertTrue(list.isRevoked(token("carol", "p", NOW, 2, 0)));
    assertFalse(list.isRevoked(token("carol", "p", NOW, 3, 0)));
  }

  @Test
  void aSingleTokenIsRevokedByItsAuditIdUntilItWouldHaveExpired() {
    RevocationList list = new RevocationList();
    Token t = token("dave", "p", NOW, 0, 0);
    list.token(t.auditId(), t.expiresAt(), NOW);
    assertTrue(list.isRevoked(t));
    assertFalse(list.isRevoked(token("dave", "p", NOW.plusSeconds(1), 0, 0)), "another token of the same user");
  }

  /** Events journaled before generations were numbered count one each, as the entity counts them. */
  @Test
  void unnumberedEventsCountOneEach() {
    Integer g = null;
    g = IdentityEntity.generationAfter(g, 0);
    g = IdentityEntity.generationAfter(g, 0);
    assertEquals(2, g);
    assertEquals(3, IdentityEntity.generationAfter(g, 3));
    assertEquals(3, IdentityEntity.generationAfter(3, 2), "never backwards");
  }
}
