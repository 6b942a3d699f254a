package nimbus.node.agent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A {@link CommandRunner} that runs nothing: it records every command and answers each from its
 * script, in order, failing as {@link ProcessRunner} fails (see {@code ProcessRunnerTest}).
 */
final class ScriptedCommands implements CommandRunner {
  record Call(List<String> command, Duration timeout) {}

  /** What one scripted command does: answers its output or throws. */
  interface Step {
    String answer(Call call);
  }

  private final Deque<Step> script = new ArrayDeque<>();
  private final List<Call> calls = new ArrayList<>();

  ScriptedCommands then(Step step) {
    script.add(step);
    return this;
  }

  /** The next command succeeds with this output. */
  ScriptedCommands thenAnswer(String output) {
    return then(call -> output);
  }

  /** The next command exits non-zero, printing {@code output}. */
  ScriptedCommands thenFail(String output) {
    return then(call -> {
      throw failed(call, output);
    });
  }

  /** The next command runs past its timeout. */
  ScriptedCommands thenTimeOut() {
    return then(call -> {
      throw timedOut(call);
    });
  }

  /** ProcessRunner's message for a command that exited non-zero. */
  static IllegalStateException failed(Call call, String output) {
    List<String> c = call.command();
    return new IllegalStateException(String.join(" ", c.subList(0, Math.min(3, c.size()))) + " failed: " + output);
  }

  /** ProcessRunner's message for a command it killed at its timeout. */
  static IllegalStateException timedOut(Call call) {
    return new IllegalStateException(call.command().get(0) + " took longer than " + call.timeout());
  }

  @Override
  public String run(List<String> command, Duration timeout) {
    Call call = new Call(List.copyOf(command), timeout);
    calls.add(call);
    Step step = script.poll();
    if (step == null) throw new AssertionError("a command the test did not expect: " + command);
    return step.answer(call);
  }

  /** Every command run so far, in order. */
  List<Call> calls() {
    return List.copyOf(calls);
  }
}
