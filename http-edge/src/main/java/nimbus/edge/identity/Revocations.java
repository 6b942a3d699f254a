package nimbus.edge.identity;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import nimbus.cluster.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * This node's copy of the token revocations, so validating a token reads nothing remote. The
 * identity entity persists every revocation and broadcasts it on a cluster topic; a node loads
 * the full list when it starts.
 */
public final class Revocations implements Extension {

  /**
   * A revocation as broadcast: one token (by audit id), or all tokens of a user, or scoped to a
   * project, issued before a time. Exactly one of the three ids is set.
   */
  public record Revoked(String tokenAuditId, String userId, String projectId, Instant at)
      implements CborSerializable {}

  private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
  private final Map<String, Instant> usersBefore = new ConcurrentHashMap<>();
  private final Map<String, Instant> projectsBefore = new ConcurrentHashMap<>();
  private final ActorRef<Topic.Command<Revoked>> topic;

  private Revocations(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(Revoked.class, "nimbus-revocations"), "nimbus-revocations", Props.empty());
    topic.tell(Topic.subscribe(system.systemActorOf(Behaviors.<Revoked>receiveMessage(r -> {
      record(r);
      return Behaviors.same();
    }), "nimbus-revocation-list", Props.empty())));
  }

  public static Revocations get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Broadcasts a persisted revocation event to every node (this one included). */
  public void publish(IdentityEntity.Event event) {
    Revoked r;
    if (event instanceof IdentityEntity.TokenRevoked t) {
      r = new Revoked(t.auditId(), "", "", t.expiresAt());
    } else if (event instanceof IdentityEntity.UserTokensRevoked u) {
      r = new Revoked("", u.userId(), "", u.before());
    } else if (event instanceof IdentityEntity.ProjectTokensRevoked p) {
      r = new Revoked("", "", p.projectId(), p.before());
    } else {
      return;
    }
    record(r);
    topic.tell(Topic.publish(r));
  }

  /** Takes in the revocations the catalog holds (at start). */
  public void load(IdentityEntity.Directory directory) {
    directory.revokedTokens().forEach((id, expiry) -> record(new Revoked(id, "", "", expiry)));
    directory.userTokensRevokedBefore().forEach((user, before) -> record(new Revoked("", user, "", before)));
    directory.projectTokensRevokedBefore().forEach((project, before) -> record(new Revoked("", "", project, before)));
  }

  public boolean isRevoked(Token token) {
    if (tokens.containsKey(token.auditId())) return true;
    Instant before = usersBefore.get(token.userId());
    if (before != null && !token.issuedAt().isAfter(before)) return true;
    Instant projectBefore = token.projectId().map(projectsBefore::get).orElse(null);
    return projectBefore != null && !token.issuedAt().isAfter(projectBefore);
  }

  private void record(Revoked r) {
    if (!r.tokenAuditId().isEmpty()) {
      tokens.put(r.tokenAuditId(), r.at());
      Instant now = Instant.now();
      tokens.values().removeIf(expiry -> expiry.isBefore(now));
    } else if (!r.userId().isEmpty()) {
      usersBefore.merge(r.userId(), r.at(), (a, b) -> a.isAfter(b) ? a : b);
    } else {
      projectsBefore.merge(r.projectId(), r.at(), (a, b) -> a.isAfter(b) ? a : b);
    }
  }

  private static final class Id extends ExtensionId<Revocations> {
    static final Id INSTANCE = new Id();

    @Override
    public Revocations createExtension(ActorSystem<?> system) {
      return new Revocations(system);
    }
  }
}
