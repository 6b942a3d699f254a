package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The volume type catalog: the default type always there, unique names, extra specs, access to private types. */
class VolumeTypeCatalogEntityTest extends EntityTestSupport {
  private EventSourcedBehaviorTestKit<VolumeTypeCatalogEntity.Command, VolumeTypeCatalogEntity.Event,
      VolumeTypeCatalogEntity.Catalog> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), VolumeTypeCatalogEntity.create());
    kit.clear();
  }

  private <T> StatusReply<T> run(Function<ActorRef<StatusReply<T>>, VolumeTypeCatalogEntity.Command> command) {
    return kit.<StatusReply<T>>runCommand(command::apply).reply();
  }

  private static VolumeType type(String id, String name, boolean isPublic) {
    return new VolumeType(id, name, "", isPublic, Set.of(), Map.of(VolumeType.BACKEND, "pool-" + name));
  }

  private StatusReply<VolumeType> create(VolumeType t) {
    return run(r -> new VolumeTypeCatalogEntity.Create(t, r));
  }

  @Test
  void theDefaultTypeIsThereAndCannotBeDeletedOrRenamed() {
    VolumeTypeCatalogEntity.Catalog c = kit.getState();
    assertEquals(VolumeType.DEFAULT, c.find("__DEFAULT__").orElseThrow());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeTypeCatalogEntity.Delete(VolumeType.DEFAULT_ID, r)).getError()).kind());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.Update(
        VolumeType.DEFAULT_ID, Optional.of("other"), Optional.empty(), Optional.empty(), r)).getError()).kind());
  }

  @Test
  void namesAreUniqueAndATypeIsFoundByIdOrNameAndSurvivesARestart() {
    assertTrue(create(type("a", "gold", true)).isSuccess());
    StatusReply<VolumeType> twice = create(type("b", "gold", true));
    assertEquals("Volume Type gold already exists.", Rejection.from(twice.getError()).message());
    assertTrue(create(type("b", "silver", true)).isSuccess());
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.Update(
        "b", Optional.of("gold"), Optional.empty(), Optional.empty(), r)).getError()).kind());
    kit.restart();
    assertEquals(Optional.of("pool-gold"), kit.getState().find("gold").orElseThrow().backend());
    assertEquals("silver", kit.getState().find("b").orElseThrow().name());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeTypeCatalogEntity.Delete("a", r)).isSuccess());
    assertTrue(kit.getState().find("gold").isEmpty());
  }

  @Test
  void extraSpecsAreSetReplacedAndRemovedOnceWithCindersWords() {
    create(type("a", "gold", true));
    this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.SetExtraSpecs("a", Map.of("k", "v", VolumeType.BACKEND, "x"), r));
    assertEquals(Map.of("k", "v", VolumeType.BACKEND, "x"), kit.getState().byId().get("a").extraSpecs());
    assertTrue(this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.UnsetExtraSpec("a", "k", r)).isSuccess());
    StatusReply<VolumeType> again = run(r -> new VolumeTypeCatalogEntity.UnsetExtraSpec("a", "k", r));
    assertEquals("Volume Type a has no extra specs with key k.", Rejection.from(again.getError()).message());
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<VolumeType>run(
        r -> new VolumeTypeCatalogEntity.SetExtraSpecs("nope", Map.of("k", "v"), r)).getError()).kind());
  }

  @Test
  void aPrivateTypeIsUsableOnlyByTheProjectsGivenAccessAndAPublicOneTakesNoAccessList() {
    create(type("p", "private", false));
    create(type("o", "open", true));
    assertFalse(kit.getState().byId().get("p").usableBy("proj"));
    assertTrue(this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.Access("p", "proj", true, r)).isSuccess());
    assertTrue(kit.getState().byId().get("p").usableBy("proj"));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(this.<VolumeType>run(
        r -> new VolumeTypeCatalogEntity.Access("p", "proj", true, r)).getError()).kind());
    assertTrue(this.<VolumeType>run(r -> new VolumeTypeCatalogEntity.Access("p", "proj", false, r)).isSuccess());
    assertFalse(kit.getState().byId().get("p").usableBy("proj"));
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<VolumeType>run(
        r -> new VolumeTypeCatalogEntity.Access("p", "proj", false, r)).getError()).kind());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<VolumeType>run(
        r -> new VolumeTypeCatalogEntity.Access("o", "proj", true, r)).getError()).kind());
  }
}
