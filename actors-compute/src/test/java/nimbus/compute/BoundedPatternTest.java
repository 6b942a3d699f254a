package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BoundedPatternTest {

  @Test
  void addressPatternsMatchFromTheStartAsNovasDo() {
    assertTrue(BoundedPattern.compile("10\\.0\\.0\\.").matchesStart("10.0.0.5", BoundedPattern.budget()));
    assertTrue(BoundedPattern.compile("10.0.0.5$").matchesStart("10.0.0.5", BoundedPattern.budget()));
    assertFalse(BoundedPattern.compile("0\\.0").matchesStart("10.0.0.5", BoundedPattern.budget()));
    assertTrue(BoundedPattern.compile("fd00:(.*:)*1$").matchesStart("fd00:1234:5678:9abc:def0:1234:5678:1", BoundedPattern.budget()));
  }

  @Test
  void namePatternsMatchAnywhereAsADatabaseRegexpDoes() {
    assertTrue(BoundedPattern.compile("web").find("the-web-1", BoundedPattern.budget()));
    assertTrue(BoundedPattern.compile("^the.*1$").find("the-web-1", BoundedPattern.budget()));
    assertFalse(BoundedPattern.compile("^web").find("the-web-1", BoundedPattern.budget()));
    assertTrue(BoundedPattern.compile(".*a.*b.*c").find("x".repeat(250) + "abc", BoundedPattern.budget()), "a legitimate scan of a long name");
  }

  @Test
  void aPatternThatBacktracksExponentiallyStopsWithinItsBudget() {
    BoundedPattern attack = BoundedPattern.compile("((((((((((([\\d.]+)+)+)+)+)+)+)+)+)+)+)+x");
    assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(BoundedPattern.TooCostly.class, () -> attack.matchesStart("10.60.0.123", BoundedPattern.budget())));
    BoundedPattern classic = BoundedPattern.compile("((((((((([0-9a-f:]+)+)+)+)+)+)+)+)+)+x");
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThrows(BoundedPattern.TooCostly.class,
        () -> classic.matchesStart("fd00:1234:5678:9abc:def0:1234:5678:9abc", BoundedPattern.budget())));
    BoundedPattern onNames = BoundedPattern.compile("((a+)+)+$");
    assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(BoundedPattern.TooCostly.class, () -> onNames.find("a".repeat(40) + "!", BoundedPattern.budget())));
  }

  /** A deeply nested pattern works hard between reads: the list's time budget stops its matches. */
  @Test
  void theMatchesOfOneListShareATimeBudget() {
    BoundedPattern simple = BoundedPattern.compile("10\\.");
    long start = System.nanoTime(); // before the budget's deadline is set, so the time measured covers it
    BoundedPattern.Budget budget = BoundedPattern.budget();
    assertThrows(BoundedPattern.TooCostly.class, () -> {
      while (true) simple.matchesStart("10.0.0.1", budget);
    });
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(BoundedPattern.LIST_TIME) >= 0 && took.compareTo(BoundedPattern.LIST_TIME.multipliedBy(4)) < 0,
        took.toString());
  }

  @Test
  void aLongOrMalformedPatternIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> BoundedPattern.compile("1".repeat(BoundedPattern.MAX_LENGTH + 1)));
    assertThrows(IllegalArgumentException.class, () -> BoundedPattern.compile("10.[0"));
  }
}
