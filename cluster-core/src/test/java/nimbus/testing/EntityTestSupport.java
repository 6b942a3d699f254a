package nimbus.testing;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of entity tests: one ActorTestKit per test class, configured for Pekko's
 * EventSourcedBehaviorTestKit with production serialization (which the kit checks).
 */
public abstract class EntityTestSupport {
  protected static ActorTestKit testKit;

  @BeforeAll
  static void startTestKit() {
    testKit = TestConfig.entityTestKit();
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }
}
