package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/** An image's life: queued, saving, active (or queued again after a failed upload), deleted. */
class ImageEntityTest extends EntityTestSupport {
  private static final StoredFile FILE = new StoredFile("ab".repeat(64), "cd".repeat(16), 42);

  private EventSourcedBehaviorTestKit<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> kit(String id) {
    return kit(id, java.time.Duration.ofHours(1));
  }

  private EventSourcedBehaviorTestKit<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> kit(
      String id, java.time.Duration uploadTimeout) {
    return EventSourcedBehaviorTestKit.create(testKit.system(), ImageEntity.create(id, Clock.systemUTC(), uploadTimeout));
  }

  private static Image queued(String id, boolean protect) {
    ImageMetadata m = new ImageMetadata("img", "qcow2", "bare", "private", protect, 0, 0, Map.of("k", "v"), List.of());
    return new Image(id, "project-a", "queued", m, Optional.empty(), Optional.empty(), Instant.now(), Instant.now());
  }

  private static StatusReply<Image> run(
      EventSourcedBehaviorTestKit<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> kit,
      java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Image>>, ImageEntity.Command> command) {
    return kit.<StatusReply<Image>>runCommand(command::apply).reply();
  }

  @Test
  void anUploadTakesAQueuedImageThroughSavingToActiveAndSurvivesARestart() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    assertEquals("queued", run(kit, r -> new ImageEntity.Create(queued(id, false), r)).getValue().status());
    assertEquals("saving", run(kit, ImageEntity.BeginUpload::new).getValue().status());
    StatusReply<Image> second = run(kit, ImageEntity.BeginUpload::new);
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(second.getError()).kind(), "one upload at a time");
    Image active = run(kit, r -> new ImageEntity.FinishUpload(FILE, r)).getValue();
    assertEquals("active", active.status());
    assertEquals(Optional.of(FILE), active.file());
    kit.restart();
    assertInstanceOf(ImageEntity.Active.class, kit.getState());
    assertEquals(FILE, ((ImageEntity.Active) kit.getState()).image().file().orElseThrow());
    assertEquals(Rejection.Kind.CONFLICT,
        Rejection.from(run(kit, ImageEntity.BeginUpload::new).getError()).kind(), "an active image keeps its file");
  }

  @Test
  void aSeedRegisteredAgainIsUnchangedUnlessItsFilesMoved() {
    nimbus.config.ImageSeed seed = new nimbus.config.ImageSeed("g", "./data/guest/vmlinuz", "", "", "qcow2");
    Image kernel = ImageSeeds.imagesOf(seed, Instant.now()).get(0);
    var kit = kit(kernel.id());
    run(kit, r -> new ImageEntity.Register(kernel, r));
    assertTrue(kit.<StatusReply<Image>>runCommand(r -> new ImageEntity.Register(kernel, r)).events().isEmpty());

    Image moved = ImageSeeds.imagesOf(new nimbus.config.ImageSeed("g", "/abs/guest/vmlinuz", "", "", "qcow2"),
        Instant.now()).get(0);
    assertEquals(Optional.of("/abs/guest/vmlinuz"), run(kit, r -> new ImageEntity.Register(moved, r)).getValue().location());
    kit.restart();
    assertEquals(Optional.of("/abs/guest/vmlinuz"), ((ImageEntity.Active) kit.getState()).image().location());
  }

  @Test
  void aFailedUploadLeavesTheImageQueuedForAnother() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    run(kit, r -> new ImageEntity.Create(queued(id, false), r));
    run(kit, ImageEntity.BeginUpload::new);
    assertEquals("queued", run(kit, r -> new ImageEntity.AbortUpload("connection lost", r)).getValue().status());
    assertEquals("saving", run(kit, ImageEntity.BeginUpload::new).getValue().status());
  }

  @Test
  void metadataChangesKeepTheFileAndFormatsChangeOnlyWhileQueued() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    Image image = run(kit, r -> new ImageEntity.Create(queued(id, false), r)).getValue();
    ImageMetadata raw = new ImageMetadata("renamed", "raw", "bare", "private", false, 1, 0, Map.of(), List.of("t"));
    assertEquals("raw", run(kit, r -> new ImageEntity.UpdateMetadata(raw, r)).getValue().diskFormat());
    run(kit, ImageEntity.BeginUpload::new);
    run(kit, r -> new ImageEntity.FinishUpload(FILE, r));
    StatusReply<Image> refused = run(kit, r -> new ImageEntity.UpdateMetadata(image.metadata(), r));
    assertEquals(Rejection.Kind.FORBIDDEN, Rejection.from(refused.getError()).kind());
    ImageMetadata renamed = new ImageMetadata("again", "raw", "bare", "private", false, 1, 0, Map.of("a", "b"), List.of());
    Image updated = run(kit, r -> new ImageEntity.UpdateMetadata(renamed, r)).getValue();
    assertEquals("again", updated.name());
    assertEquals(Optional.of(FILE), updated.file());
  }

  @Test
  void onlyAnActiveImageIsDeactivatedAndOnlyADeactivatedOneReactivated() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    run(kit, r -> new ImageEntity.Create(queued(id, false), r));
    assertEquals("Not allowed to deactivate image in status 'queued'",
        Rejection.from(run(kit, ImageEntity.Deactivate::new).getError()).message());
    run(kit, ImageEntity.BeginUpload::new);
    run(kit, r -> new ImageEntity.FinishUpload(FILE, r));
    assertEquals("deactivated", run(kit, ImageEntity.Deactivate::new).getValue().status());
    assertTrue(kit.<StatusReply<Image>>runCommand(ImageEntity.Deactivate::new).events().isEmpty(), "already so: no change");
    kit.restart();
    assertEquals("deactivated", ((ImageEntity.Existing) kit.getState()).image().status());
    Image active = run(kit, ImageEntity.Reactivate::new).getValue();
    assertEquals("active", active.status());
    assertEquals(Optional.of(FILE), active.file());
    assertTrue(kit.<StatusReply<Image>>runCommand(ImageEntity.Reactivate::new).events().isEmpty());
  }

  @Test
  void anUpdateMayGiveTheImageToAnotherProject() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    Image image = run(kit, r -> new ImageEntity.Create(queued(id, false), r)).getValue();
    assertEquals("project-b", run(kit, r -> new ImageEntity.UpdateMetadata(image.metadata(), "project-b", r))
        .getValue().ownerProjectId());
    kit.restart();
    assertEquals("project-b", ((ImageEntity.Existing) kit.getState()).image().ownerProjectId());
    assertEquals("project-b", run(kit, r -> new ImageEntity.UpdateMetadata(image.metadata(), r)).getValue()
        .ownerProjectId(), "no owner given: the owner stays");
  }

  @Test
  void aProtectedImageIsNotDeletedAndADeletedOneIsGone() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id);
    run(kit, r -> new ImageEntity.Create(queued(id, true), r));
    assertEquals(Rejection.Kind.FORBIDDEN, Rejection.from(run(kit, ImageEntity.Delete::new).getError()).kind());
    ImageMetadata unprotected = new ImageMetadata("img", "qcow2", "bare", "private", false, 0, 0, Map.of(), List.of());
    run(kit, r -> new ImageEntity.UpdateMetadata(unprotected, r));
    assertTrue(run(kit, ImageEntity.Delete::new).isSuccess());
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(run(kit, ImageEntity.Get::new).getError()).kind());
    assertEquals(Rejection.Kind.NOT_FOUND,
        Rejection.from(run(kit, r -> new ImageEntity.Create(queued(id, false), r)).getError()).kind(),
        "a deleted image's id is not reused");
  }

  @Test
  void anUploadWhoseClientVanishedEndsQueuedAtItsDeadline() {
    String id = UUID.randomUUID().toString();
    var kit = kit(id, java.time.Duration.ofMillis(300));
    run(kit, r -> new ImageEntity.Create(queued(id, false), r));
    assertEquals("saving", run(kit, ImageEntity.BeginUpload::new).getValue().status());
    testKit.createTestProbe().awaitAssert(java.time.Duration.ofSeconds(5), () -> {
      assertInstanceOf(ImageEntity.Queued.class, kit.getState());
      return null;
    });
    assertEquals(Rejection.Kind.CONFLICT,
        Rejection.from(run(kit, r -> new ImageEntity.FinishUpload(FILE, r)).getError()).kind(), "too late");

    // read after the deadline, before any timer fired: queued at once
    nimbus.testing.ManualClock clock = new nimbus.testing.ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    String other = UUID.randomUUID().toString();
    var slow = EventSourcedBehaviorTestKit.<ImageEntity.Command, ImageEntity.Event, ImageEntity.State>create(
        testKit.system(), ImageEntity.create(other, clock, java.time.Duration.ofHours(1)));
    run(slow, r -> new ImageEntity.Create(queued(other, false), r));
    run(slow, ImageEntity.BeginUpload::new);
    clock.advance(java.time.Duration.ofHours(2));
    assertEquals("queued", run(slow, ImageEntity.Get::new).getValue().status());
  }
}
