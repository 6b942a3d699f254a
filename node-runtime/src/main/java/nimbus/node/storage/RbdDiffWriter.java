package nimbus.node.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes into an RBD image through {@code rbd import-diff}: the bytes become Ceph's own diff stream
 * ({@code rbd diff v1}: a banner, then records of data {@code w} and of zeros {@code z}, each with
 * its little-endian offset and length, and an end {@code e}), written to {@code out}, the command's
 * input. The stream names no snapshot and no size, so the image is neither snapshotted nor resized;
 * {@code rbd} writes the data as raw bytes (it never probes a format) and discards the zero ranges.
 * Pure of processes: {@link #finish} writes the end and calls {@code ended}, which waits for the command.
 */
final class RbdDiffWriter implements RawWriter {
  static final byte[] BANNER = "rbd diff v1\n".getBytes(StandardCharsets.US_ASCII);

  /** What waits for the command once its input is whole (and fails if it failed). */
  interface Ended {
    void await() throws IOException;
  }

  private final OutputStream out;
  private final long size;
  private final Ended ended;
  private final Runnable abandon;
  private boolean finished;

  /**
   * A writer of an image of {@code size} bytes into {@code out}; {@code ended} waits for the command
   * after the end record, {@code abandon} stops it when the writer is closed unfinished.
   */
  RbdDiffWriter(OutputStream out, long size, Ended ended, Runnable abandon) throws IOException {
    this.out = out;
    this.size = size;
    this.ended = ended;
    this.abandon = abandon;
    out.write(BANNER);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void write(long at, ByteBuffer data) throws IOException {
    record('w', at, data.remaining());
    ByteBuffer view = data.duplicate();
    byte[] bytes = new byte[view.remaining()];
    view.get(bytes);
    out.write(bytes);
  }

  @Override
  public void zero(long at, int length) throws IOException {
    record('z', at, length);
  }

  private void record(char tag, long at, long length) throws IOException {
    if (at < 0 || length < 0 || at + length > size) throw new IOException("a write past the image's end");
    ByteBuffer head = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
    head.put((byte) tag).putLong(at).putLong(length);
    out.write(head.array());
  }

  @Override
  public void finish() throws IOException {
    out.write('e');
    out.close();
    finished = true;
    ended.await();
  }

  @Override
  public void close() throws IOException {
    if (!finished) {
      abandon.run();
      try {
        out.close();
      } catch (IOException ignored) {
        // the command is stopped already
      }
    }
  }
}
