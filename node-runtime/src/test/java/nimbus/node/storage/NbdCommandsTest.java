package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import nimbus.storage.NbdExport;
import org.junit.jupiter.api.Test;

class NbdCommandsTest {
  private static final NbdExport EXPORT = new NbdExport("10.252.0.11", 41234, "0123456789abcdef0123456789abcdef");

  @Test
  void theDaemonServesTheFileWritethroughOnTheHostsAddressUnderTheExportsName() {
    assertEquals(List.of("qemu-storage-daemon",
        "--blockdev", "driver=file,node-name=file0,filename=/data/volumes/nimbus-volume-v1",
        "--blockdev", "driver=raw,node-name=disk0,file=file0",
        "--nbd-server", "addr.type=inet,addr.host=10.252.0.11,addr.port=41234",
        "--export", "type=nbd,id=export0,node-name=disk0,name=0123456789abcdef0123456789abcdef,writable=on,writethrough=on",
        "--pidfile", "/data/nbd-exports/v1.pid",
        "--daemonize"),
        NbdCommands.serve(Path.of("/data/volumes/nimbus-volume-v1"), EXPORT, Path.of("/data/nbd-exports/v1.pid")));
  }

  @Test
  void aCommaInAPathCannotAddAnOption() {
    List<String> command = NbdCommands.serve(Path.of("/d,ata/v"), EXPORT, Path.of("/p,x/v1.pid"));
    assertEquals("driver=file,node-name=file0,filename=/d,,ata/v", command.get(2));
    assertEquals("/p,,x/v1.pid", command.get(10));
  }

  @Test
  void aPidIsTheDaemonOnlyWhenItsCommandLineServesThatExport() {
    String daemon = String.join("\0", NbdCommands.serve(Path.of("/v"), EXPORT, Path.of("/p"))) + "\0";
    assertTrue(NbdCommands.serves(daemon, EXPORT));
    assertFalse(NbdCommands.serves(daemon, new NbdExport("10.252.0.11", 41234, "f".repeat(32))), "another export's");
    assertFalse(NbdCommands.serves("sleep\0" + "name=" + EXPORT.name() + ",\0", EXPORT), "a pid reused by another program");
  }
}
