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
 * A snapshot's steps against scripted claims: quota, then its volume, then the copy on the
 * volume's host; refusals answered to the client with what was held given back; a failed copy in
 * {@code error} with its quota back; a delete removing the file, freeing the volume, then giving
 * the quota back, resumed after a restart between steps.
 */
class SnapshotEntityTest extends EntityTestSupport {
  private static final Duration RETRY = Duration.ofMillis(100);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final String id = UUID.randomUUID().toString();
  private final ManualClock clock = new ManualClock(T0);
  private Scripted claims;
  private EventSourcedBehaviorTestKit<SnapshotEntity.Command, SnapshotEntity.Event, SnapshotEntity.State> kit;

  /** Answers each step as the test says; an unscripted one gets no answer (a lost message). */
  private static final class Scripted implements SnapshotClaims {
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
    public CompletionStage<StatusReply<Done>> reserveSnapshot(String projectId, String snapshotId, String volumeType,
        int gigabytes) {
      return step("reserve " + gigabytes);
    }

    @Override
    public CompletionStage<StatusReply<Done>> releaseSnapshot(String projectId, String snapshotId) {
      return step("release");
    }

    @Override
    public CompletionStage<StatusReply<Volume>> link(String volumeId, String snapshotId, String projectId, boolean force) {
      return step("link " + volumeId + (force ? " force" : ""));
    }

    @Override
    public CompletionStage<StatusReply<Done>> unlink(String volumeId, String snapshotId) {
      return step("unlink " + volumeId);
    }

    @Override
    public CompletionStage<StatusReply<Done>> createSnapshotStorage(String host, String volumeId, String snapshotId) {
      return step("copy " + host + " " + volumeId);
    }

    @Override
    public CompletionStage<StatusReply<Done>> removeSnapshotStorage(String host, String snapshotId) {
      return step("remove " + host);
    }
  }

