package nimbus.edge.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import nimbus.edge.identity.IdentityEntity.Directory;
import nimbus.edge.identity.IdentityEntity.User;
import nimbus.edge.identity.IdentityEntity.UserRef;
import nimbus.testing.EntityTestSupport;
import nimbus.testing.ManualClock;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The identity catalog: what leaves it, lockouts that survive a restart, and a replay that always gives the same state. */
class IdentityEntityTest extends EntityTestSupport {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
  private EventSourcedBehaviorTestKit<IdentityEntity.Command, IdentityEntity.Event, IdentityEntity.State> kit;

  @BeforeEach
  void bootstrapped() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), IdentityEntity.create(clock, event -> { }));
    kit.<StatusReply<Boolean>>runCommand(r -> new IdentityEntity.Bootstrap("admin-hash", r));
    for (String name : List.of("alice", "bob")) {
      User u = new User(name + "-id", name, IdentityEntity.DEFAULT_DOMAIN, name + "-hash", true, Optional.empty(), "", false);
      kit.<StatusReply<Done>>runCommand(r -> new IdentityEntity.SaveUser(u, true, r));
    }
  }

  private Directory directory() {
    return kit.<StatusReply<Directory>>runCommand(IdentityEntity.GetDirectory::new).reply().getValue();
  }

  private Directory login(String name) {
    UserRef ref = new UserRef(Optional.empty(), Optional.of(name), Optional.of(IdentityEntity.DEFAULT_DOMAIN), Optional.empty());
    return kit.<StatusReply<Directory>>runCommand(r -> new IdentityEntity.GetLogin(ref, Optional.empty(), r)).reply().getValue();
  }

  @Test
  void aLoginGetsOneUsersRecordAndReadsGetNoHashes() {
    Directory forAlice = login("alice");
    assertEquals(List.of("alice-hash"), forAlice.users().values().stream().map(User::passwordHash).toList());
    assertTrue(login("nobody").users().isEmpty());
    assertTrue(directory().users().values().stream().allMatch(u -> u.passwordHash().isEmpty()), "no hash in reads");

    // a change that brings no hash (reads have none to give back) keeps the stored one
    User renamed = new User("alice-id", "alice", IdentityEntity.DEFAULT_DOMAIN, "", true, Optional.empty(), "renamed", false);
    kit.<StatusReply<Done>>runCommand(r -> new IdentityEntity.SaveUser(renamed, false, r));
    assertEquals("alice-hash", login("alice").users().get("alice-id").passwordHash());
  }

  @Test
  void lockoutsAreStateAndSurviveARestartExceptForUsersThatIgnoreThem() {
    for (int i = 0; i < 3; i++) kit.runCommand(new IdentityEntity.LoginFailed("bob-id", 3, Duration.ofMinutes(5)));
    kit.restart();
    assertEquals(clock.instant().plus(Duration.ofMinutes(5)), login("bob").lockedUntil().get("bob-id"));

    String admin = directory().userByName("admin", IdentityEntity.DEFAULT_DOMAIN).orElseThrow().id();
    assertTrue(directory().users().get(admin).ignoreLockout(), "the bootstrap admin cannot be locked out");
    for (int i = 0; i < 5; i++) kit.runCommand(new IdentityEntity.LoginFailed(admin, 3, Duration.ofMinutes(5)));
    assertFalse(directory().lockedUntil().containsKey(admin));

    kit.runCommand(new IdentityEntity.LoginFailed("alice-id", 3, Duration.ofMinutes(5)));
    kit.runCommand(new IdentityEntity.LoginSucceeded("alice-id"));
    kit.runCommand(new IdentityEntity.LoginFailed("alice-id", 3, Duration.ofMinutes(5)));
    kit.runCommand(new IdentityEntity.LoginFailed("alice-id", 3, Duration.ofMinutes(5)));
    assertFalse(directory().lockedUntil().containsKey("alice-id"), "failures in a row count; a success starts over");
  }

  private StatusReply<Done> run(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Done>>, IdentityEntity.Command> command) {
    return kit.<StatusReply<Done>>runCommand(command::apply).reply();
  }

  @Test
  void theServiceCatalogIsSeededAndItsChangesKeepItWhole() {
    ServiceCatalog seeded = directory().catalog();
    assertTrue(seeded.seeded());
    assertEquals("compute", seeded.services().get("nova").type());
    assertEquals(15, seeded.endpoints().size(), "five services, three interfaces each");

    var service = new ServiceCatalog.Service("s1", "thing", Optional.of("thing"), "", true);
    assertTrue(run(r -> new IdentityEntity.SaveService(service, true, r)).isSuccess());
    var endpoint = new ServiceCatalog.Endpoint("e1", "s1", "public", "http://x", Optional.of("RegionTwo"), true);
    assertTrue(run(r -> new IdentityEntity.SaveEndpoint(endpoint, true, r)).isSuccess());
    assertTrue(directory().catalog().regions().containsKey("RegionTwo"), "an endpoint's new region is created with it");
    var orphan = new ServiceCatalog.Endpoint("e2", "no-such-service", "public", "http://x", Optional.empty(), true);
    assertTrue(run(r -> new IdentityEntity.SaveEndpoint(orphan, true, r)).isError());

    assertTrue(run(r -> new IdentityEntity.DeleteRegion("RegionTwo", r)).isError(), "an endpoint is in it");
    var child = new ServiceCatalog.Region("child", "", Optional.of("RegionTwo"));
    assertTrue(run(r -> new IdentityEntity.SaveRegion(child, true, r)).isSuccess());
    var circle = new ServiceCatalog.Region("RegionTwo", "", Optional.of("child"));
    assertTrue(run(r -> new IdentityEntity.SaveRegion(circle, false, r)).isError(), "its own grandparent");

    assertTrue(run(r -> new IdentityEntity.DeleteService("s1", r)).isSuccess());
    assertFalse(directory().catalog().endpoints().containsKey("e1"), "a service goes with its endpoints");
    kit.restart();
    assertEquals(seeded.services().size(), directory().catalog().services().size());
    assertEquals(Optional.of("RegionTwo"), directory().catalog().regions().get("child").parentRegionId());
  }

  @Test
  void aRelativeUrlIsUnderTheApiAndAProjectIsSubstituted() {
    assertEquals("https://api:8080/volume/v3/p1", ServiceCatalog.url("/volume/v3/$(project_id)s", "https://api:8080", Optional.of("p1")));
    assertEquals("http://x/v2/p1", ServiceCatalog.url("http://x/v2/%(tenant_id)s", "https://api", Optional.of("p1")));
    assertEquals("https://api/volume/v3/$(project_id)s", ServiceCatalog.url("/volume/v3/$(project_id)s", "https://api", Optional.empty()));
  }

  @Test
  void aReplayGivesTheSameStateWhenEverItRuns() {
    kit.<StatusReply<Done>>runCommand(r -> new IdentityEntity.RevokeToken("old", clock.instant().plusSeconds(60), r));
    clock.advance(Duration.ofHours(2));
    kit.<StatusReply<Done>>runCommand(r -> new IdentityEntity.RevokeToken("new", clock.instant().plusSeconds(3600), r));
    Directory before = directory();
    assertFalse(before.revokedTokens().containsKey("old"), "expired when the next was revoked: dropped");
    clock.advance(Duration.ofDays(30));
    kit.restart();
    assertEquals(before, directory(), "the same catalog, a month later");
  }
}
