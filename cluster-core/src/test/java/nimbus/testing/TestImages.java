package nimbus.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Disk image files for tests, made by qemu-img as users make them (an empty qcow2) and as
 * attackers craft them (any options: backing files, external data files, other formats).
 */
public final class TestImages {
  private TestImages() {}

  /** An empty qcow2 of this virtual size ("1M", "64M", ...) at {@code file}. */
  public static Path qcow2(Path file, String size) {
    return create(file, size, "-f", "qcow2");
  }

  /** {@code qemu-img create -q OPTIONS FILE SIZE}; the options name the format ({@code -f}). */
  public static Path create(Path file, String size, String... options) {
    List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q"));
    command.addAll(List.of(options));
    command.addAll(List.of(file.toString(), size));
    run(command);
    return file;
  }

  /** What {@code qemu-img info} says of the file; {@code -U}: a running guest may hold it. */
  public static String info(Path file) {
    return run(List.of("qemu-img", "info", "-U", file.toString()));
  }

  private static String run(List<String> command) {
    Path out = null;
    try {
      // output to a file, so that the timeout holds even if the process never closes its output
      out = Files.createTempFile("test-images", ".out");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " took longer than 30s");
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) throw new AssertionError(command + " exited " + p.exitValue() + ": " + output);
      return output;
    } catch (IOException e) {
      throw new AssertionError(command + " cannot run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(command + " interrupted", e);
    } finally {
      try {
        if (out != null) Files.deleteIfExists(out);
      } catch (IOException e) {
        // a temporary file left behind
      }
    }
  }
}
