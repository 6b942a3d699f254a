package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import nimbus.storage.RbdSource;
import org.junit.jupiter.api.Test;

class RbdCommandsTest {
  private final RbdCommands rbd = new RbdCommands(Path.of("/etc/nimbus/ceph.conf"), Path.of("/etc/nimbus/nimbus.keyring"),
      "nimbus", "volumes");
  private static final List<String> CLIENT =
      List.of("rbd", "-c", "/etc/nimbus/ceph.conf", "--id", "nimbus", "--keyring", "/etc/nimbus/nimbus.keyring");

  private static List<String> client(String... args) {
    List<String> out = new java.util.ArrayList<>(CLIENT);
    out.addAll(List.of(args));
    return out;
  }

  @Test
  void everyCommandNamesThePoolsImageAsTheClient() {
    assertEquals(client("ls", "-l", "--format", "json", "volumes"), rbd.list());
    assertEquals(client("create", "--size", "1073741824B", "volumes/nimbus-volume-a"), rbd.create("nimbus-volume-a", 1L << 30));
    assertEquals(client("resize", "--no-progress", "--size", "2048B", "volumes/a"), rbd.resize("a", 2048));
    assertEquals(client("rm", "--no-progress", "volumes/a"), rbd.remove("a"));
    assertEquals(client("rename", "volumes/a", "volumes/b"), rbd.rename("a", "b"));
    assertEquals(client("cp", "--no-progress", "volumes/a@s", "volumes/b"), rbd.copy("a", Optional.of("s"), "b"));
    assertEquals(client("cp", "--no-progress", "volumes/a", "volumes/b"), rbd.copy("a", Optional.empty(), "b"));
    assertEquals(client("snap", "create", "--no-progress", "volumes/a@s"), rbd.snapshot("a", "s"));
    assertEquals(client("snap", "rm", "--no-progress", "volumes/a@s"), rbd.removeSnapshot("a", "s"));
    String qemu = "rbd:volumes/a:id=nimbus:conf=/etc/nimbus/ceph.conf:keyring=/etc/nimbus/nimbus.keyring";
    assertEquals(List.of("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", "/tmp/i", qemu),
        rbd.convertInto("qcow2", Path.of("/tmp/i"), "a"));
    assertEquals(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", qemu, "/tmp/o"),
        rbd.convertFrom("a", "qcow2", Path.of("/tmp/o")));
  }

  @Test
  void aNameThatCouldReachAnotherPoolImageOrOptionIsRefused() {
    for (String bad : List.of("volumes/x", "x@s", "x:conf=/etc/shadow", "-x", "", "x y")) {
      if (!bad.startsWith("-")) assertThrows(IllegalArgumentException.class, () -> rbd.remove(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> RbdCommands.id(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new RbdCommands(Path.of("/a:b/ceph.conf"), Path.of("/k"), "nimbus", "volumes"));
    assertThrows(IllegalArgumentException.class, () -> new RbdCommands(Path.of("/c"), Path.of("/k"), "nimbus:x", "volumes"));
    assertThrows(IllegalArgumentException.class, () -> new RbdCommands(Path.of("/c"), Path.of("/k"), "nimbus", "a/b"));
  }

  @Test
  void theListingAndTheMonitorsAreRead() {
    String listing = "2026 warning: something\n[{\"image\":\"nimbus-volume-a\",\"id\":\"1\",\"size\":1024,\"format\":2},"
        + "{\"image\":\"nimbus-volume-a\",\"snapshot\":\"nimbus-snapshot-s\",\"snapshot_id\":4,\"size\":1024}]";
    assertEquals(List.of(new RbdBackend.Entry("nimbus-volume-a", Optional.empty(), 1024),
        new RbdBackend.Entry("nimbus-volume-a", Optional.of("nimbus-snapshot-s"), 1024)), RbdBackend.entries(listing));
    assertEquals(List.of(), RbdBackend.entries("[]"));
    assertEquals(List.of(new RbdSource.Monitor("127.0.0.1", 7197)), RbdBackend.monitors("[global]\nmon host = v1:127.0.0.1:7197\n"));
    assertEquals(List.of(new RbdSource.Monitor("10.0.0.1", 6789), new RbdSource.Monitor("10.0.0.2", 6789)),
        RbdBackend.monitors("mon_host = [v2:10.0.0.1:3300,v1:10.0.0.1:6789] [v2:10.0.0.2:3300/0,v1:10.0.0.2:6789/0]"));
    assertEquals(List.of(new RbdSource.Monitor("10.0.0.1", 6789), new RbdSource.Monitor("fd00::2", 6790)),
        RbdBackend.monitors("mon host = 10.0.0.1, [fd00::2]:6790"));
    assertThrows(StorageException.class, () -> RbdBackend.monitors("[global]\nfsid = x\n"));
  }

  @Test
  void aClientsKeyIsReadFromItsOwnSectionOfTheKeyring() {
    String keyring = "[client.admin]\n\tkey = YWRtaW4=\n[client.nimbus]\n\tkey = bmltYnVz\n\tcaps mon = \"profile rbd\"\n";
    assertArrayEquals("nimbus".getBytes(StandardCharsets.US_ASCII), CephKeyring.key(keyring, "nimbus"));
    assertArrayEquals("admin".getBytes(StandardCharsets.US_ASCII), CephKeyring.key(keyring, "admin"));
    IllegalStateException none = assertThrows(IllegalStateException.class, () -> CephKeyring.key(keyring, "other"));
    assertTrue(none.getMessage().contains("client.other"));
    IllegalStateException bad = assertThrows(IllegalStateException.class, () -> CephKeyring.key("[client.x]\nkey = !!secret!!\n", "x"));
    assertTrue(!bad.getMessage().contains("secret"), "the message never holds the key: " + bad.getMessage());
  }
}
