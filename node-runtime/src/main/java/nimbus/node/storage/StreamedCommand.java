package nimbus.node.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A host command whose bytes stream through its standard output or input (an {@code rbd export}
 * read, an {@code rbd import-diff} written), so a volume's bytes never wait in a whole temporary
 * copy. Its error output goes to a file (a pipe nobody reads could stall it), read for the failure.
 * Blocking.
 */
final class StreamedCommand {
  /** How long a command may take to exit once its stream has ended. */
  private static final Duration EXIT = Duration.ofMinutes(10);
  /**
   * How long a command may run at all, the backup and restore steps' own limit: a command stalled
   * on its cluster (Ceph's OSD requests wait for ever by default) is killed, so the read or write
   * blocked on it fails and lets go of the chunk store.
   */
  private static final Duration LIMIT = Duration.ofHours(6);

  private final String what;
  private final Process process;
  private final Path errors;

  private StreamedCommand(String what, Process process, Path errors) {
    this.what = what;
    this.process = process;
    this.errors = errors;
  }

  /** Starts {@code command} (named {@code what} in failures) to read its {@link #output}. */
  static StreamedCommand reading(String what, List<String> command) throws IOException {
    return start(what, new ProcessBuilder(command));
  }

  /** Starts {@code command} (named {@code what} in failures) to write its {@link #input}; its output is discarded. */
  static StreamedCommand writing(String what, List<String> command) throws IOException {
    return start(what, new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD));
  }

  private static StreamedCommand start(String what, ProcessBuilder builder) throws IOException {
    Path errors = Files.createTempFile("nimbus-stream", ".err");
    try {
      Process process = builder.redirectError(errors.toFile()).start();
      CompletableFuture.delayedExecutor(LIMIT.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (process.isAlive()) process.destroyForcibly();
      });
      return new StreamedCommand(what, process, errors);
    } catch (IOException e) {
      Files.deleteIfExists(errors);
      throw e;
    }
  }

  /**
   * The command's output (its input closed): closed once read to its end, it waits for the command
   * and fails as the command failed; closed before, it stops the command.
   */
  ReadableByteChannel output() throws IOException {
    process.getOutputStream().close();
    InputStream in = process.getInputStream();
    ReadableByteChannel channel = Channels.newChannel(in);
    return new ReadableByteChannel() {
      private boolean ended;

      @Override
      public int read(ByteBuffer dst) throws IOException {
        int n = channel.read(dst);
        if (n < 0) ended = true;
        return n;
      }

      @Override
      public boolean isOpen() {
        return channel.isOpen();
      }

      @Override
      public void close() throws IOException {
        if (ended) {
          channel.close();
          await();
        } else {
          stop();
          channel.close();
        }
      }
    };
  }

  /** The command's input, buffered. */
  OutputStream input() {
    return new java.io.BufferedOutputStream(process.getOutputStream(), 1 << 16);
  }

  /** Waits for the command to exit, failing with its error output unless it succeeded. */
  void await() throws IOException {
    try {
      if (!process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
        stop();
        throw new IOException(what + " did not exit within " + EXIT);
      }
      String why = Files.readString(errors, StandardCharsets.UTF_8).strip();
      Files.deleteIfExists(errors);
      if (process.exitValue() != 0) {
        throw new IOException(what + " failed: " + why);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
      throw new IOException(what + " interrupted", e);
    }
  }

  /** Stops the command, its outcome unwanted. */
  void stop() {
    process.destroyForcibly();
    try {
      process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS);
      Files.deleteIfExists(errors);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException ignored) {
      // a temporary file left behind
    }
  }
}
