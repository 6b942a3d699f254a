package nimbus.edge.identity;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;

/**
 * This node's copy of the token revocations, so validating a token reads nothing remote. Every
 * revocation is an event of the identity entity; each node reads them from the journal (from
 * the first, and on after any failure from where it was), so a node cannot miss one as it could
 * a broadcast. The node that revokes records at once, before it answers.
 */
public final class Revocations implements Extension {
  private final RevocationList list = new RevocationList();
  private final Clock clock = Clock.systemUTC();
  // generations as the journal's events give them, for events from before they were numbered
  private final Map<String, Integer> streamedUsers = new HashMap<>();
  private final Map<String, Integer> streamedProjects = new HashMap<>();
  private volatile long lastSequenceNr;

  private Revocations(ActorSystem<?> system) {}

  public static Revocations get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Follows the identity entity's events in the journal for as long as the node runs. */
  public void follow(ActorSystem<?> system, String readJournalPluginId) {
    EventsByPersistenceIdQuery journal = PersistenceQuery.get(system)
        .getReadJournalFor(EventsByPersistenceIdQuery.class, readJournalPluginId);
    String id = PersistenceId.of(IdentityEntity.TYPE_KEY.name(), IdentityEntity.ENTITY_ID).id();
    RestartSource.withBackoff(RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2),
            () -> journal.eventsByPersistenceId(id, lastSequenceNr + 1, Long.MAX_VALUE))
        .runForeach(envelope -> {
          lastSequenceNr = envelope.sequenceNr();
          if (envelope.event() instanceof IdentityEntity.Event event) streamed(event);
        }, Materializer.matFromSystem(system));
  }

  /** Records a revocation the local entity just persisted (it answers once this is done). */
  public void publish(IdentityEntity.Event event) {
    if (event instanceof IdentityEntity.TokenRevoked t) list.token(t.auditId(), t.expiresAt(), clock.instant());
    if (event instanceof IdentityEntity.UserTokensRevoked u) list.user(u.userId(), u.generation());
    if (event instanceof IdentityEntity.ProjectTokensRevoked p) list.project(p.projectId(), p.generation());
  }

  private void streamed(IdentityEntity.Event event) {
    if (event instanceof IdentityEntity.TokenRevoked t) list.token(t.auditId(), t.expiresAt(), clock.instant());
    if (event instanceof IdentityEntity.UserTokensRevoked u) {
      list.user(u.userId(), streamedUsers.compute(u.userId(),
          (user, before) -> IdentityEntity.generationAfter(before, u.generation())));
    }
    if (event instanceof IdentityEntity.ProjectTokensRevoked p) {
      list.project(p.projectId(), streamedProjects.compute(p.projectId(),
          (project, before) -> IdentityEntity.generationAfter(before, p.generation())));
    }
  }

  /** Takes in the revocations the catalog holds (at start, before the journal is read through). */
  public void load(IdentityEntity.Directory directory) {
    directory.revokedTokens().forEach((id, expiry) -> list.token(id, expiry, clock.instant()));
    directory.userTokenGenerations().forEach(list::user);
    directory.projectTokenGenerations().forEach(list::project);
  }

  public boolean isRevoked(Token token) {
    return list.isRevoked(token);
  }

  private static final class Id extends ExtensionId<Revocations> {
    static final Id INSTANCE = new Id();

    @Override
    public Revocations createExtension(ActorSystem<?> system) {
      return new Revocations(system);
    }
  }
}
