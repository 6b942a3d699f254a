package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/** A project's server groups: members join and leave; an affinity group's first host holds. */
class ServerGroupsEntityTest extends EntityTestSupport {

  @Test
  void theFirstMemberPlacedFixesAnAffinityGroupsHostUntilTheLastOneLeaves() {
    var kit = EventSourcedBehaviorTestKit.<ServerGroupsEntity.Command, ServerGroupsEntity.Event, ServerGroupsEntity.Groups>create(
        testKit.system(), ServerGroupsEntity.create("p-" + System.nanoTime(), 10, 10));
    var group = new ServerGroupsEntity.Group("g", "web", Placement.AFFINITY, "u", List.of(), Optional.empty());
    kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(r -> new ServerGroupsEntity.Create(group, r));
    kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(r -> new ServerGroupsEntity.Join("g", List.of("a", "b"), r));

    assertEquals("h1", pin(kit, "h1"));
    assertEquals("h1", pin(kit, "h2"), "a later member goes where the first went");
    kit.restart();
    assertEquals("h1", pin(kit, "h2"), "also after a restart");

    kit.runCommand(new ServerGroupsEntity.Leave("g", "a"));
    assertEquals("h1", pin(kit, "h2"), "one member is still there");
    kit.runCommand(new ServerGroupsEntity.Leave("g", "b"));
    assertTrue(kit.getState().byId().get("g").members().isEmpty());
    kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(r -> new ServerGroupsEntity.Join("g", List.of("c"), r));
    assertEquals("h2", pin(kit, "h2"), "an emptied group starts afresh");
  }

  @Test
  void aProjectHasAtMostItsQuotaOfGroupsAndAGroupOfMembers() {
    var kit = EventSourcedBehaviorTestKit.<ServerGroupsEntity.Command, ServerGroupsEntity.Event, ServerGroupsEntity.Groups>create(
        testKit.system(), ServerGroupsEntity.create("p-" + System.nanoTime(), 2, 3));
    for (String id : List.of("g1", "g2")) {
      var group = new ServerGroupsEntity.Group(id, id, Placement.ANTI_AFFINITY, "u", List.of(), Optional.empty());
      assertTrue(kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(r -> new ServerGroupsEntity.Create(group, r))
          .reply().isSuccess());
    }
    var third = new ServerGroupsEntity.Group("g3", "g3", Placement.ANTI_AFFINITY, "u", List.of(), Optional.empty());
    StatusReply<ServerGroupsEntity.Group> refused =
        kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(r -> new ServerGroupsEntity.Create(third, r)).reply();
    assertEquals(new nimbus.cluster.Rejection(nimbus.cluster.Rejection.Kind.FORBIDDEN,
        "Quota exceeded, too many server groups."), nimbus.cluster.Rejection.from(refused.getError()));

    assertTrue(kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(
        r -> new ServerGroupsEntity.Join("g1", List.of("a", "b"), r)).reply().isSuccess());
    var tooMany = kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(
        r -> new ServerGroupsEntity.Join("g1", List.of("c", "d"), r));
    assertTrue(tooMany.reply().isError());
    assertTrue(tooMany.events().isEmpty(), "none of them joins");
    assertTrue(kit.<StatusReply<ServerGroupsEntity.Group>>runCommand(
        r -> new ServerGroupsEntity.Join("g1", List.of("a", "b", "c"), r)).reply().isSuccess(), "members already in count once");
  }

  private static String pin(
      EventSourcedBehaviorTestKit<ServerGroupsEntity.Command, ServerGroupsEntity.Event, ServerGroupsEntity.Groups> kit,
      String host) {
    return kit.<StatusReply<String>>runCommand(r -> new ServerGroupsEntity.Pin("g", host, r)).reply().getValue();
  }
}
