package nimbus.node.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a restore writes a volume's bytes, as plain bytes at their offsets (never anything that
 * would probe a format): a volume's file, or an RBD image ({@link RbdDiffWriter}). Blocking. What
 * is written is only sure to be there once {@link #finish} has returned; a writer closed before
 * that gives up (what it wrote may or may not be there).
 */
public interface RawWriter extends AutoCloseable {

  /** The volume's size in bytes. */
  long size() throws IOException;

  /** Writes {@code data} (position to limit) at offset {@code at}. */
  void write(long at, ByteBuffer data) throws IOException;

  /** Makes {@code length} bytes at {@code at} read as zeros. */
  void zero(long at, int length) throws IOException;

  /** Ends the write: everything written is there, and durable. */
  void finish() throws IOException;

  @Override
  void close() throws IOException;

  /** A writer into the file {@code volume}, which must exist. */
  static RawWriter file(Path volume) throws IOException {
    FileChannel out = FileChannel.open(volume, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new RawWriter() {
      @Override
      public long size() throws IOException {
        return out.size();
      }

      @Override
      public void write(long at, ByteBuffer data) throws IOException {
        ByteBuffer view = data.duplicate();
        while (view.hasRemaining()) out.write(view, at + view.position() - data.position());
      }

      @Override
      public void zero(long at, int length) throws IOException {
        // written only where the file holds something else, so a sparse file stays sparse
        ByteBuffer held = ByteBuffer.allocate(length);
        while (held.hasRemaining()) {
          if (out.read(held, at + held.position()) < 0) break;
        }
        held.flip();
        for (int i = 0; i < held.limit(); i++) {
          if (held.get(i) != 0) {
            write(at, ByteBuffer.allocate(length));
            return;
          }
        }
      }

      @Override
      public void finish() throws IOException {
        out.force(false);
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }
}
