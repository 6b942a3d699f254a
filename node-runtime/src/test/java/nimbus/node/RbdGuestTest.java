package nimbus.node;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.agent.ServerOperations;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.hypervisor.DomainXml;
import nimbus.node.hypervisor.LibvirtHypervisor;
import nimbus.node.storage.CephTestCluster;
import nimbus.node.storage.RbdBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real TCG guest ({@code NIMBUS_TEST_GUEST}) gets an RBD volume of a real one-node Ceph cluster
 * hot-plugged as the host agent plugs it ({@link ServerOperations#attachVolume} with the storage
 * host's answer: the client's key defined as a libvirt secret from the host's keyring), reads
 * the bytes the volume was made with and writes its own, which the cluster then holds.
 */
class RbdGuestTest {
  @TempDir
  Path dir;

  @Test
  void aGuestReadsAndWritesAnRbdVolumeHotPluggedThroughTheSecret() throws Exception {
    Path guest = TestGuest.dir();
    try (CephTestCluster cluster = CephTestCluster.start(dir);
        LibvirtHypervisor hypervisor = new LibvirtHypervisor("qemu:///system")) {
      RbdBackend backend = cluster.backend();
      String volume = UUID.randomUUID().toString();
      Path raw = dir.resolve("image.raw");
      Files.write(raw, java.util.Arrays.copyOf("NIMBUS-FROM-HOST".getBytes(US_ASCII), 1 << 20));
      backend.createFromImage(volume, raw, "raw", 16L << 20);

      String server = UUID.randomUUID().toString();
      String name = "nimbus-" + server;
      Path console = dir.resolve("console.log");
      hypervisor.define(name, DomainXml.of(new DomainSpec(name, server, "qemu", 1, 256, Optional.of(guest.resolve("vmlinuz")),
          Optional.of(guest.resolve("initrd.img")), "console=ttyS0", Optional.empty(), console, List.of())));
      try {
        hypervisor.start(name);
        Eventually.until(Duration.ofSeconds(90), () -> Files.exists(console) && Files.readString(console).contains("GUEST-READY"));
        // only the agent's path is used: the rest of a host's operations stays out of it
        ServerOperations operations = new ServerOperations(hypervisor, null, new ProcessRunner(), null, null, null,
            Optional.of(cluster.dir.resolve("nimbus.keyring")));
        operations.attachVolume(server, volume, backend.path(volume), "/dev/vdb");
        assertTrue(hypervisor.definition(name).orElseThrow().contains("protocol='rbd'"));
        String serial = volume.substring(0, 20);
        TestGuest.typeInto(hypervisor.definition(name).orElseThrow(),
            "while ! grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done;"
                + " d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4); echo READ-$(head -c 16 /dev/$d);"
                + " echo NIMBUS-FROM-GUEST > /dev/$d; sync; echo WROTE-$((6*7))",
            Duration.ofSeconds(60), () -> Files.readString(console).contains("WROTE-42"));
        assertTrue(Files.readString(console).contains("READ-NIMBUS-FROM-HOST"), TestGuest.said(Files.readString(console)));
      } finally {
        hypervisor.remove(name);
      }
      Path written = backend.exportImage(volume, "raw");
      try (var in = Files.newInputStream(written)) {
        assertEquals("NIMBUS-FROM-GUEST", new String(in.readNBytes(17), US_ASCII), "the guest's write is in the cluster");
      } finally {
        Files.deleteIfExists(written);
        new ProcessBuilder("virsh", "-c", "qemu:///system", "secret-undefine", DomainXml.cephSecretUuid("nimbus").toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start().waitFor();
      }
      backend.remove(volume);
    }
  }
}
