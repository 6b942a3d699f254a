package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import nimbus.config.ImageSeed;
import nimbus.config.NimbusSettings;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seed whose files are not on this machine is not registered where this machine is its real
 * host (every server from it would fail); elsewhere (the test hypervisor, a control node) it is.
 */
class SeedFilesTest {
  @TempDir
  Path data;

  private NimbusSettings settings(String uri, List<String> roles) {
    return TestConfig.allInOne(data, Map.of("nimbus.host.hypervisor-uri", uri, "nimbus.roles", roles));
  }

  @Test
  void aSeedWithoutItsFilesIsLeftOutOnlyWhereItWouldBoot() throws Exception {
    NimbusSettings real = settings("qemu:///system", List.of("control", "compute"));
    ImageSeed guest = real.images().get(0);
    assertEquals(data.resolve("guest/vmlinuz").toString(), guest.kernel());
    assertEquals(List.of(), Node.availableSeeds(real), "no data/guest: nothing to register");
    assertEquals(List.of(guest), Node.availableSeeds(settings("test:///default", List.of("control", "compute"))));
    assertEquals(List.of(guest), Node.availableSeeds(settings("qemu:///system", List.of("control"))),
        "a control node cannot see its hosts' files");

    Files.createDirectories(data.resolve("guest"));
    Files.writeString(data.resolve("guest/vmlinuz"), "kernel");
    assertEquals(List.of(Path.of(guest.ramdisk())), guest.missingFiles());
    Files.writeString(data.resolve("guest/initrd.img"), "ramdisk");
    assertEquals(List.of(guest), Node.availableSeeds(real));
  }
}
