package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server create as a durable workflow, against scripted steps: each step is asked until it is
 * answered, a refusal undoes what was done before it, and a restart at any point (a crash)
 * resumes from the last persisted step.
 */
class ServerCreationTest extends EntityTestSupport {
  private static final Duration RETRY = Duration.ofMillis(100);
  private ScriptedSteps steps;
  private EventSourcedBehaviorTestKit<ServerCreation.Command, ServerCreation.Event, ServerCreation.State> kit;
  private TestProbe<StatusReply<ServerCreation.Created>> client;
  private final List<String> ids = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());

  /** Answers each step as the test says; unscripted steps get no answer (as a lost message). */
  static final class ScriptedSteps implements ServerCreation.Steps {
    final List<String> asked = new CopyOnWriteArrayList<>();
    final Map<String, Optional<Rejection>> answers = new ConcurrentHashMap<>();
    final Map<String, CompletableFuture<Optional<Rejection>>> pending = new ConcurrentHashMap<>();

    private CompletionStage<Optional<Rejection>> step(String name) {
      asked.add(name);
      Optional<Rejection> answer = answers.get(name);
      if (answer != null) return CompletableFuture.completedFuture(answer);
      CompletableFuture<Optional<Rejection>> never = new CompletableFuture<>();
      never.completeExceptionally(new java.util.concurrent.TimeoutException("no answer"));
      return never;
    }

    void accept(String name) {
      answers.put(name, Optional.empty());
    }

    void refuse(String name, Rejection.Kind kind, String why) {
      answers.put(name, Optional.of(new Rejection(kind, why)));
    }

    @Override
    public CompletionStage<Optional<Rejection>> reserve(String projectId, Map<String, Resources> need) {
      return step("reserve " + need.keySet().size());
    }

    @Override
    public CompletionStage<Optional<Rejection>> join(String projectId, String groupId, List<String> serverIds) {
      return step("join " + groupId);
    }

    @Override
    public CompletionStage<Optional<Rejection>> create(String serverId, ServerSpec spec, String requestId) {
      return step("create " + spec.name());
    }

    @Override
    public CompletionStage<Void> undo(String projectId, Optional<String> groupId, List<String> serverIds) {
      asked.add("undo " + serverIds.size());
      return answers.containsKey("undo") ? CompletableFuture.completedFuture(null)
          : CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
    }
  }

  @BeforeEach
  void fresh() {
    steps = new ScriptedSteps();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        ServerCreation.create(UUID.randomUUID().toString(), steps, Clock.systemUTC(), RETRY, Optional.empty()));
    client = testKit.createTestProbe();
  }

  private static ServerSpec spec(Optional<Placement> group) {
    return new ServerSpec("web", "p1", "u1", Flavor.byId("42").orElseThrow(), BootSource.none("img"), Map.of(),
        Optional.empty(), group, Optional.empty());
  }

  private void start(ServerSpec spec) {
    kit.runCommand(new ServerCreation.Start(spec, ids, client.ref()));
  }

  private void awaitAsked(String step) {
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(steps.asked.contains(step), step + " not asked: " + steps.asked);
      return null;
    });
  }

  private <S> S awaitState(Class<S> type) {
    return client.awaitAssert(Duration.ofSeconds(5), () -> assertInstanceOf(type, kit.getState()));
  }

  @Test
  void quotaGroupThenEveryServerAndTheClientGetsTheIds() {
    steps.accept("reserve 2");
    steps.accept("join g1");
    steps.accept("create web-1");
    steps.accept("create web-2");
    start(spec(Optional.of(new Placement("p1", "g1", "anti-affinity"))));
    assertEquals(ids, client.receiveMessage(Duration.ofSeconds(5)).getValue().serverIds());
    ServerCreation.Finished done = awaitState(ServerCreation.Finished.class);
    assertTrue(done.refusal().isEmpty());
    assertEquals(List.of("reserve 2", "join g1"), steps.asked.subList(0, 2));
    assertTrue(steps.asked.stream().noneMatch(s -> s.startsWith("undo")));
    // the same request again answers the same, without doing anything again
    int asked = steps.asked.size();
    start(spec(Optional.empty()));
    assertEquals(ids, client.receiveMessage(Duration.ofSeconds(5)).getValue().serverIds());
    assertEquals(asked, steps.asked.size());
  }

  @Test
  void aQuotaRefusalEndsItWithNothingToUndo() {
    steps.refuse("reserve 2", Rejection.Kind.FORBIDDEN, "Quota exceeded for instances");
    start(spec(Optional.empty()));
    StatusReply<ServerCreation.Created> reply = client.receiveMessage(Duration.ofSeconds(5));
    assertTrue(reply.isError());
    assertEquals(new Rejection(Rejection.Kind.FORBIDDEN, "Quota exceeded for instances"), Rejection.from(reply.getError()));
    assertTrue(steps.asked.stream().noneMatch(s -> s.startsWith("create") || s.startsWith("undo")), steps.asked.toString());
  }

  @Test
  void aGroupRefusalGivesTheQuotaBackBeforeItAnswers() {
    steps.accept("reserve 2");
    steps.refuse("join g1", Rejection.Kind.INVALID, "the group is full");
    start(spec(Optional.of(new Placement("p1", "g1", "affinity"))));
    ServerCreation.Undoing undoing = awaitState(ServerCreation.Undoing.class);
    assertEquals(ids, undoing.serverIds());
    awaitAsked("undo 2");
    client.expectNoMessage(RETRY.multipliedBy(3)); // no answer before the undo is done
    steps.accept("undo");
    StatusReply<ServerCreation.Created> reply = client.receiveMessage(Duration.ofSeconds(5));
    assertEquals("the group is full", Rejection.from(reply.getError()).message());
    assertTrue(steps.asked.stream().noneMatch(s -> s.startsWith("create")));
  }

  @Test
  void aRefusedServerGivesBackOnlyWhatItHeld() {
    steps.accept("reserve 2");
    steps.accept("create web-1");
    steps.refuse("create web-2", Rejection.Kind.INVALID, "bad spec");
    steps.accept("undo");
    start(spec(Optional.empty()));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).isError());
    assertTrue(steps.asked.contains("undo 1"), "only the refused server's quota goes back: " + steps.asked);
  }

  @Test
  void anUnansweredStepIsAskedAgainAndACrashResumesAtTheStepItWasIn() {
    start(spec(Optional.of(new Placement("p1", "g1", "affinity"))));
    awaitAsked("reserve 2");
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(steps.asked.stream().filter("reserve 2"::equals).count() >= 2, "asked again: " + steps.asked);
      return null;
    });
    steps.accept("reserve 2");
    awaitAsked("join g1");

    // a crash while joining: the quota is not asked for again, the join is
    kit.restart();
    steps.asked.clear();
    assertInstanceOf(ServerCreation.Running.class, kit.getState());
    awaitAsked("join g1");
    assertTrue(!steps.asked.contains("reserve 2"), steps.asked.toString());
    steps.accept("join g1");
    steps.accept("create web-1");
    awaitState(ServerCreation.Running.class);
    client.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(List.of(ids.get(0)), ((ServerCreation.Running) kit.getState()).created());
      return null;
    });

    // and again with one server created: only the other one is asked for
    kit.restart();
    steps.asked.clear();
    awaitAsked("create web-2");
    assertTrue(!steps.asked.contains("create web-1"), steps.asked.toString());
    steps.accept("create web-2");
    assertTrue(awaitState(ServerCreation.Finished.class).refusal().isEmpty());
  }

  @Test
  void theStateFunctionIsTotalOverTheRequestsLife() {
    ServerCreation.State s = new ServerCreation.NotStarted();
    var at = java.time.Instant.now();
    s = ServerCreation.next(s, new ServerCreation.CreationRequested(spec(Optional.empty()), ids, at));
    assertEquals(ServerCreation.Step.RESERVE_QUOTA, ((ServerCreation.Running) s).step());
    s = ServerCreation.next(s, new ServerCreation.QuotaReserved(at));
    assertEquals(ServerCreation.Step.CREATE_SERVERS, ((ServerCreation.Running) s).step(), "no group: straight on");
    s = ServerCreation.next(s, new ServerCreation.ServerCreated(ids.get(0), at));
    s = ServerCreation.next(s, new ServerCreation.ServerCreated(ids.get(0), at));
    assertInstanceOf(ServerCreation.Running.class, s, "the same server twice counts once");
    s = ServerCreation.next(s, new ServerCreation.ServerCreated(ids.get(1), at));
    assertInstanceOf(ServerCreation.Finished.class, s);
  }
}
