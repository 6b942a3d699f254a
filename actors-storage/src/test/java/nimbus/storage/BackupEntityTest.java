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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
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
 * A backup's steps against scripted claims: quota, parent, volume held, chunks stored, volume freed;
 * refusals answered to the client with what was held given back; a failed store in {@code error}
 * with its volume freed; restores into a new or an existing volume; a delete refused while
 * incremental backups depend on it, else removing the chunks, freeing the parent, then the quota;
 * each resumed after a restart between steps.
 */
class BackupEntityTest extends EntityTestSupport {
  private static final Duration RETRY = Duration.ofMillis(100);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String HASH = "a".repeat(128);
  private final String id = UUID.randomUUID().toString();
  private final ManualClock clock = new ManualClock(T0);
  private Scripted claims;
  private EventSourcedBehaviorTestKit<BackupEntity.Command, BackupEntity.Event, BackupEntity.State> kit;

  /** Answers each step as the test says; an unscripted one gets no answer (a lost message). */
  private static final class Scripted implements BackupClaims {
    final List<String> asked = new CopyOnWriteArrayList<>();
    private final Map<String, StatusReply<?>> answers = new ConcurrentHashMap<>();

    void answer(String step, StatusReply<?> answer) {
      answers.put(step, answer);
    }

    @SuppressWarnings("unchecked")
    private <T> CompletionStage<StatusReply<T>> step(String name) {
      asked.add(name);
      StatusReply<?> answer = answers.get(name);
      return answer != null ? CompletableFuture.completedFuture((StatusReply<T>) answer)
          : CompletableFuture.failedFuture(new TimeoutException("no answer to " + name));
    }

    @Override
    public CompletionStage<StatusReply<Done>> reserveBackup(String projectId, String backupId, int gigabytes) {
      return step("reserve " + gigabytes);
    }

    @Override
    public CompletionStage<StatusReply<Done>> releaseBackup(String projectId, String backupId) {
      return step("release");
    }

    @Override
    public CompletionStage<StatusReply<Done>> linkParent(String parentId, String backupId, String projectId) {
      return step("link " + parentId);
    }

    @Override
    public CompletionStage<StatusReply<Done>> unlinkParent(String parentId, String backupId) {
      return step("unlink " + parentId);
    }

    @Override
    public CompletionStage<StatusReply<Volume>> holdVolume(String volumeId, String backupId, String projectId,
        boolean restoring, int minSize) {
      return step((restoring ? "hold-restore " : "hold ") + volumeId);
    }

    @Override
    public CompletionStage<StatusReply<Done>> freeVolume(String volumeId, String backupId, String status) {
      return step("free " + volumeId + " " + status);
    }

    @Override
    public CompletionStage<StatusReply<Done>> createVolume(Volume volume) {
      return step("create " + volume.id());
    }

    @Override
    public CompletionStage<StatusReply<nimbus.storage.BackupHostCommand.Manifest>> storeChunks(String host,
        String backupId, String volumeId, Optional<String> snapshotId) {
      return step("store " + host + " " + volumeId + snapshotId.map(id -> " snapshot " + id).orElse(""));
    }

    @Override
    public CompletionStage<StatusReply<Done>> adoptChunks(String host, String backupId, List<String> chunks) {
      return step("adopt " + host + " " + chunks.size());
    }

    @Override
    public CompletionStage<StatusReply<Done>> restoreChunks(String host, String backupId, String volumeId,
        List<String> chunks) {
      return step("write " + host + " " + volumeId + " " + chunks.size());
    }

    @Override
    public CompletionStage<StatusReply<Done>> removeChunks(String host, String backupId) {
      return step("remove " + host);
    }
  }

