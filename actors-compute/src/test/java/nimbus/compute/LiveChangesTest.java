package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import nimbus.cluster.ResourceChange;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/**
 * What the key pairs, flavors and quota entities tell the events API once a change is persisted,
 * and who may hear of it: a key pair its user alone, a private flavor the projects that had or
 * have access, a project's limits that project.
 */
class LiveChangesTest extends EntityTestSupport {
  private final List<ResourceChange> told = new CopyOnWriteArrayList<>();

  @Test
  void aKeyPairIsToldToItsUserAloneNotEvenTheAdmin() {
    var kit = EventSourcedBehaviorTestKit.<KeypairsEntity.Command, KeypairsEntity.Event, KeypairsEntity.State>create(
        testKit.system(), KeypairsEntity.create("u-" + System.nanoTime(), told::add));
    Keypair k = new Keypair("k1", "u", "ssh-ed25519 AAAA", "fp", "ssh", Instant.EPOCH);
    kit.<StatusReply<Keypair>>runCommand(r -> new KeypairsEntity.Add(k, r));
    // refused (a second of that name): nothing persisted, nothing told
    kit.<StatusReply<Keypair>>runCommand(r -> new KeypairsEntity.Add(k, r));
    kit.<StatusReply<Done>>runCommand(r -> new KeypairsEntity.Remove("k1", r));
    assertEquals(List.of("k1/false", "k1/true"), told.stream().map(c -> c.id() + "/" + c.deleted()).toList());
    ResourceChange added = told.get(0);
    assertEquals("keypair", added.kind());
    String user = added.userId();
    assertTrue(added.visibleTo("any-project", user, false));
    assertFalse(added.visibleTo("any-project", "another-user", false));
    assertFalse(added.visibleTo("any-project", "the-admin", true));
  }

  @Test
  void aPrivateFlavorIsToldToTheProjectsThatHadOrHaveAccess() {
    var kit = EventSourcedBehaviorTestKit.<FlavorCatalogEntity.Command, FlavorCatalogEntity.Event, FlavorCatalogEntity.Catalog>create(
        testKit.system(), FlavorCatalogEntity.create(told::add));
    String id = "f-" + System.nanoTime();
    kit.<StatusReply<FlavorCatalogEntity.Entry>>runCommand(r -> new FlavorCatalogEntity.Create(
        new FlavorCatalogEntity.Entry(new Flavor(id, "private", 1, 64, 0), false, Set.of(), Map.of()), r));
    kit.<StatusReply<FlavorCatalogEntity.Entry>>runCommand(r -> new FlavorCatalogEntity.Access(id, "p1", true, r));
    kit.<StatusReply<FlavorCatalogEntity.Entry>>runCommand(r -> new FlavorCatalogEntity.Access(id, "p1", false, r));
    kit.<StatusReply<Done>>runCommand(r -> new FlavorCatalogEntity.Delete(id, r));
    assertEquals(4, told.size());
    ResourceChange made = told.get(0);
    assertTrue(made.visibleTo("admin-project", "admin", true));
    assertFalse(made.visibleTo("p1", "u", false));
    assertTrue(told.get(1).visibleTo("p1", "u", false));
    // the project that loses access hears of it, and of nothing after
    assertTrue(told.get(2).visibleTo("p1", "u", false));
    assertFalse(told.get(3).visibleTo("p1", "u", false));
    assertTrue(told.get(3).deleted());
    assertFalse(told.get(1).visibleTo("p2", "u", false));

    String open = "g-" + System.nanoTime();
    kit.<StatusReply<FlavorCatalogEntity.Entry>>runCommand(r -> new FlavorCatalogEntity.Create(
        new FlavorCatalogEntity.Entry(new Flavor(open, "public-" + open, 1, 64, 0), true, Set.of(), Map.of()), r));
    assertTrue(told.get(4).visibleTo("p2", "u", false));
  }

  @Test
  void aProjectsLimitsAreToldToThatProject() {
    String project = "p-" + System.nanoTime();
    var kit = EventSourcedBehaviorTestKit.<ProjectQuotaEntity.Command, ProjectQuotaEntity.Event, ProjectQuotaEntity.Quota>create(
        testKit.system(), ProjectQuotaEntity.create(project, new ProjectQuotaEntity.Limits(10, 20, 51200), told::add));
    kit.<StatusReply<ProjectQuotaEntity.Quota>>runCommand(r -> new ProjectQuotaEntity.SetLimits(
        new ProjectQuotaEntity.Limits(3, 20, 51200), r));
    assertEquals(List.of(ResourceChange.owned("quota", project, project, false)), told);
    assertFalse(told.get(0).visibleTo("another", "u", false));
  }
}
