package nimbus.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real runner's answers and failures, which {@link ScriptedCommands} imitates. */
class ProcessRunnerTest {
  private final ProcessRunner runner = new ProcessRunner();

  @Test
  void answersTheOutputOfACommandThatSucceeds() {
    assertEquals("out\nerr", runner.run(List.of("sh", "-c", "echo out; echo err >&2"), Duration.ofSeconds(10)));
  }

  @Test
  void aCommandThatExitsNonZeroFailsWithItsOutput() {
    List<String> command = List.of("sh", "-c", "echo no such file >&2; exit 3");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> runner.run(command, Duration.ofSeconds(10)));
    assertEquals("sh -c echo no such file >&2; exit 3 failed: no such file", e.getMessage());
    assertEquals(e.getMessage(), ScriptedCommands.failed(new ScriptedCommands.Call(command, Duration.ZERO),
        "no such file").getMessage(), "the fake fails in the same words");
  }

  @Test
  void aCommandThatRunsPastItsTimeoutIsKilled() {
    List<String> command = List.of("sleep", "30");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> runner.run(command, Duration.ofMillis(200)));
    assertEquals("sleep took longer than PT0.2S", e.getMessage());
    assertEquals(e.getMessage(), ScriptedCommands.timedOut(new ScriptedCommands.Call(command, Duration.ofMillis(200)))
        .getMessage(), "the fake times out in the same words");
  }

  @Test
  void aCommandThatCannotStartFails() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> runner.run(List.of("/nonexistent/qemu-img", "info"), Duration.ofSeconds(10)));
    assertTrue(e.getMessage().startsWith("/nonexistent/qemu-img cannot run: "), e.getMessage());
  }
}
