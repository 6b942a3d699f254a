package nimbus.edge;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.testkit.RouteTest;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.Assertions;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko HTTP's route test kit for JUnit 5: its {@code JUnitRouteTest} is JUnit 4's, so this
 * gives {@link RouteTest} the system it runs routes on and JUnit 5's assertions.
 */
public abstract class JUnit5RouteTest extends RouteTest {

  /** The classic system the kit runs routes on. */
  protected abstract ActorSystem classicSystem();

  @Override
  public ActorSystem system() {
    return classicSystem();
  }

  @Override
  public Materializer materializer() {
    return Materializer.matFromSystem(classicSystem());
  }

  /** An entity's first ask recovers it from the journal: more than the kit's 3 seconds on a busy machine. */
  @Override
  public FiniteDuration awaitDuration() {
    return FiniteDuration.create(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public TestRouteResult createTestRouteResultAsync(HttpRequest request, Future<RouteResult> result) {
    return new TestRouteResult(result, awaitDuration(), classicSystem().dispatcher(), materializer()) {
      @Override
      public void fail(String message) {
        Assertions.fail(message);
      }

      @Override
      public void assertEquals(Object expected, Object actual, String message) {
        Assertions.assertEquals(expected, actual, message);
      }

      @Override
      public void assertEquals(int expected, int actual, String message) {
        Assertions.assertEquals(expected, actual, message);
      }

      @Override
      public void assertTrue(boolean predicate, String message) {
        Assertions.assertTrue(predicate, message);
      }
    };
  }
}
