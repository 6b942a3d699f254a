package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command and answers its exit code with its output, for the tests that need to see a
 * command fail (a ping that gets no answer, a link the kernel cannot make) rather than throw.
 */
final class Shell {
  private Shell() {}

  record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }
  }

  static Result run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // ping -c 3 -W 2 ends within about 5 s; anything far slower is a hang, not an answer
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not end within 60 s");
      }
      return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(command.get(0) + " cannot run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Runs {@code command} inside the network namespace {@code netns}. */
  static Result in(String netns, String... command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(Arrays.asList(command));
    return run(all);
  }

  /** Names of the network namespaces on this machine ({@code ip netns list}). */
  static List<String> namespaces() {
    return run(List.of("ip", "netns", "list")).output().lines().map(l -> l.split(" ")[0]).toList();
  }
}
