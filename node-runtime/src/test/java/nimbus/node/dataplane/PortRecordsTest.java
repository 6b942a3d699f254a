package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a host records of the ports plugged on it is what an agent that restarts reads back. */
class PortRecordsTest {
  private static final String NET_A = "3f2a9c1d-77b4-4e0a-9d21-5c6b7a8e9f00";
  private static final String NET_B = "b2b2b2b2-0000-4000-8000-00000000000b";

  @TempDir
  Path root;

  @Test
  void portsRecordedPerNetworkAreReadBackAndANetworkWithNoneLeavesNoRecord() throws Exception {
    PortRecords records = new PortRecords(root);
    TenantPort web = new TenantPort("srv-1", "c0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:00:00:01",
        Optional.of("10.1.0.5"), "web-1");
    TenantPort bare = new TenantPort("srv-2", "d0ffee12-3456-4789-abcd-ef0123456789", "fa:16:3e:00:00:02",
        Optional.empty(), "host-unnamed");
    records.write(NET_A, List.of(web, bare));
    records.write(NET_B, List.of(web));
    Files.createDirectories(root.resolve("not-a-network"));
    assertEquals(Map.of(NET_A, List.of(web, bare), NET_B, List.of(web)), new PortRecords(root).readAll());

    records.write(NET_B, List.of());
    assertFalse(Files.exists(root.resolve(NET_B).resolve(PortRecords.FILE)));
    assertEquals(Map.of(NET_A, List.of(web, bare)), new PortRecords(root).readAll());
  }
}
