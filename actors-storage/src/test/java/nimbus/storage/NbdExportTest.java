package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NbdExportTest {
  private static final String NAME = "0123456789abcdef0123456789abcdef";

  @Test
  void anExportIsWrittenAsAUriAndReadBack() {
    NbdExport v4 = new NbdExport("10.252.0.11", 10809, NAME);
    assertEquals("nbd://10.252.0.11:10809/" + NAME, v4.uri());
    assertEquals(v4, NbdExport.parse(v4.uri()));
    NbdExport v6 = new NbdExport("fd00::11", 20000, NAME);
    assertEquals("nbd://[fd00::11]:20000/" + NAME, v6.uri());
    assertEquals(v6, NbdExport.parse(v6.uri()));
    assertTrue(NbdExport.isNbd(v4.uri()));
    assertFalse(NbdExport.isNbd("/var/lib/nimbus/volumes/nimbus-volume-x"));
  }

  @Test
  void anythingElseIsRefused() {
    for (String bad : new String[] {"nbd://host.example:10809/" + NAME, "nbd://10.0.0.1:10809/short",
        "nbd://10.0.0.1:10809/" + NAME + "/../x", "nbd://10.0.0.1:0/" + NAME, "nbd://10.0.0.1:99999/" + NAME,
        "nbd+unix:///" + NAME + "?socket=/etc/passwd", "nbd://10.0.0.1:10809/" + NAME + "?tls=off",
        "nbd://10.0.0.1/" + NAME, "nbd://10.0.0.1:10809/" + NAME.toUpperCase()}) {
      assertThrows(IllegalArgumentException.class, () -> NbdExport.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new NbdExport("x'/><evil", 1, NAME));
  }
}
