package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import nimbus.testing.ManualClock;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A volume's steps against scripted claims: quota, then its file on a storage host; each asked
 * until answered, a refusal answered as the quota said, a failed extend giving its extra
 * gigabytes back, a delete removing the file before the quota, a restart resuming the step.
 */
class VolumeEntityTest extends EntityTestSupport {
  private static final Duration RETRY = Duration.ofMillis(100);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final String id = UUID.randomUUID().toString();
  private final ManualClock clock = new ManualClock(T0);
  private ScriptedVolumeClaims claims;
  private EventSourcedBehaviorTestKit<VolumeEntity.Command, VolumeEntity.Event, VolumeEntity.State> kit;

  @BeforeEach
  void fresh() {
    claims = new ScriptedVolumeClaims();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        VolumeEntity.create(id, claims, RETRY, clock, Optional.empty()));
  }

  private Volume requested(int size) {
    return Volume.requested(id, "p1", "u1", "v", "d", size, Map.of("k", "v"), "nova", "__DEFAULT__", clock.instant());
  }

  private Volume awaitStatus(String status) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume v = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(status, v.status());
      return v;
    });
  }

  private <T> StatusReply<T> ask(Function<ActorRef<StatusReply<T>>, VolumeEntity.Command> command) {
    TestProbe<StatusReply<T>> client = testKit.createTestProbe();
    kit.runCommand(command.apply(client.ref()));
    return client.receiveMessage(Duration.ofSeconds(5));
  }

  private Volume createAvailable(int size) {
    claims.accept("reserve " + size);
    claims.answer("create " + size, "host-a");
    Volume v = this.<Volume>ask(r -> new VolumeEntity.Create(requested(size), r)).getValue();
    assertEquals(size, v.quotaHeld());
    return awaitStatus(Volume.AVAILABLE);
  }

  @Test
  void aCreateAnswersCreatingOnceTheQuotaHoldsItAndIsAvailableOnceItsHostMadeTheFile() {
    TestProbe<StatusReply<Volume>> client = testKit.createTestProbe();
    kit.runCommand(new VolumeEntity.Create(requested(2), client.ref()));
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("reserve 2") >= 2, "asked again while unanswered");
      return null;
    });
    client.expectNoMessage(Duration.ofMillis(50));
    claims.accept("reserve 2");
    Volume answered = client.receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals(Volume.CREATING, answered.status());
    claims.answer("create 2", "host-a");
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(Optional.of("host-a"), v.host());
    assertTrue(v.stored());
    assertEquals(T0, v.createdAt());
  }

  @Test
  void aCreateWhoseStorageHostNeverAnswersEndsInErrorAfterTheTimeoutAndCanBeDeleted() {
    claims.accept("reserve 1");
    assertEquals(Volume.CREATING, this.<Volume>ask(r -> new VolumeEntity.Create(requested(1), r)).getValue().status());
    clock.advance(VolumeEntity.CREATE_TIMEOUT.minusSeconds(1));
    long asked = claims.times("create 1");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("create 1") >= asked + 2, "still asked just before the timeout");
      return null;
    });
    assertEquals(Volume.CREATING, ((VolumeEntity.Existing) kit.getState()).volume().status());
    clock.advance(Duration.ofSeconds(1));
    Volume v = awaitStatus(Volume.ERROR);
    assertEquals(Optional.of("No storage host made the volume within 40 minutes."), v.fault());
    assertFalse(v.stored(), "no host is known to hold a file: a late one is its agent's orphan");
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    awaitStatus(Volume.DELETED);
  }

  @Test
  void aQuotaRefusalIsTheClientsAnswerAndTheVolumeNeverWas() {
    claims.refuse("reserve 5", Rejection.Kind.TOO_MANY, "VolumeSizeExceedsAvailableQuota: too big");
    StatusReply<Volume> answer = ask(r -> new VolumeEntity.Create(requested(5), r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(answer.getError()).kind());
    assertInstanceOf(VolumeEntity.Gone.class, kit.getState());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("create")), "no file for a refused volume");
    assertEquals(Rejection.Kind.NOT_FOUND,
        Rejection.from(this.<Volume>ask(VolumeEntity.Get::new).getError()).kind());
  }

  @Test
  void aHostThatCannotMakeTheFileLeavesTheVolumeInErrorAndItsDeleteGivesTheQuotaBack() {
    claims.accept("reserve 1");
    claims.refuse("create 1", Rejection.Kind.UNAVAILABLE, "pool full");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(1), r));
    Volume failed = awaitStatus(Volume.ERROR);
    assertEquals(Optional.of("pool full"), failed.fault());
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    awaitStatus(Volume.DELETED);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "no host holds a file of it");
  }

  private static final VolumeImage IMAGE = new VolumeImage("img-1", "cirros", "bare", "qcow2", 1, 64, 12345L, "abc",
      "store:" + "0".repeat(128));

  /**
   * The image's properties are the volume's (Cinder's glance metadata): kept through a restart;
   * a volume requested before volumes kept them reads back with none.
   */
  @Test
  void aVolumeKeepsItsImagesPropertiesAndAnOlderRequestReadsWithNone() throws Exception {
    VolumeImage withKernel = new VolumeImage("img-2", "guest", "bare", "qcow2", 0, 0, 1L, "abc", "store:" + "1".repeat(128),
        Map.of("kernel_id", "k-1", "ramdisk_id", "r-1", "os_distro", "nimbus"));
    claims.accept("reserve 1");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(1).fromImage(withKernel), r));
    claims.answer("convert img-2 qcow2 1", "host-a");
    awaitStatus(Volume.AVAILABLE);
    kit.restart();
    assertEquals(withKernel.properties(), ((VolumeEntity.Existing) kit.getState()).volume().image().orElseThrow().properties());

    // an event journaled before VolumeImage had properties: the same bytes without the field
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(testKit.system().classicSystem());
    VolumeEntity.VolumeRequested event = new VolumeEntity.VolumeRequested(requested(1).fromImage(withKernel), T0);
    var serializer = serialization.findSerializerFor(event);
    String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, event);
    var cbor = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.cbor.CBORFactory());
    var tree = (com.fasterxml.jackson.databind.node.ObjectNode) cbor.readTree(serializer.toBinary(event));
    var image = (com.fasterxml.jackson.databind.node.ObjectNode) tree.path("volume").path("image");
    assertTrue(image.has("properties"), tree.toString());
    image.remove("properties");
    Object old = serialization.deserialize(cbor.writeValueAsBytes(tree), serializer.identifier(), manifest).get();
    VolumeImage read = ((VolumeEntity.VolumeRequested) old).volume().image().orElseThrow();
    assertEquals(Map.of(), read.properties());
    assertEquals("img-2", read.imageId());
  }

  @Test
  void aVolumeFromAnImageHasAHostConvertTheImageAndKeepsWhatItWasMadeFrom() {
    claims.accept("reserve 2");
    TestProbe<StatusReply<Volume>> client = testKit.createTestProbe();
    kit.runCommand(new VolumeEntity.Create(requested(2).fromImage(IMAGE), client.ref()));
    assertEquals(Volume.CREATING, client.receiveMessage(Duration.ofSeconds(5)).getValue().status());
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("convert img-1 qcow2 2") >= 2, "asked again while unanswered");
      return null;
    });
    claims.answer("convert img-1 qcow2 2", "host-a");
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(Optional.of("host-a"), v.host());
    assertEquals(Optional.of(IMAGE), v.image());
    assertTrue(v.stored());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("create")), "no empty file besides the conversion");
    // replayed after a crash, the volume is as it was and asks nothing again
    kit.restart();
    assertEquals(Optional.of(IMAGE), ((VolumeEntity.Existing) kit.getState()).volume().image());
  }

  @Test
  void aConversionTheHostRefusesEndsInErrorAndGivesTheQuotaBackAtOnce() {
    claims.accept("reserve 1");
    claims.refuse("convert img-1 qcow2 1", Rejection.Kind.UNAVAILABLE, "Image refused: qcow2 has a backing file");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(1).fromImage(IMAGE), r));
    Volume failed = awaitStatus(Volume.ERROR);
    assertEquals(Optional.of("Image refused: qcow2 has a backing file"), failed.fault());
    claims.accept("release");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume v = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(0, v.quotaHeld(), "the quota holds nothing for a volume never made");
      assertEquals(Volume.ERROR, v.status());
      return null;
    });
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    awaitStatus(Volume.DELETED);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "no host holds a file of it");
    assertTrue(claims.times("release") >= 1, "the quota was asked to let it go");
  }

  @Test
  void anExtendHoldsTheNewSizeThenGrowsTheFile() {
    createAvailable(1);
    clock.advance(Duration.ofMinutes(1));
    claims.accept("reserve 3");
    Volume extending = this.<Volume>ask(r -> new VolumeEntity.Extend(3, r)).getValue();
    assertEquals(Volume.EXTENDING, extending.status());
    claims.accept("resize host-a 3");
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(3, v.size());
    assertEquals(3, v.quotaHeld());
    assertEquals(T0.plus(Duration.ofMinutes(1)), v.updatedAt());
  }

  @Test
  void anExtendBeyondTheQuotaIsRefusedAndTheVolumeStaysAsItWas() {
    createAvailable(1);
    claims.refuse("reserve 9", Rejection.Kind.TOO_MANY, "VolumeSizeExceedsAvailableQuota: no");
    StatusReply<Volume> answer = ask(r -> new VolumeEntity.Extend(9, r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(answer.getError()).kind());
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(1, v.size());
  }

  @Test
  void aFailedResizeGivesTheExtraGigabytesBack() {
    createAvailable(1);
    claims.accept("reserve 4");
    claims.refuse("resize host-a 4", Rejection.Kind.UNAVAILABLE, "no space");
    this.<Volume>ask(r -> new VolumeEntity.Extend(4, r));
    awaitStatus(Volume.ERROR_EXTENDING);
    claims.accept("reserve 1");
    Volume v = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume now = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(1, now.quotaHeld());
      return now;
    });
    assertEquals(1, v.size());
  }

  @Test
  void anExtendMustGrowAnAvailableVolume() {
    createAvailable(2);
    StatusReply<Volume> same = ask(r -> new VolumeEntity.Extend(2, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(same.getError()).kind());
    assertTrue(same.getError().getMessage().contains("(current: 2, extended: 2)"));
  }

  /** An available volume of {@code size} attached to server s1 on compute host {@code host}, opened as {@code transport}. */
  private Volume inUse(int size, String host, Optional<String> transport) {
    createAvailable(size);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", host, transport, r)).isSuccess());
    return awaitStatus(Volume.IN_USE);
  }

  @Test
  void anInUseExtendHoldsTheQuotaGrowsTheBytesThenTheGuestsDiskAndResumesAfterRestartsBetween() {
    inUse(1, "compute-1", Optional.of(VolumeAttachment.RBD));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(r -> new VolumeEntity.Extend(3, r)).getError())
        .kind(), "below 3.42 only available volumes grow");
    TestProbe<StatusReply<Volume>> client = testKit.createTestProbe();
    kit.runCommand(new VolumeEntity.Extend(3, true, client.ref()));
    client.expectNoMessage(Duration.ofMillis(50));
    kit.restart(); // the quota not yet held: asked again after the crash
    claims.accept("reserve 3");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(3, ((VolumeEntity.Existing) kit.getState()).volume().quotaHeld());
      return null;
    });
    kit.restart(); // the bytes not yet grown
    assertEquals(Volume.EXTENDING, ((VolumeEntity.Existing) kit.getState()).volume().status());
    claims.accept("resize host-a 3");
    Volume grown = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume v = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(3, v.size(), "the bytes are grown");
      return v;
    });
    assertEquals(Volume.EXTENDING, grown.status(), "the guest's disk is still to grow");
    kit.restart(); // the guest's disk not yet grown: its host is asked, the bytes are not grown again
    long resizes = claims.times("resize host-a 3");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("grow-disk compute-1 s1 /dev/vdb 3") >= 2, "asked again while unanswered");
      return null;
    });
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(r -> new VolumeEntity.BeginDetach("a1", r))
        .getError()).kind(), "the server's detach waits for the extend");
    claims.accept("grow-disk compute-1 s1 /dev/vdb 3");
    Volume v = awaitStatus(Volume.IN_USE);
    assertEquals(3, v.size());
    assertEquals(3, v.quotaHeld());
    assertEquals(0, v.targetSize());
    assertEquals("s1", v.attachment().orElseThrow().serverId());
    assertEquals(resizes, claims.times("resize host-a 3"), "grown once");
    assertTrue(claims.asked.indexOf("resize host-a 3") < claims.asked.indexOf("grow-disk compute-1 s1 /dev/vdb 3"));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.BeginDetach("a1", r)).isSuccess());
    awaitStatus(Volume.DETACHING);
  }

  @Test
  void anInUseExtendWhoseBytesCannotGrowEndsInErrorExtendingAndGivesTheExtraBack() {
    inUse(1, "host-a", Optional.of(VolumeAttachment.FILE));
    claims.accept("reserve 4");
    claims.refuse("resize host-a 4", Rejection.Kind.UNAVAILABLE, "no space");
    assertEquals(Volume.EXTENDING, this.<Volume>ask(r -> new VolumeEntity.Extend(4, true, r)).getValue().status());
    awaitStatus(Volume.ERROR_EXTENDING);
    claims.accept("reserve 1");
    Volume v = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume now = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(1, now.quotaHeld());
      return now;
    });
    assertEquals(1, v.size());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("grow-disk")), "no guest is told of bytes never grown");
  }

  @Test
  void anInUseExtendWhoseGuestCannotGrowEndsInErrorExtendingWithTheBytesItHas() {
    inUse(1, "host-a", Optional.of(VolumeAttachment.FILE));
    claims.accept("reserve 2");
    claims.accept("resize host-a 2");
    claims.refuse("grow-disk host-a s1 /dev/vdb 2", Rejection.Kind.UNAVAILABLE, "block resize failed");
    this.<Volume>ask(r -> new VolumeEntity.Extend(2, true, r));
    Volume v = awaitStatus(Volume.ERROR_EXTENDING);
    assertEquals(2, v.size(), "its bytes are grown");
    assertEquals(2, v.quotaHeld(), "the quota holds what the bytes take");
    assertEquals(Optional.of("block resize failed"), v.fault());
    StatusReply<Done> deleted = this.<Done>ask(r -> new VolumeEntity.Delete(r));
    assertTrue(deleted.isError(), "its guest still has the disk: no delete while attached");
  }

  @Test
  void anInUseExtendWhoseComputeHostNeverAnswersEndsInErrorExtendingAfterTheTimeout() {
    inUse(1, "compute-1", Optional.of(VolumeAttachment.RBD));
    claims.accept("reserve 2");
    claims.accept("resize host-a 2");
    this.<Volume>ask(r -> new VolumeEntity.Extend(2, true, r));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("grow-disk compute-1 s1 /dev/vdb 2") >= 1);
      return null;
    });
    assertEquals(Volume.EXTENDING, ((VolumeEntity.Existing) kit.getState()).volume().status());
    clock.advance(VolumeEntity.GUEST_GROW_TIMEOUT);
    Volume v = awaitStatus(Volume.ERROR_EXTENDING);
    assertEquals(2, v.size());
    assertTrue(v.fault().orElseThrow().contains("did not grow the guest's disk"));
  }

  @Test
  void anExtendOfAVolumeAGuestReachesOverNbdIsRefusedBeforeAnythingChanges() {
    inUse(1, "compute-1", Optional.of(VolumeAttachment.NBD));
    StatusReply<Volume> answer = ask(r -> new VolumeEntity.Extend(2, true, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(answer.getError()).kind());
    assertTrue(answer.getError().getMessage().contains("Cannot grow NBD nodes"), answer.getError().getMessage());
    Volume v = awaitStatus(Volume.IN_USE);
    assertEquals(1, v.size());
    assertEquals(0, v.targetSize());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("reserve 2") || s.startsWith("resize")));
  }

  @Test
  void anAttachmentRecordedWithoutItsTransportIsExtendedOnlyWhereItIsTheStorageHostsOwnFile() {
    inUse(1, "compute-1", Optional.empty());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(r -> new VolumeEntity.Extend(2, true, r))
        .getError()).kind(), "another host's: NBD or RBD, unknown");
    assertTrue(this.<Done>ask(r -> new VolumeEntity.BeginDetach("a1", r)).isSuccess());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a1", r)).isSuccess());
    awaitStatus(Volume.AVAILABLE);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a2", "s1", "p1", r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a2", "/dev/vdb", "host-a", r)).isSuccess());
    awaitStatus(Volume.IN_USE);
    claims.accept("reserve 2");
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.Extend(2, true, r)).isSuccess(), "the storage host's own guest");
  }

  @Test
  void aDeleteRemovesTheFileThenGivesTheQuotaBackAndSurvivesARestartBetween() {
    createAvailable(1);
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    assertEquals(Volume.DELETING, ((VolumeEntity.Existing) kit.getState()).volume().status());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.Delete::new).getError()).kind(),
        "a deleting volume cannot be deleted again");
    claims.accept("remove host-a");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(!((VolumeEntity.Existing) kit.getState()).volume().stored());
      return null;
    });
    kit.restart();
    claims.accept("release");
    awaitStatus(Volume.DELETED);
    assertTrue(claims.asked.indexOf("remove host-a") < claims.asked.indexOf("release"), "the file goes first");
  }

  @Test
  void aCreatingVolumeCannotBeDeletedOrExtended() {
    claims.accept("reserve 1");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(1), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.Delete::new).getError()).kind());
    assertEquals(Rejection.Kind.INVALID,
        Rejection.from(this.<Volume>ask(r -> new VolumeEntity.Extend(5, r)).getError()).kind());
  }

  @Test
  void anUpdateChangesOnlyWhatItNames() {
    createAvailable(1);
    Volume v = this.<Volume>ask(r -> new VolumeEntity.Update(Optional.of("renamed"), Optional.empty(),
        Optional.empty(), r)).getValue();
    assertEquals("renamed", v.name());
    assertEquals("d", v.description());
    assertEquals(Map.of("k", "v"), v.metadata());
  }

  @Test
  void aRestartWhileCreatingAsksForTheFileAgain() {
    claims.accept("reserve 1");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(1), r));
    kit.restart();
    claims.answer("create 1", "host-b");
    assertEquals(Optional.of("host-b"), awaitStatus(Volume.AVAILABLE).host());
  }

  @Test
  void aVolumeIsHeldByOneAttachmentOfItsOwnProjectAtATimeAndCannotBeDeletedMeanwhile() {
    createAvailable(1);
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.Reserve("a0", "s0", "p2", r)).getError()).kind(), "another project's server");
    Volume reserved = this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r)).getValue();
    assertEquals(Volume.ATTACHING, reserved.status());
    assertEquals(Optional.of("host-a"), reserved.host(), "the server learns where to ask for the export");
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r)).isSuccess(), "idempotent");
    StatusReply<Volume> other = this.ask(r -> new VolumeEntity.Reserve("a2", "s2", "p1", r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(other.getError()).kind());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r)).isSuccess());
    Volume inUse = awaitStatus(Volume.IN_USE);
    assertEquals(Optional.of("/dev/vdb"), inUse.attachment().orElseThrow().device());
    assertEquals("s1", inUse.attachment().orElseThrow().serverId());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.Delete::new).getError()).kind(),
        "a volume in use cannot be deleted");
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a2", r)).isSuccess(), "another attachment's release");
    assertEquals(Volume.IN_USE, awaitStatus(Volume.IN_USE).status());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.BeginDetach("a1", r)).isSuccess());
    awaitStatus(Volume.DETACHING);
    kit.restart();
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a1", r)).isSuccess());
    assertTrue(awaitStatus(Volume.AVAILABLE).attachment().isEmpty());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a1", r)).isSuccess(), "released twice changes nothing");
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
  }

  @Test
  void aReservationUndoneBeforeItsDiskWasPluggedMakesTheVolumeAvailable() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(this.<Done>ask(
        r -> new VolumeEntity.CompleteAttach("a9", "/dev/vdb", "h1", r)).getError()).kind());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a1", r)).isSuccess());
    assertEquals(Volume.AVAILABLE, awaitStatus(Volume.AVAILABLE).status());
  }

  @Test
  void aVolumeWithSnapshotsIsNotDeletedAndIsSnapshottedInUseOnlyWithForce() {
    createAvailable(1);
    Volume linked = this.<Volume>ask(r -> new VolumeEntity.AddSnapshot("s1", "p1", false, r)).getValue();
    assertEquals(java.util.Set.of("s1"), linked.snapshots());
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.AddSnapshot("s1", "p1", false, r)).isSuccess(), "idempotent");
    StatusReply<Done> refused = ask(VolumeEntity.Delete::new);
    assertTrue(refused.getError().getMessage().contains("have snapshots"), Rejection.from(refused.getError()).message());
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(
        this.<Volume>ask(r -> new VolumeEntity.AddSnapshot("s2", "other", false, r)).getError()).kind(),
        "another project's snapshot does not see the volume");
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "server", "p1", r));
    this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h", r));
    StatusReply<Volume> inUse = ask(r -> new VolumeEntity.AddSnapshot("s3", "p1", false, r));
    assertEquals("Invalid volume: Volume " + id + " status must be available, but current status is: in-use.",
        Rejection.from(inUse.getError()).message());
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.AddSnapshot("s3", "p1", true, r)).isSuccess());
    this.<Done>ask(r -> new VolumeEntity.Release("a1", r));
    kit.restart();
    this.<Done>ask(r -> new VolumeEntity.RemoveSnapshot("s1", r));
    this.<Done>ask(r -> new VolumeEntity.RemoveSnapshot("s3", r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.RemoveSnapshot("s3", r)).isSuccess(), "idempotent");
    claims.accept("remove host-a");
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    awaitStatus(Volume.DELETED);
  }

  @Test
  void aBackupHoldsAnAvailableVolumeBackingUpOrRestoringAndNothingElseHasItMeanwhile() {
    createAvailable(1);
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(
        this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b0", "other", false, 0, r)).getError()).kind(),
        "another project's backup does not see the volume");
    Volume held = this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b1", "p1", false, 0, r)).getValue();
    assertEquals(Volume.BACKING_UP, held.status());
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b1", "p1", false, 0, r)).isSuccess(), "idempotent");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(
        this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b2", "p1", false, 0, r)).getError()).kind(), "one at a time");
    assertFalse(this.<Done>ask(VolumeEntity.Delete::new).isSuccess());
    assertFalse(this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "server", "p1", r)).isSuccess());
    kit.restart();
    assertTrue(this.<Done>ask(r -> new VolumeEntity.FreeFromBackup("b1", Volume.AVAILABLE, r)).isSuccess());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.FreeFromBackup("b1", Volume.ERROR_RESTORING, r)).isSuccess());
    assertEquals(Volume.AVAILABLE, awaitStatus(Volume.AVAILABLE).status(), "freed once, not twice");
    Rejection small = Rejection.from(this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b3", "p1", true, 2, r))
        .getError());
    assertEquals("Invalid volume: volume size 1 is too small to restore backup of size 2.", small.message());
    assertEquals(Volume.RESTORING_BACKUP, this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b3", "p1", true, 1, r))
        .getValue().status());
    this.<Done>ask(r -> new VolumeEntity.FreeFromBackup("b3", Volume.ERROR_RESTORING, r));
    awaitStatus(Volume.ERROR_RESTORING);
    claims.accept("remove host-a");
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isSuccess(), "a failed restore's volume is deleted");
  }

  @Test
  void anInUseVolumeIsHeldForABackupAttachedThroughoutAndIsInUseAgainAfterButNeverRestoredInto() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r)).isSuccess());
    awaitStatus(Volume.IN_USE);
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.HoldForBackup("r1", "p1", true, 1, r)).getError()).kind(), "no restore into it");
    Volume held = this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b1", "p1", false, 0, r)).getValue();
    assertEquals(Volume.BACKING_UP, held.status());
    assertEquals("s1", held.attachment().orElseThrow().serverId(), "still attached");
    kit.restart();
    // the server's detach (or its delete) waits until the backup has read the volume
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(r -> new VolumeEntity.BeginDetach("a1", r))
        .getError()).kind());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(r -> new VolumeEntity.Release("a1", r))
        .getError()).kind());
    assertEquals(Volume.BACKING_UP, ((VolumeEntity.Existing) kit.getState()).volume().status());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.FreeFromBackup("b1", Volume.AVAILABLE, r)).isSuccess());
    Volume after = awaitStatus(Volume.IN_USE);
    assertEquals(Optional.of("/dev/vdb"), after.attachment().orElseThrow().device());
    assertTrue(after.snapshots().isEmpty());
  }

  @Test
  void theEndOfABackupsHoldLeavesAStatusAnAdminResetMeanwhile() {
    createAvailable(1);
    assertEquals(Volume.BACKING_UP, this.<Volume>ask(r -> new VolumeEntity.HoldForBackup("b1", "p1", false, 0, r))
        .getValue().status());
    assertEquals(Volume.ERROR, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.ERROR), false, r))
        .getValue().status());
    assertTrue(this.<Done>ask(r -> new VolumeEntity.FreeFromBackup("b1", Volume.AVAILABLE, r)).isSuccess());
    kit.restart();
    assertEquals(Volume.ERROR, awaitStatus(Volume.ERROR).status());
  }

  @Test
  void aVolumeFromASnapshotIsACopyMadeOnTheSnapshotsHost() {
    claims.accept("reserve 2");
    claims.answer("create host-s from s1 2", "host-s");
    Volume asked = requested(2).fromSnapshot("s1", "host-s");
    this.<Volume>ask(r -> new VolumeEntity.Create(asked, r));
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(Optional.of("s1"), v.snapshotId());
    assertEquals(Optional.of("host-s"), v.host());
    assertTrue(claims.asked.stream().noneMatch(s -> s.equals("create 2")), "no empty file made instead");
  }

  @Test
  void aVolumeFromAVolumeIsACopyMadeOnTheSourcesHost() {
    claims.accept("reserve 3");
    claims.answer("clone host-s from v0 3", "host-s");
    this.<Volume>ask(r -> new VolumeEntity.Create(requested(3).fromVolume("v0", "host-s"), r));
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(Optional.of("v0"), v.sourceVolid());
    assertTrue(claims.asked.stream().noneMatch(s -> s.equals("create 3")), "no empty file made instead");
  }

  @Test
  void cindersActionsOnlyDeclareAttachmentsAndNeverEndOneTheComputeApiMade() {
    createAvailable(1);
    assertEquals(Volume.ATTACHING, this.<Volume>ask(r -> new VolumeEntity.DeclareReservation("r1", r)).getValue().status());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.DeclareReservation("r2", r)).getError()).kind(), "reserved twice");
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(VolumeEntity.WithdrawReservation::new).getValue().status());
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(VolumeEntity.WithdrawReservation::new).getValue().status(),
        "a volume not reserved is left as it is");

    Volume declared = this.<Volume>ask(r -> new VolumeEntity.DeclareAttachment("d1", "s9", Optional.empty(), "/dev/vdc", false, r))
        .getValue();
    assertEquals(Volume.IN_USE, declared.status());
    VolumeAttachment a = declared.attachment().orElseThrow();
    assertEquals(List.of("d1", "s9", "/dev/vdc", true, true), List.of(a.id(), a.serverId(), a.device().orElseThrow(),
        a.declared(), a.attachedAt().isPresent()));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r))
        .getError()).kind(), "the compute API cannot take a volume in use");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.DeclareDetached(Optional.of("other"), r)).getError()).kind());
    kit.restart();
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(r -> new VolumeEntity.DeclareDetached(Optional.empty(), r))
        .getValue().status());
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(r -> new VolumeEntity.DeclareDetached(Optional.empty(), r))
        .getValue().status(), "nothing attached: Cinder's no-op");
    assertEquals(Volume.ERROR, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.ERROR), false, r))
        .getValue().status());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.DeclareDetached(Optional.empty(), r)).getError()).kind(), "an error volume is not detached");
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.AVAILABLE), false,
        r)).getValue().status());

    // the compute API's attachment: the server's host holds the disk, only the server lets it go
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    assertEquals(Volume.ATTACHING, this.<Volume>ask(VolumeEntity.WithdrawReservation::new).getValue().status(),
        "os-unreserve leaves a server's reservation alone");
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r)).isSuccess());
    StatusReply<Volume> refused = this.ask(r -> new VolumeEntity.DeclareDetached(Optional.empty(), r));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(refused.getError()).kind());
    assertEquals("Detach volume from instance s1 using the Compute API", Rejection.from(refused.getError()).message());
    assertEquals(Volume.IN_USE, awaitStatus(Volume.IN_USE).status());
  }

  @Test
  void anAdminResetsAStuckVolumeAndForceDeletesIt() {
    TestProbe<StatusReply<Volume>> creator = testKit.createTestProbe();
    kit.runCommand(new VolumeEntity.Create(requested(1), creator.ref())); // its quota is not answered yet
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.ForceDelete::new).getError()).kind(),
        "not before its quota's answer, which could come after");
    claims.accept("reserve 1"); // its host never answers: the volume is stuck creating
    creator.receiveMessage(Duration.ofSeconds(5));
    for (String bad : List.of("creating", "deleting", "in-use")) {
      assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
          r -> new VolumeEntity.ResetStatus(Optional.of(bad), false, r)).getError()).kind(), bad);
    }
    assertEquals(Volume.ERROR, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("error"), false, r))
        .getValue().status());
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.ForceDelete::new).isSuccess());
    awaitStatus(Volume.DELETED);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "no host was named: nothing to remove");
  }

  @Test
  void aVolumeAnAdminPutInMaintenanceRestsUntilResetOrForceDeleted() {
    createAvailable(1);
    assertEquals(Volume.MAINTENANCE, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.MAINTENANCE),
        false, r)).getValue().status());
    assertTrue(this.<Done>ask(VolumeEntity.Delete::new).isError(), "not deleted but forced");
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.Extend(2, false, r)).isError());
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.empty(), false, r)).isError());
    assertEquals(Volume.MAINTENANCE, ((VolumeEntity.Existing) kit.getState()).volume().status(), "nothing drives it");
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.AVAILABLE),
        false, r)).getValue().status());
    this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.MAINTENANCE), false, r));
    claims.accept("remove host-a");
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.ForceDelete::new).isSuccess());
    awaitStatus(Volume.DELETED);
  }

  @Test
  void aResetToAvailableWithItsAttachmentDetachedFreesTheVolume() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.ForceDelete::new).getError()).kind(),
        "attached");
    Volume kept = this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("error"), false, r)).getValue();
    assertTrue(kept.attachment().isPresent(), "the status alone");
    Volume freed = this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("available"), true, r)).getValue();
    assertEquals(Volume.AVAILABLE, freed.status());
    assertTrue(freed.attachment().isEmpty());
    claims.accept("remove host-a");
    claims.accept("release");
    assertTrue(this.<Done>ask(VolumeEntity.ForceDelete::new).isSuccess());
    awaitStatus(Volume.DELETED);
  }

  @Test
  void theFlagsAreSetAloneAndAReadOnlyVolumeIsDeclaredReadOnlyAndNeverAttachedReadWrite() {
    createAvailable(1);
    Volume flagged = this.<Volume>ask(r -> new VolumeEntity.SetFlags(Optional.of(true), Optional.empty(), r)).getValue();
    assertEquals(List.of(true, Optional.empty()), List.of(flagged.bootable(), flagged.readonly()));
    flagged = this.<Volume>ask(r -> new VolumeEntity.SetFlags(Optional.empty(), Optional.of(true), r)).getValue();
    assertEquals(List.of(true, Optional.of(true)), List.of(flagged.bootable(), flagged.readonly()));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r))
        .getError()).kind(), "the compute API attaches read-write only");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.DeclareAttachment("d1", "s9", Optional.empty(), "/dev/vdc", false, r)).getError()).kind());
    assertEquals(Volume.IN_USE, this.<Volume>ask(
        r -> new VolumeEntity.DeclareAttachment("d1", "s9", Optional.empty(), "/dev/vdc", true, r)).getValue().status());
    kit.restart();
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(r -> new VolumeEntity.SetFlags(Optional.empty(),
        Optional.of(false), r)).getError()).kind(), "the read-only flag changes while available only");
    Volume kept = awaitStatus(Volume.IN_USE);
    assertEquals(List.of(true, Optional.of(true)), List.of(kept.bootable(), kept.readonly()));
  }

  private static Image queuedImage(String imageId, String diskFormat) {
    ImageMetadata metadata = new ImageMetadata("from-volume", diskFormat, "bare", "private", false, 0, 0, Map.of(),
        List.of());
    return new Image(imageId, "p1", "queued", metadata, Optional.empty(), Optional.empty(), T0, T0);
  }

  @Test
  void anUploadCreatesTheImageThenHasTheHostCopyTheFileAndResumesAfterARestart() {
    createAvailable(1);
    Image image = queuedImage("img-up", "qcow2");
    Volume uploading = this.<Volume>ask(r -> new VolumeEntity.UploadToImage(image, false, r)).getValue();
    assertEquals(Volume.UPLOADING, uploading.status());
    assertEquals("img-up", uploading.upload().orElseThrow().imageId());
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.UploadToImage(image, false, r)).isSuccess(), "idempotent");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.UploadToImage(queuedImage("img-other", "raw"), false, r)).getError()).kind(),
        "one upload at a time");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.Delete::new).getError()).kind(),
        "an uploading volume is not deleted");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("image img-up") >= 2, "asked again while unanswered");
      return null;
    });
    assertEquals(0, claims.times("upload host-a img-up qcow2"), "no copy before its image exists");
    claims.accept("image img-up");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times("upload host-a img-up qcow2") >= 1);
      return null;
    });
    kit.restart();
    assertTrue(((VolumeEntity.Existing) kit.getState()).volume().upload().orElseThrow().imageCreated());
    long before = claims.times("upload host-a img-up qcow2");
    claims.accept("upload host-a img-up qcow2");
    Volume done = awaitStatus(Volume.AVAILABLE);
    assertTrue(claims.times("upload host-a img-up qcow2") > before, "the copy is asked again after the restart");
    assertTrue(done.upload().isEmpty());
    assertEquals(0, claims.times("discard img-up"));
  }

  @Test
  void anInUseVolumeIsUploadedOnlyWithForceAndAFailedCopyDiscardsTheImageAndLeavesItInUse() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r));
    awaitStatus(Volume.IN_USE);
    Image image = queuedImage("img-f", "raw");
    StatusReply<Volume> refused = ask(r -> new VolumeEntity.UploadToImage(image, false, r));
    assertEquals("Invalid volume: Volume " + id + " status must be available.",
        Rejection.from(refused.getError()).message());
    assertEquals(Volume.UPLOADING, this.<Volume>ask(r -> new VolumeEntity.UploadToImage(image, true, r)).getValue().status());
    claims.accept("image img-f");
    claims.refuse("upload host-a img-f raw", Rejection.Kind.UNAVAILABLE, "qemu-img failed");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Optional.of("qemu-img failed"),
          ((VolumeEntity.Existing) kit.getState()).volume().upload().orElseThrow().failure());
      return null;
    });
    assertEquals(Volume.UPLOADING, ((VolumeEntity.Existing) kit.getState()).volume().status(), "until its image is discarded");
    claims.accept("discard img-f");
    Volume back = awaitStatus(Volume.IN_USE);
    assertEquals("s1", back.attachment().orElseThrow().serverId());
    assertTrue(back.upload().isEmpty());
  }

  @Test
  void aVolumeReleasedDuringAForcedUploadIsAvailableOnceTheUploadIsOver() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a1", "s1", "p1", r));
    this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a1", "/dev/vdb", "h1", r));
    awaitStatus(Volume.IN_USE);
    this.<Volume>ask(r -> new VolumeEntity.UploadToImage(queuedImage("img-r", "raw"), true, r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.Release("a1", r)).isSuccess());
    assertEquals(Volume.UPLOADING, ((VolumeEntity.Existing) kit.getState()).volume().status());
    claims.accept("image img-r");
    claims.accept("upload host-a img-r raw");
    assertTrue(awaitStatus(Volume.AVAILABLE).attachment().isEmpty());
  }

  private static final VolumeAttachment.Connector CONNECTOR =
      new VolumeAttachment.Connector("host-x", "/dev/vdc", "rw", "{\"host\":\"host-x\"}");

  @Test
  void anAttachmentOfCindersApiIsReservedConnectedCompletedAndDeletedAcrossARestart() {
    createAvailable(1);
    Volume reserved = this.<Volume>ask(r -> new VolumeEntity.CreateAttachment("at1", "s1", Optional.empty(), r)).getValue();
    assertEquals(Volume.RESERVED, reserved.status());
    assertEquals(VolumeAttachment.RESERVED, reserved.attachment().orElseThrow().status());
    assertEquals("null", reserved.attachment().orElseThrow().mode(), "the mode comes with the connector");
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.CreateAttachment("at1", "s1", Optional.empty(), r)).isSuccess(),
        "the same attachment again changes nothing");
    kit.restart();
    assertEquals(Volume.RESERVED, awaitStatus(Volume.RESERVED).status(), "a reservation outlives a restart");
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.UpdateAttachment("other", CONNECTOR, r)).getError()).kind());
    Volume attaching = this.<Volume>ask(r -> new VolumeEntity.UpdateAttachment("at1", CONNECTOR, r)).getValue();
    assertEquals(Volume.ATTACHING, attaching.status());
    VolumeAttachment a = attaching.attachment().orElseThrow();
    assertEquals(List.of(VolumeAttachment.ATTACHING, Optional.of("/dev/vdc"), Optional.of("host-x"), "rw",
        Optional.of("{\"host\":\"host-x\"}")), List.of(a.status(), a.device(), a.hostName(), a.mode(), a.connector()));
    kit.restart();
    Volume inUse = this.<Volume>ask(r -> new VolumeEntity.CompleteAttachment("at1", r)).getValue();
    assertEquals(Volume.IN_USE, inUse.status());
    assertEquals(VolumeAttachment.ATTACHED, inUse.attachment().orElseThrow().status());
    assertEquals(Optional.of(T0), inUse.attachment().orElseThrow().attachedAt());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(VolumeEntity.Delete::new).getError()).kind());
    kit.restart();
    Volume freed = this.<Volume>ask(r -> new VolumeEntity.DeleteAttachment("at1", r)).getValue();
    assertEquals(Volume.AVAILABLE, freed.status());
    assertTrue(freed.attachment().isEmpty());
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.DeleteAttachment("at1", r)).getError()).kind(), "deleted once");
  }

  @Test
  void aVolumeIsNeverAttachedTwiceWhicheverApiHoldsIt() {
    createAvailable(1);
    Volume attaching = this.<Volume>ask(r -> new VolumeEntity.CreateAttachment("at1", "s1", Optional.of(CONNECTOR), r))
        .getValue();
    assertEquals(Volume.ATTACHING, attaching.status(), "with a connector it is attaching at once");
    StatusReply<Volume> second = ask(r -> new VolumeEntity.CreateAttachment("at2", "s2", Optional.empty(), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(second.getError()).kind());
    assertEquals("Invalid volume: Volume " + id + " status must be available or downloading to reserve, but the current"
        + " status is attaching.", Rejection.from(second.getError()).message());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.Reserve("a3", "s3", "p1", r)).getError()).kind(), "nor by the compute API");
    assertTrue(this.<Volume>ask(r -> new VolumeEntity.DeleteAttachment("at1", r)).isSuccess());
    // the compute API's attachment is its server's: Cinder's API shows it but does not end it
    this.<Volume>ask(r -> new VolumeEntity.Reserve("a4", "s4", "p1", r)).getValue();
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("a4", "/dev/vdb", "h1", r)).isSuccess());
    StatusReply<Volume> refused = ask(r -> new VolumeEntity.DeleteAttachment("a4", r));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(refused.getError()).kind());
    assertEquals("Detach volume from instance s4 using the Compute API", Rejection.from(refused.getError()).message());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Volume>ask(
        r -> new VolumeEntity.CreateAttachment("at5", "s5", Optional.empty(), r)).getError()).kind());
  }

  @Test
  void aReadOnlyVolumesAttachmentIsReadOnly() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.SetFlags(Optional.empty(), Optional.of(true), r)).getValue();
    this.<Volume>ask(r -> new VolumeEntity.CreateAttachment("at1", "", Optional.empty(), r)).getValue();
    Volume v = this.<Volume>ask(r -> new VolumeEntity.UpdateAttachment("at1", CONNECTOR, r)).getValue();
    assertEquals("ro", v.attachment().orElseThrow().mode());
  }

  // ---------------------------------------------------------------- retype

  @Test
  void aRetypeOnItsOwnBackendMovesTheQuotaToTheNewTypeAndKeepsTheBytesWhereTheyAre() {
    createAvailable(1);
    claims.accept("reserve 1 as gold");
    Volume answered = this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.empty(), false, r)).getValue();
    assertEquals("gold", answered.volumeType());
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals("gold", v.volumeType());
    assertEquals(Optional.of("host-a"), v.host());
    assertEquals(Optional.empty(), v.migrationStatus(), "nothing migrated");
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("migrate") || s.startsWith("remove")));
  }

  @Test
  void aRetypeTheNewTypesQuotaRefusesIsTheClientsAnswerAndTheVolumeIsAsItWas() {
    createAvailable(1);
    claims.refuse("reserve 1 as gold", Rejection.Kind.TOO_MANY, "VolumeLimitExceeded: volumes_gold");
    StatusReply<Volume> answer = ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), true, r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(answer.getError()).kind());
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals("__DEFAULT__", v.volumeType());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("migrate")));
  }

  @Test
  void aRetypeIsRefusedAsCinderDoes() {
    createAvailable(1);
    StatusReply<Volume> sameType = ask(r -> new VolumeEntity.Retype("__DEFAULT__", Optional.empty(), true, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(sameType.getError()).kind());
    StatusReply<Volume> never = ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), false, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(never.getError()).kind());
    assertTrue(never.getError().getMessage().contains("Retype requires migration but is not allowed"));
    assertEquals(Volume.AVAILABLE, ((VolumeEntity.Existing) kit.getState()).volume().status());
  }

  @Test
  void aRetypeToAnotherBackendCopiesTheBytesSwitchesThenRemovesTheOldStorageAcrossRestarts() {
    createAvailable(1);
    claims.accept("reserve 1 as gold");
    Volume answered = this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), true, r)).getValue();
    assertEquals(Volume.RETYPING, answered.status());
    assertEquals(Optional.of(VolumeRetype.MIGRATING), answered.migrationStatus());
    // the copy is not answered (a crash of the new host, or a long copy): asked again after a restart
    awaitAsked("migrate from host-a to ceph", 1);
    kit.restart();
    awaitAsked("migrate from host-a to ceph", 2);
    assertEquals("__DEFAULT__", ((VolumeEntity.Existing) kit.getState()).volume().volumeType(), "not switched yet");
    claims.answer("migrate from host-a to ceph", "host-ceph");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume v = ((VolumeEntity.Existing) kit.getState()).volume();
      assertEquals(Optional.of("host-ceph"), v.host());
      assertEquals("gold", v.volumeType());
      assertEquals(Optional.of("ceph"), v.backend());
      return null;
    });
    awaitAsked("remove host-a", 1);
    kit.restart();
    assertEquals(Volume.RETYPING, ((VolumeEntity.Existing) kit.getState()).volume().status(), "the old storage is still to remove");
    awaitAsked("remove host-a", 2);
    claims.accept("remove host-a");
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals(Optional.of(VolumeRetype.SUCCESS), v.migrationStatus());
    assertEquals(Optional.of("host-ceph"), v.host());
    assertTrue(v.stored());
  }

  /** An available 1 GiB volume asked to retype to {@code gold} on the ceph backend, its quota moved. */
  private void retypeToCephWithItsQuotaMoved() {
    createAvailable(1);
    claims.accept("reserve 1 as gold");
    this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), true, r));
    claims.forget("reserve 1");
  }

  /** The quota moved back, the volume is available where and as it was, its retype failed for {@code why}. */
  private void assertTheCopyFailedWhereItWas(String why) {
    claims.accept("count again as __DEFAULT__");
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals("__DEFAULT__", v.volumeType());
    assertEquals(Optional.of("host-a"), v.host());
    assertEquals(Optional.of(VolumeRetype.ERROR), v.migrationStatus());
    assertEquals(Optional.of(why), v.retype().flatMap(VolumeRetype::failure));
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "the bytes stay where they were");
  }

  @Test
  void aFailedCopyMovesTheQuotaBackAndTheVolumeKeepsItsTypeAndHost() {
    retypeToCephWithItsQuotaMoved();
    claims.refuse("migrate from host-a to ceph", Rejection.Kind.UNAVAILABLE, "the pool is full");
    awaitAsked("count again as __DEFAULT__", 1);
    kit.restart();
    assertEquals(Volume.RETYPING, ((VolumeEntity.Existing) kit.getState()).volume().status(), "the quota is still to move back");
    assertTheCopyFailedWhereItWas("the pool is full");
  }

  @Test
  void aCopyNoHostEverEndsFailsAfterItsPersistedTimeoutAndTheQuotaMovesBack() {
    retypeToCephWithItsQuotaMoved();
    awaitAsked("migrate from host-a to ceph", 1);
    clock.advance(VolumeEntity.RETYPE_COPY_TIMEOUT.minusSeconds(1));
    awaitAsked("migrate from host-a to ceph", claims.times("migrate from host-a to ceph") + 2);
    assertEquals(Volume.RETYPING, ((VolumeEntity.Existing) kit.getState()).volume().status(), "still copying");
    // the deadline counts from the copy's first ask, kept in the volume's events: a restart does not renew it
    kit.restart();
    clock.advance(Duration.ofSeconds(1));
    awaitAsked("count again as __DEFAULT__", 1);
    assertEquals(Volume.RETYPING, ((VolumeEntity.Existing) kit.getState()).volume().status(), "the quota is still to move back");
    assertTheCopyFailedWhereItWas("No storage host of backend ceph copied the volume within 40 minutes.");
  }

  @Test
  void aResetDuringARetypeLeavesTheStatusTheAdminGaveAndMovesTheQuotaBackAcrossARestart() {
    retypeToCephWithItsQuotaMoved();
    awaitAsked("migrate from host-a to ceph", 1);
    Volume reset = this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("error"), false, r)).getValue();
    assertEquals(Volume.ERROR, reset.status());
    assertEquals("__DEFAULT__", reset.volumeType(), "it never switched");
    assertTrue(reset.retype().orElseThrow().undoing(), "its quota counts it under gold still");
    StatusReply<Volume> again = ask(r -> new VolumeEntity.Retype("gold", Optional.empty(), false, r));
    assertTrue(again.getError().getMessage().contains("still being undone"), again.getError().getMessage());
    awaitAsked("count again as __DEFAULT__", 1);
    kit.restart();
    awaitAsked("count again as __DEFAULT__", 2);
    claims.accept("count again as __DEFAULT__");
    Volume v = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Volume now = ((VolumeEntity.Existing) kit.getState()).volume();
      assertFalse(now.retype().orElseThrow().undoing());
      return now;
    });
    assertEquals(Volume.ERROR, v.status(), "the admin's status stays");
    assertEquals("__DEFAULT__", v.volumeType());
    assertEquals(Optional.of("host-a"), v.host());
    assertEquals(Optional.of(VolumeRetype.ERROR), v.migrationStatus());
    long copies = claims.times("migrate from host-a to ceph");
    assertEquals(Volume.AVAILABLE, this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("available"), false, r))
        .getValue().status());
    assertEquals("gold", this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.empty(), false, r)).getValue()
        .volumeType(), "retyped again once undone");
    assertEquals(copies, claims.times("migrate from host-a to ceph"), "the interrupted copy is not asked again");
  }

  @Test
  void aResetOnceTheVolumeSwitchedKeepsItsNewTypeAndHost() {
    createAvailable(1);
    claims.accept("reserve 1 as gold");
    claims.answer("migrate from host-a to ceph", "host-ceph");
    this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), true, r));
    awaitAsked("remove host-a", 1);
    Volume v = this.<Volume>ask(r -> new VolumeEntity.ResetStatus(Optional.of("available"), false, r)).getValue();
    assertEquals("gold", v.volumeType());
    assertEquals(Optional.of("host-ceph"), v.host());
    assertEquals(Optional.of(VolumeRetype.SUCCESS), v.migrationStatus());
    assertFalse(v.retype().orElseThrow().undoing());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("count again")), "its quota is where it should be");
  }

  @Test
  void aTypeOfTheBackendTheVolumeIsOnAlreadyMovesNothing() {
    createAvailable(1);
    claims.accept("reserve 1 as gold");
    claims.answer("migrate from host-a to nimbus-pool", "host-a");
    this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.of("nimbus-pool"), true, r));
    Volume v = awaitStatus(Volume.AVAILABLE);
    assertEquals("gold", v.volumeType());
    assertEquals(Optional.of("host-a"), v.host());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "its only storage is kept");
    assertEquals(Optional.empty(), v.migrationStatus(), "nothing migrated");
  }

  @Test
  void anAttachedVolumeIsNotMovedToAnotherBackend() {
    createAvailable(1);
    this.<Volume>ask(r -> new VolumeEntity.Reserve("att-1", "server-1", "p1", r));
    assertTrue(this.<Done>ask(r -> new VolumeEntity.CompleteAttach("att-1", "/dev/vdb", "host-a", r)).isSuccess());
    StatusReply<Volume> answer = ask(r -> new VolumeEntity.Retype("gold", Optional.of("ceph"), true, r));
    assertTrue(answer.getError().getMessage().contains("swap volume"), answer.getError().getMessage());
    claims.accept("reserve 1 as gold");
    assertEquals("gold", this.<Volume>ask(r -> new VolumeEntity.Retype("gold", Optional.empty(), true, r))
        .getValue().volumeType(), "a retype on its own backend is fine");
    Volume v = awaitStatus(Volume.IN_USE);
    assertEquals("gold", v.volumeType());
  }

  private void awaitAsked(String step, long times) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.times(step) >= times, step + " asked " + claims.times(step) + " times: " + claims.asked);
      return null;
    });
  }
}
