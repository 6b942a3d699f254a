package nimbus.node.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host command (qemu-img, ip, ...) and fails with its error output. Blocking. */
public final class ProcessRunner implements CommandRunner {

  @Override
  public String run(List<String> command, Duration timeout) {
    Process process;
    Path out;
    try {
      // output to a file, not a pipe: a daemon (dnsmasq) may keep a pipe open after its parent exits
      out = Files.createTempFile("nimbus-cmd", ".out");
      process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + " cannot run: " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command.get(0) + " took longer than " + timeout);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command.subList(0, Math.min(3, command.size())))
            + " failed: " + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException(command.get(0) + " interrupted", e);
    } finally {
      try {
        Files.deleteIfExists(out);
      } catch (IOException e) {
        // a temporary file left behind
      }
    }
  }
}
