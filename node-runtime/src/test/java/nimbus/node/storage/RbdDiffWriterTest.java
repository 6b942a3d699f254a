package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The {@code rbd diff v1} stream a restore writes into {@code rbd import-diff}, byte for byte. */
class RbdDiffWriterTest {

  @Test
  void dataAndZerosBecomeRecordsAtTheirOffsetsAndTheEndWaitsForTheCommand() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AtomicBoolean awaited = new AtomicBoolean();
    AtomicBoolean abandoned = new AtomicBoolean();
    try (RbdDiffWriter w = new RbdDiffWriter(out, 1 << 20, () -> awaited.set(true), () -> abandoned.set(true))) {
      assertEquals(1 << 20, w.size());
      ByteBuffer data = ByteBuffer.wrap(new byte[] {9, 8, 7, 6, 5});
      data.position(1);
      w.write(4096, data);
      assertEquals(1, data.position(), "the caller's buffer is left as it was");
      w.zero(8192, 4096);
      w.finish();
    }
    assertTrue(awaited.get());
    assertFalse(abandoned.get(), "a finished write is not stopped");
    ByteBuffer expected = ByteBuffer.allocate(12 + 17 + 4 + 17 + 1).order(ByteOrder.LITTLE_ENDIAN);
    expected.put("rbd diff v1\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    expected.put((byte) 'w').putLong(4096).putLong(4).put(new byte[] {8, 7, 6, 5});
    expected.put((byte) 'z').putLong(8192).putLong(4096);
    expected.put((byte) 'e');
    assertArrayEquals(expected.array(), out.toByteArray());
  }

  @Test
  void aWritePastTheImageIsRefusedAndAnUnfinishedWriterStopsTheCommand() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AtomicBoolean abandoned = new AtomicBoolean();
    try (RbdDiffWriter w = new RbdDiffWriter(out, 4096, () -> { }, () -> abandoned.set(true))) {
      assertThrows(IOException.class, () -> w.write(4000, ByteBuffer.allocate(200)));
      assertThrows(IOException.class, () -> w.zero(-1, 10));
    }
    assertTrue(abandoned.get(), "closed before its end, the import is stopped (nothing half-written passes for done)");
    assertEquals(12, out.size(), "only the banner was written");
  }
}
