package nimbus.node.agent;

import java.time.Duration;
import java.util.List;

/**
 * How the agent runs a host command (qemu-img, ...): {@link ProcessRunner} runs it as a process;
 * tests hand {@link ServerOperations} a scripted one, to check the commands without running them.
 */
public interface CommandRunner {

  /**
   * Runs {@code command} to its end and answers its output; fails with an
   * {@link IllegalStateException} carrying the output if it exits non-zero, and with one naming
   * the timeout if it runs longer than {@code timeout}. Blocking.
   */
  String run(List<String> command, Duration timeout);
}
