package nimbus.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeBackendSettingsTest {

  private static VolumeBackendSettings load(String settings) {
    return VolumeBackendSettings.from(ConfigFactory.parseString(settings).withFallback(ConfigFactory.defaultReference())
        .getConfig("nimbus.host"));
  }

  @Test
  void thePoolBackendNeedsNoCephAndRbdNeedsItsFiles(@TempDir Path dir) throws Exception {
    VolumeBackendSettings none = load("");
    assertFalse(none.rbd());
    assertEquals(Optional.empty(), none.keyring());
    Path conf = Files.writeString(dir.resolve("ceph.conf"), "mon host = 127.0.0.1\n");
    Path keyring = Files.writeString(dir.resolve("nimbus.keyring"), "[client.nimbus]\nkey = a2V5\n");
    VolumeBackendSettings rbd = load("nimbus.host.storage-backend = rbd\nnimbus.host.ceph { conf = \"" + conf + "\", keyring = \""
        + keyring + "\", pool = images }");
    assertTrue(rbd.rbd());
    assertEquals(new VolumeBackendSettings("rbd", "nimbus-pool", Optional.of(conf), Optional.of(keyring), "nimbus", "images",
        "10809-11308"), rbd);
  }

  @Test
  void badVolumeBackendSettingsStopStartupWithOneClearLine(@TempDir Path dir) {
    for (String[] bad : new String[][] {
        {"nimbus.host.storage-backend = lvm", "nimbus.host.storage-backend: unknown storage backend 'lvm'"},
        {"nimbus.host.storage-backend = rbd", "nimbus.host.ceph.conf: storage-backend = rbd needs the cluster's conf"},
        {"nimbus.host.ceph.conf = \"/no/such/ceph.conf\"", "nimbus.host.ceph.conf: '/no/such/ceph.conf' is not a readable file"},
        {"nimbus.host.ceph.user = \"nimbus:x\"", "nimbus.host.ceph.user: 'nimbus:x' is not a Ceph name"},
        {"nimbus.host.ceph.pool = \"a/b\"", "nimbus.host.ceph.pool: 'a/b' is not a Ceph name"}}) {
      SettingsException e = assertThrows(SettingsException.class, () -> load(bad[0]), bad[0]);
      assertTrue(e.getMessage().startsWith(bad[1]), e.getMessage());
      assertTrue(e.getMessage().contains("; "), "names a fix: " + e.getMessage());
    }
  }
}
