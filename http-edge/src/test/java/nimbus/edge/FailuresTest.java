package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Failures behind a route become statuses by their type: a timeout of Pekko's ask is a 503. */
class FailuresTest {
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void anAskNobodyAnswersIsA503() throws Exception {
    TestProbe<StatusReply<String>> silent = testKit.createTestProbe();
    CompletionStage<String> asked = AskPattern.askWithStatus(silent.ref(), r -> StatusReply.success("never sent"),
        Duration.ofMillis(50), testKit.scheduler());
    Throwable failure = asked.toCompletableFuture().handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
    // typed ask fails with a plain TimeoutException (an EntityRef's ask with its subclass AskTimeoutException)
    assertInstanceOf(java.util.concurrent.TimeoutException.class, Failures.unwrap(failure));
    ApiError error = Failures.toApiError(new CompletionException(failure));
    assertEquals(503, error.status, failure.toString());
  }

  @Test
  void aStreamsSubscriptionTimeoutIsA503AndOtherFailuresA500() {
    assertEquals(503, Failures.toApiError(new org.apache.pekko.stream.impl.SubscriptionTimeoutException("late")).status);
    assertEquals(503, Failures.toApiError(new java.util.concurrent.TimeoutException("late")).status);
    // a name that says Timeout is not a timeout: only the types are
    class TimeoutLookalike extends RuntimeException {}
    assertEquals(500, Failures.toApiError(new TimeoutLookalike()).status);
  }
}
