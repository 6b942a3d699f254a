package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RbdSourceTest {

  @Test
  void aSourceIsWrittenAsAUriAndReadBack() {
    RbdSource source = new RbdSource("nimbus", List.of(new RbdSource.Monitor("127.0.0.1", 6789),
        new RbdSource.Monitor("fd00::1", 3300)), "volumes", "nimbus-volume-v1");
    assertEquals("rbd://nimbus@127.0.0.1:6789,[fd00::1]:3300/volumes/nimbus-volume-v1", source.uri());
    assertEquals(source, RbdSource.parse(source.uri()));
    assertTrue(RbdSource.isRbd(source.uri()));
    assertFalse(RbdSource.isRbd("/var/lib/nimbus/volumes/nimbus-volume-v1"));
    assertFalse(RbdSource.isRbd("nbd://10.0.0.1:10809/0123456789abcdef0123456789abcdef"));
  }

  @Test
  void anythingNotExactlyOfItsFormIsRefused() {
    for (String bad : List.of("rbd://nimbus@ceph.example:6789/volumes/v", "rbd://nimbus@127.0.0.1/volumes/v",
        "rbd://nimbus@127.0.0.1:6789/volumes/v/extra", "rbd://nimbus@127.0.0.1:6789/volumes/v:conf=/etc/x",
        "rbd://nim:bus@127.0.0.1:6789/volumes/v", "rbd://nimbus@127.0.0.1:99999/volumes/v", "rbd://@127.0.0.1:6789/p/v",
        "rbd://nimbus@127.0.0.1:6789/volumes/v@snap", "rbd://nimbus@127.0.0.1:6789//v")) {
      assertThrows(IllegalArgumentException.class, () -> RbdSource.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new RbdSource("nimbus", List.of(), "volumes", "v"));
  }
}