  @BeforeEach
  void fresh() {
    claims = new Scripted();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        SnapshotEntity.create(id, claims, RETRY, clock, Optional.empty()));
  }

  private static Volume volumeOn(String host) {
    return Volume.requested("vol", "p1", "u1", "v", "", 2, Map.of(), "nova", "__DEFAULT__", T0)
        .fromSnapshot("none", host);
  }

  private Snapshot requested(boolean force) {
    return Snapshot.requested(id, "p1", "u1", "vol", "s", "d", 2, Map.of(), force, clock.instant());
  }

  private Snapshot awaitStatus(String status) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Snapshot s = ((SnapshotEntity.Existing) kit.getState()).snapshot();
      assertEquals(status, s.status());
      return s;
    });
  }

  private <T> StatusReply<T> ask(Function<ActorRef<StatusReply<T>>, SnapshotEntity.Command> command) {
    TestProbe<StatusReply<T>> client = testKit.createTestProbe();
    kit.runCommand(command.apply(client.ref()));
    return client.receiveMessage(Duration.ofSeconds(5));
  }

  private void createAvailable() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link vol", StatusReply.success(volumeOn("host-a")));
    claims.answer("copy host-a vol", StatusReply.ack());
    assertTrue(this.<Snapshot>ask(r -> new SnapshotEntity.Create(requested(false), r)).isSuccess());
    awaitStatus(Snapshot.AVAILABLE);
  }

  @Test
  void aCreateHoldsTheQuotaThenTheVolumeThenCopiesItsFileOnItsHost() {
    TestProbe<StatusReply<Snapshot>> client = testKit.createTestProbe();
    claims.answer("reserve 2", StatusReply.ack());
    kit.runCommand(new SnapshotEntity.Create(requested(false), client.ref()));
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(claims.asked.stream().filter("link vol"::equals).count() >= 2, "asked again while unanswered");
      return null;
    });
    client.expectNoMessage(Duration.ofMillis(50));
    claims.answer("link vol", StatusReply.success(volumeOn("host-a")));
    Snapshot answered = client.receiveMessage(Duration.ofSeconds(5)).getValue();
    assertEquals(Snapshot.CREATING, answered.status());
    kit.restart();
    claims.answer("copy host-a vol", StatusReply.ack());
    Snapshot s = awaitStatus(Snapshot.AVAILABLE);
    assertEquals(Optional.of("host-a"), s.host());
    assertTrue(s.quotaHeld() && s.linked() && s.stored());
    assertEquals(List.of("reserve 2", "link vol", "copy host-a vol"),
        claims.asked.stream().distinct().toList(), "quota, volume, then the copy");
  }

  @Test
  void aQuotaRefusalIsTheClientsAnswerAndTheSnapshotNeverWas() {
    claims.answer("reserve 2", Rejection.of(Rejection.Kind.TOO_MANY, "SnapshotLimitExceeded: Maximum number of snapshots"
        + " allowed (0) exceeded"));
    StatusReply<Snapshot> answer = ask(r -> new SnapshotEntity.Create(requested(false), r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(answer.getError()).kind());
    assertInstanceOf(SnapshotEntity.Gone.class, kit.getState());
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("link")), "the volume is never told");
  }

  @Test
  void aVolumeThatRefusesIsTheClientsAnswerAndTheQuotaIsGivenBack() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link vol force", Rejection.invalid("Invalid volume: Volume vol status must be available, in-use,"
        + " but current status is: attaching."));
    claims.answer("release", StatusReply.ack());
    StatusReply<Snapshot> answer = ask(r -> new SnapshotEntity.Create(requested(true), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(answer.getError()).kind());
    awaitStatus(Snapshot.DELETED);
    assertTrue(claims.asked.contains("release"));
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("copy") || s.startsWith("unlink")));
  }

  @Test
  void aFailedCopyLeavesAnErrorWithItsQuotaBackAndItsDeleteFreesTheVolume() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link vol", StatusReply.success(volumeOn("host-a")));
    claims.answer("copy host-a vol", Rejection.of(Rejection.Kind.UNAVAILABLE, "pool full"));
    claims.answer("release", StatusReply.ack());
    this.<Snapshot>ask(r -> new SnapshotEntity.Create(requested(false), r));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      Snapshot s = ((SnapshotEntity.Existing) kit.getState()).snapshot();
      assertEquals(Snapshot.ERROR, s.status());
      assertFalse(s.quotaHeld(), "the quota is given back");
      return null;
    });
    claims.answer("unlink vol", StatusReply.ack());
    assertTrue(this.<Done>ask(SnapshotEntity.Delete::new).isSuccess());
    awaitStatus(Snapshot.DELETED);
    assertTrue(claims.asked.stream().noneMatch(s -> s.startsWith("remove")), "no file was left");
  }

  @Test
  void aDeleteRemovesTheFileThenFreesTheVolumeThenTheQuotaAndSurvivesARestartBetween() {
    createAvailable();
    assertTrue(this.<Done>ask(SnapshotEntity.Delete::new).isSuccess());
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(SnapshotEntity.Delete::new).getError()).kind(),
        "a deleting snapshot cannot be deleted again");
    claims.answer("remove host-a", StatusReply.ack());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertFalse(((SnapshotEntity.Existing) kit.getState()).snapshot().stored());
      return null;
    });
    kit.restart();
    claims.answer("unlink vol", StatusReply.ack());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertFalse(((SnapshotEntity.Existing) kit.getState()).snapshot().linked());
      return null;
    });
    kit.restart();
    claims.answer("release", StatusReply.ack());
    awaitStatus(Snapshot.DELETED);
    assertTrue(claims.asked.indexOf("remove host-a") < claims.asked.indexOf("unlink vol")
        && claims.asked.indexOf("unlink vol") < claims.asked.indexOf("release"), "file, volume, quota");
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(this.<Snapshot>ask(SnapshotEntity.Get::new).getError()).kind());
  }

  @Test
  void anUpdateChangesWhatItNamesAndACreatingSnapshotCannotBeDeleted() {
    claims.answer("reserve 2", StatusReply.ack());
    claims.answer("link vol", StatusReply.success(volumeOn("host-a")));
    this.<Snapshot>ask(r -> new SnapshotEntity.Create(requested(false), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(this.<Done>ask(SnapshotEntity.Delete::new).getError()).kind());
    Snapshot s = this.<Snapshot>ask(r -> new SnapshotEntity.Update(Optional.of("renamed"), Optional.empty(),
        Optional.of(Map.of("a", "b")), r)).getValue();
    assertEquals("renamed", s.name());
    assertEquals("d", s.description());
    assertEquals(Map.of("a", "b"), s.metadata());
  }
}