  @BeforeEach
  void fresh() {
    claims = new Scripted();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), BackupEntity.create(id, claims, RETRY, clock, Optional.empty()));
  }

  private static Volume volumeOn(String host) {
    return Volume.requested("vol", "p1", "u1", "v", "", 2, Map.of(), "nova", "__DEFAULT__", T0).fromSnapshot("none", host);
  }

  private Backup requested(Optional<String> parent) {
    return Backup.requested(id, "p1", "u1", "vol", "b", "d", 2, parent, clock.instant());
  }

  private Backup awaitStatus(String status) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Backup b = ((BackupEntity.Existing) kit.getState()).backup();
      assertEquals(status, b.status());
      return b;
    });
  }

  private Backup current() {
    return ((BackupEntity.Existing) kit.getState()).backup();
  }

  private <T> StatusReply<T> ask(Function<ActorRef<StatusReply<T>>, BackupEntity.Command> command) {
    TestProbe<StatusReply<T>> client = testKit.createTestProbe();
    kit.runCommand(command.apply(client.ref()));
    return client.receiveMessage(Duration.ofSeconds(5));
  }

  private void createAvailable() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("hold vol", StatusReply.success(volumeOn("host-a")));
    claims.answer("store host-a vol", StatusReply.success(new BackupHostCommand.Manifest(List.of(HASH, ""), 4096)));
    claims.answer("free vol available", StatusReply.ack());
    assertTrue(this.<Backup>ask(r -> new BackupEntity.Create(requested(Optional.empty()), r)).isSuccess());
    awaitStatus(Backup.AVAILABLE);
  }

  @Test
  void aCreateHoldsQuotaParentAndVolumeStoresTheChunksThenFreesTheVolumeAcrossRestarts() {
    TestProbe<StatusReply<Backup>> client = testKit.createTestProbe();
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link parent", StatusReply.ack());
    kit.runCommand(new BackupEntity.Create(requested(Optional.of("parent")), client.ref()));
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.asked.stream().filter("hold vol"::equals).count() >= 2, "asked again while unanswered");
      return null;
    });
    client.expectNoMessage(Duration.ofMillis(50));
    claims.answer("hold vol", StatusReply.success(volumeOn("host-a")));
    Backup answered = client.receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals(Backup.CREATING, answered.status());
    assertTrue(answered.incremental());
    kit.restart();
    claims.answer("store host-a vol", StatusReply.success(new BackupHostCommand.Manifest(List.of(HASH, ""), 4096)));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(current().holds().stored());
      return null;
    });
    kit.restart();
    claims.answer("free vol available", StatusReply.ack());
    Backup b = awaitStatus(Backup.AVAILABLE);
    assertEquals(List.of(HASH, ""), b.chunks());
    assertEquals(1, b.objectCount());
    assertEquals(4096, b.bytesWritten());
    assertEquals(List.of("reserve 2", "link parent", "hold vol", "store host-a vol", "free vol available"),
        claims.asked.stream().distinct().toList(), "quota, parent, volume, chunks, then the volume freed");
  }

  @Test
  void aSnapshotsBackupReadsTheSnapshotOnItsHostAndHoldsNoVolume() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("store host-b vol snapshot snap", StatusReply.success(new BackupHostCommand.Manifest(List.of(HASH), 4096)));
    Backup asked = requested(Optional.empty()).ofSnapshot("snap").onHost("host-b");
    StatusReply<Backup> answer = ask(r -> new BackupEntity.Create(asked, r));
    assertTrue(answer.isSuccess(), "answered once the quota holds it");
    Backup b = awaitStatus(Backup.AVAILABLE);
    assertEquals(Optional.of("snap"), b.snapshotId());
    assertEquals(List.of("reserve 2", "store host-b vol snapshot snap"), claims.asked.stream().distinct().toList(),
        "its volume is never held nor freed");
  }

  @Test
  void anImportedRecordsBackupIsAvailableOnceItsHostAdoptsTheChunksAndOneRefusedNeverWas() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("adopt host-a 2", StatusReply.ack());
    Backup record = Backup.imported(id, "p1", "u1", "vol", "b", "d", 2, "", List.of(HASH, ""), "host-a", Map.of("k", "v"),
        clock.instant());
    StatusReply<Backup> answer = ask(r -> new BackupEntity.Create(record, r));
    assertTrue(answer.isSuccess(), answer.toString());
    Backup b = awaitStatus(Backup.AVAILABLE);
    assertEquals(List.of(HASH, ""), b.chunks());
    assertEquals(Map.of("k", "v"), b.volumeMetadata());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("hold") || s.startsWith("store")), "no volume is read");
    // deleted as any other: its host forgets it (removing only the chunks no other backup names)
    claims.answer("remove host-a", StatusReply.ack());
    claims.answer("release", StatusReply.ack());
    assertTrue(this.<Done>ask(r -> new BackupEntity.Delete(false, r)).isSuccess());
    awaitStatus(Backup.DELETED);
  }

  @Test
  void anImportedRecordWhoseHostDoesNotHoldItsChunksIsRefusedAndGivesTheQuotaBack() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("adopt host-a 2", Rejection.invalid("Chunk ab is not in this host's backup store"));
    claims.answer("release", StatusReply.ack());
    Backup record = Backup.imported(id, "p1", "u1", "vol", "b", "d", 2, "", List.of(HASH, ""), "host-a", Map.of(),
        clock.instant());
    StatusReply<Backup> answer = ask(r -> new BackupEntity.Create(record, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(answer.getError()).kind());
    awaitStatus(Backup.DELETED);
    assertTrue(claims.asked.contains("release") && claims.asked.stream().noneMatch(s -> s.startsWith("remove")));
  }

  @Test
  void aQuotaRefusalIsTheClientsAnswerAndTheBackupNeverWas() {
    claims.answer("reserve 2", Rejection.of(Rejection.Kind.TOO_MANY, "BackupLimitExceeded: Maximum number of backups"
        + " allowed (0) exceeded"));
    StatusReply<Backup> answer = ask(r -> new BackupEntity.Create(requested(Optional.empty()), r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(answer.getError()).kind());
    assertInstanceOf(BackupEntity.Gone.class, kit.getState());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("hold")), "the volume is never told");
  }

  @Test
  void aVolumeThatRefusesIsTheClientsAnswerAndTheParentAndQuotaAreGivenBack() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link parent", StatusReply.ack());
    claims.answer("hold vol", Rejection.invalid("Invalid volume: Volume to be backed up must be available"));
    claims.answer("unlink parent", StatusReply.ack());
    claims.answer("release", StatusReply.ack());
    StatusReply<Backup> answer = ask(r -> new BackupEntity.Create(requested(Optional.of("parent")), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(answer.getError()).kind());
    awaitStatus(Backup.DELETED);
    assertTrue(claims.asked.contains("unlink parent") && claims.asked.contains("release"));
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("store") || s.startsWith("free")));
  }

  @Test
  void aFailedStoreLeavesAnErrorWithItsVolumeFreedAndItsDeleteGivesTheQuotaBack() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("hold vol", StatusReply.success(volumeOn("host-a")));
    claims.answer("store host-a vol", Rejection.of(Rejection.Kind.UNAVAILABLE, "disk full"));
    claims.answer("free vol available", StatusReply.ack());
    this.<Backup>ask(r -> new BackupEntity.Create(requested(Optional.empty()), r));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Backup b = current();
      assertEquals(Backup.ERROR, b.status());
      assertFalse(b.holds().volume(), "the volume is freed");
      assertEquals(Optional.of("disk full"), b.fault());
      return null;
    });
    claims.answer("release", StatusReply.ack());
    assertTrue(this.<Done>ask(r -> new BackupEntity.Delete(false, r)).isSuccess());
    awaitStatus(Backup.DELETED);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "no chunks were left");
  }

  @Test
  void aBackupWithDependentsIsNotDeletedAndItsDeleteRemovesChunksThenQuotaAcrossRestarts() {
    createAvailable();
    assertTrue(this.<Done>ask(r -> new BackupEntity.AddDependent("child", "p1", r)).isSuccess());
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(
        this.<Done>ask(r -> new BackupEntity.AddDependent("theirs", "p2", r)).getError()).kind(), "another project's");
    StatusReply<Done> refused = ask(r -> new BackupEntity.Delete(true, r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(refused.getError()).kind(), "not even forced");
    assertTrue(refused.getError().getMessage().contains("Incremental backups exist"));
    assertTrue(this.<Done>ask(r -> new BackupEntity.RemoveDependent("child", r)).isSuccess());
    assertTrue(this.<Done>ask(r -> new BackupEntity.Delete(false, r)).isSuccess());
    kit.restart();
    claims.answer("remove host-a", StatusReply.ack());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertFalse(current().holds().stored());
      return null;
    });
    kit.restart();
    claims.answer("release", StatusReply.ack());
    awaitStatus(Backup.DELETED);
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<Backup>ask(BackupEntity.Get::new).getError()).kind());
  }

  @Test
  void aRestoreIntoANewVolumeCreatesItHoldsItWritesTheChunksAndFreesItAcrossRestarts() {
    createAvailable();
    Volume target = Volume.requested("new", "p1", "u1", "restored", "", 2, Map.of(), "nova", "__DEFAULT__", T0);
    claims.answer("create new", StatusReply.ack());
    BackupRestore answered = this.<BackupRestore>ask(r -> new BackupEntity.Restore(BackupRestore.intoNew(target), r))
        .getValue();
    assertEquals("new", answered.volumeId());
    assertEquals(Backup.RESTORING, current().status());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(r -> new BackupEntity.Delete(true, r))
        .getError()).kind(), "not deleted while it restores");
    kit.restart();
    claims.answer("hold-restore new", StatusReply.success(volumeOn("host-a")));
    claims.answer("write host-a new 2", StatusReply.ack());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(current().restore().orElseThrow().written());
      return null;
    });
    kit.restart();
    claims.answer("free new available", StatusReply.ack());
    Backup b = awaitStatus(Backup.AVAILABLE);
    assertTrue(b.restore().isEmpty());
  }

  @Test
  void aRestoreThatFailsLeavesTheVolumeInErrorRestoringAndOneRefusedIsTheClientsAnswer() {
    createAvailable();
    claims.answer("hold-restore small", Rejection.invalid("Invalid volume: volume size 1 is too small to restore"
        + " backup of size 2."));
    StatusReply<BackupRestore> refused = ask(r -> new BackupEntity.Restore(BackupRestore.into("small", "s"), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(refused.getError()).kind());
    awaitStatus(Backup.AVAILABLE);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("write")));

    claims.answer("hold-restore other", StatusReply.success(volumeOn("host-a")));
    claims.answer("write host-a other 2", Rejection.of(Rejection.Kind.UNAVAILABLE, "Chunk x is corrupt"));
    claims.answer("free other error_restoring", StatusReply.ack());
    assertTrue(this.<BackupRestore>ask(r -> new BackupEntity.Restore(BackupRestore.into("other", "o"), r)).isSuccess());
    Backup b = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.asked.contains("free other error_restoring"));
      return awaitStatus(Backup.AVAILABLE);
    });
    assertEquals(Optional.of("Chunk x is corrupt"), b.fault());
  }
}
