package nimbus.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import nimbus.compute.BootSource;
import nimbus.compute.HostAgentCommand.SpawnServer;
import nimbus.compute.PowerState;
import nimbus.compute.Resources;
import nimbus.config.HostSettings;
import nimbus.node.agent.ScriptedCommands.Call;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.node.dataplane.RecordingDataplane;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.node.hypervisor.LibvirtHypervisor;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the agent does on the host for a server, with its commands scripted instead of run: the
 * exact qemu-img commands of a spawn, a resize and a disk export, and what each reports when a
 * command fails or runs too long. The domains are real, in a libvirt test driver of the test's
 * own.
 */
class ServerOperationsTest {
  private static final long GIB = 1L << 30;
  @TempDir
  Path dir;
  private final ScriptedCommands commands = new ScriptedCommands();
  private final String serverId = UUID.randomUUID().toString();
  private final String domain = ServerOperations.domainName(serverId);
  private Hypervisor hypervisor;
  private ServerOperations operations;
  private Path disk;

  @BeforeEach
  void host() throws IOException {
    Path driver = Files.writeString(dir.resolve("host.xml"), """
        <node>
          <cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
          <memory>8388608</memory>
        </node>
        """);
    HostSettings settings = new HostSettings("ops-host", "test://" + driver, "test", dir.resolve("instances"),
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, 1.0, 1.0, 10, "recording",
        "nimbus-ops0", "10.99.0.0/24", dir.resolve("dhcp"), "nova", Duration.ofDays(1), "192.0.2.10",
        java.util.Map.of());
    hypervisor = new LibvirtHypervisor(settings.hypervisorUri());
    // no image store: these servers boot from files on the host, and no step here reaches the store
    operations = new ServerOperations(hypervisor, settings, commands,
        new RecordingDataplane(new LocalNetwork(settings.bridge(), settings.cidr())),
        new ImageCache(dir.resolve("instances/_base"), null), null);
    disk = settings.instancesDir().resolve(serverId).resolve("disk");
  }

  @AfterEach
  void close() {
    hypervisor.close();
  }

  private SpawnServer server(int vcpus, int ramMb, int diskGb, Optional<Path> base, String diskFormat) {
    BootSource boot = new BootSource("image", base.map(Path::toString), Optional.of(diskFormat),
        Optional.empty(), Optional.empty());
    return new SpawnServer(serverId, "vm", new Resources(vcpus, ramMb, diskGb), boot, true, java.util.List.of(), true, null);
  }

  /** A running server whose overlay exists already, so that its spawn runs no command. */
  private void running(int diskGb) throws IOException {
    Files.createDirectories(disk.getParent());
    Files.createFile(disk);
    assertEquals(PowerState.RUNNING, operations.spawn(server(1, 128, diskGb, Optional.of(qcow2Base()), "qcow2")));
    assertEquals(List.of(), commands.calls(), "the overlay is there: nothing to make");
  }

  private Path qcow2Base() {
    return TestImages.qcow2(dir.resolve("base.qcow2"), "1M");
  }

  private String definition() {
    return hypervisor.definition(domain).orElseThrow();
  }

  private static Call qemuImgInfo(Path file) {
    return new Call(List.of("qemu-img", "info", "-U", "-f", "qcow2", "--output=json", file.toString()),
        Duration.ofSeconds(30));
  }

  @Test
  void aVolumesDiskIsAddedToTheDomainAtItsDeviceOnceAndTakenOutAgain() throws IOException {
    running(1);
    operations.attachVolume(serverId, "vol-1", "/pool/nimbus-volume-vol-1", "/dev/vdb");
    operations.attachVolume(serverId, "vol-1", "/pool/nimbus-volume-vol-1", "/dev/vdb");
    // the test driver cannot hot-plug: its running domain shows the new definition once stopped
    operations.stop(serverId);
    String with = definition();
    assertTrue(with.contains("<source file='/pool/nimbus-volume-vol-1'/>"), with);
    assertTrue(with.contains("<target dev='vdb' bus='virtio'/>"), with);
    assertEquals(1, with.split("<target dev='vdb'", -1).length - 1, "attached once: " + with);
    assertTrue(with.contains("<target dev='vda' bus='virtio'/>"), "the root disk stays: " + with);
    operations.detachVolume(serverId, "/dev/vdb");
    operations.detachVolume(serverId, "/dev/vdb");
    String without = definition();
    assertFalse(without.contains("nimbus-volume-vol-1"), without);
    assertTrue(without.contains("<target dev='vda' bus='virtio'/>"), without);
  }

  @Test
  void aSpawnMakesAnOverlayOverTheImageAndRunsTheDomainOnIt() throws Exception {
    Path base = qcow2Base();
    commands.thenAnswer("");

    assertEquals(PowerState.RUNNING, operations.spawn(server(1, 128, 1, Optional.of(base), "qcow2")));
    assertEquals(List.of(new Call(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.toString(),
        disk.toString(), "1G"), Duration.ofSeconds(60))), commands.calls());
    assertTrue(definition().contains("<source file='" + disk + "'/>"), definition());
    assertEquals(List.of(), Files.readAllLines(disk.resolveSibling("image-files")), "no store file is in use");
  }

  @Test
  void theImagesCommandLineReplacesTheDefaultKernelCommandLine() throws Exception {
    Path kernel = dir.resolve("vmlinuz"); // the test driver boots without the file
    BootSource plain = new BootSource("image", Optional.empty(), Optional.empty(), Optional.of(kernel.toString()),
        Optional.empty());
    assertEquals(PowerState.RUNNING, operations.spawn(
        new SpawnServer(serverId, "vm", new Resources(1, 128, 0), plain, true, java.util.List.of(), true, null)));
    assertTrue(definition().contains("<cmdline>console=ttyS0</cmdline>"), definition());
    hypervisor.remove(domain);

    BootSource told = new BootSource("image", Optional.empty(), Optional.empty(), Optional.of(kernel.toString()),
        Optional.empty(), Optional.of("console=ttyS0 nimbus.ping=10.0.0.2 <x>"));
    assertEquals(PowerState.RUNNING, operations.spawn(
        new SpawnServer(serverId, "vm", new Resources(1, 128, 0), told, true, java.util.List.of(), true, null)));
    assertTrue(definition().contains("<cmdline>console=ttyS0 nimbus.ping=10.0.0.2 &lt;x&gt;</cmdline>"), definition());
  }

  @Test
  void aRawImageWithoutADiskSizeGetsAnOverlayOfTheImagesOwnSize() throws Exception {
    Path base = Files.write(dir.resolve("base.raw"), new byte[65536]);
    commands.thenAnswer("");

    assertEquals(PowerState.RUNNING, operations.spawn(server(1, 128, 0, Optional.of(base), "raw")));
    assertEquals(List.of(new Call(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.toString(),
        disk.toString()), Duration.ofSeconds(60))), commands.calls());
  }

  @Test
  void aFailedOverlayFailsTheSpawnBeforeThereIsADomain() {
    commands.thenFail("Could not open backing file");

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> operations.spawn(server(1, 128, 1, Optional.of(qcow2Base()), "qcow2")));
    assertEquals("qemu-img create -q failed: Could not open backing file", e.getMessage());
    assertEquals(1, commands.calls().size());
    assertEquals(Optional.empty(), hypervisor.state(domain));
  }

  @Test
  void anOverlayThatTakesTooLongFailsTheSpawn() {
    commands.thenTimeOut();

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> operations.spawn(server(1, 128, 1, Optional.of(qcow2Base()), "qcow2")));
    assertEquals("qemu-img took longer than PT1M", e.getMessage());
    assertEquals(Optional.empty(), hypervisor.state(domain));
  }

  @Test
  void anImageTheHostCannotBootOrThatIsCraftedRunsNoCommand() throws Exception {
    IllegalStateException format = assertThrows(IllegalStateException.class,
        () -> operations.spawn(server(1, 128, 1, Optional.of(qcow2Base()), "vmdk")));
    assertEquals("Disk format vmdk is not bootable here; convert the image to qcow2 or raw", format.getMessage());

    Path secret = Files.writeString(dir.resolve("secret"), "the host's keys");
    Path crafted = TestImages.create(dir.resolve("leak.qcow2"), "1M", "-f", "qcow2", "-u", "-F", "raw",
        "-b", secret.toString());
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> operations.spawn(server(1, 128, 1, Optional.of(crafted), "qcow2")));
    assertEquals("Image refused on this host: qcow2 image has a backing file", refused.getMessage());

    assertEquals(List.of(), commands.calls(), "qemu-img never opened either file");
    assertEquals(Optional.empty(), hypervisor.state(domain));
  }

  @Test
  void aResizeGrowsTheDiskAndRedefinesTheDomain() throws Exception {
    running(1);
    commands.thenAnswer("{\"virtual-size\": " + GIB + ", \"format\": \"qcow2\"}").thenAnswer("");

    assertEquals(PowerState.RUNNING, operations.resize(server(2, 256, 2, Optional.of(qcow2Base()), "qcow2")));
    assertEquals(List.of(qemuImgInfo(disk), new Call(List.of("qemu-img", "resize", "-q", "-f", "qcow2", disk.toString(),
        String.valueOf(2 * GIB)), Duration.ofSeconds(60))), commands.calls());
    assertTrue(definition().contains(">2</vcpu>"), definition());
    assertTrue(definition().contains(">262144</memory>"), definition());
  }

  @Test
  void aResizedServerKeepsTheVolumesAttachedToIt() throws Exception {
    running(1);
    operations.attachVolume(serverId, "vol-1", "/pool/nimbus-volume-vol-1", "/dev/vdb");
    commands.thenAnswer("{\"virtual-size\": " + GIB + "}");
    SpawnServer resized = server(2, 256, 1, Optional.of(qcow2Base()), "qcow2");
    var volume = new nimbus.compute.ServerVolume("vol-1", "att-1", "/dev/vdb", Optional.of("/pool/nimbus-volume-vol-1"));
    assertEquals(PowerState.RUNNING, operations.resize(new SpawnServer(serverId, resized.name(), resized.resources(),
        resized.boot(), true, List.of(), true, null, List.of(volume))));
    operations.stop(serverId);
    String definition = definition();
    assertTrue(definition.contains(">2</vcpu>"), definition);
    assertTrue(definition.contains("<source file='/pool/nimbus-volume-vol-1'/>"), definition);
    assertTrue(definition.contains("<serial>vol-1</serial>"), definition);
  }

  @Test
  void aServerBootedFromAVolumeRunsFromTheVolumesFileWithNoDiskOfItsOwn() throws Exception {
    var volume = new nimbus.compute.ServerVolume("vol-boot", "att-1", "/dev/vda",
        Optional.of("/pool/nimbus-volume-vol-boot"), true);
    SpawnServer fromVolume = new SpawnServer(serverId, "vm", new Resources(1, 128, 1),
        BootSource.fromVolume(nimbus.compute.BootVolume.existing("vol-boot", true)), true, List.of(), true, null,
        List.of(volume));
    assertEquals(PowerState.RUNNING, operations.spawn(fromVolume));
    assertEquals(List.of(), commands.calls(), "no overlay to make: the volume is the disk");
    assertFalse(Files.exists(disk));
    String definition = definition();
    String boot = nimbus.node.hypervisor.DomainXml.diskOf(definition, "/dev/vda");
    assertTrue(boot.contains("<source file='/pool/nimbus-volume-vol-boot'/>"), definition);
    assertTrue(boot.contains("bus='virtio'") && boot.contains("<boot order='1'/>"), definition);
    assertFalse(definition.contains("<boot dev="), definition);
  }

  @Test
  void aResizeNeverShrinksTheDisk() throws Exception {
    running(2);
    commands.thenAnswer("{\"virtual-size\": " + 2 * GIB + "}");

    assertEquals(PowerState.RUNNING, operations.resize(server(1, 256, 1, Optional.of(qcow2Base()), "qcow2")));
    assertEquals(List.of(qemuImgInfo(disk)), commands.calls());
    assertTrue(definition().contains(">262144</memory>"), definition());
  }

  @Test
  void aResizeWhoseDiskCannotGrowLeavesTheServerOffAsItWas() throws Exception {
    running(1);
    commands.thenAnswer("{\"virtual-size\": " + GIB + "}").thenTimeOut();

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> operations.resize(server(2, 256, 2, Optional.of(qcow2Base()), "qcow2")));
    assertEquals("qemu-img took longer than PT1M", e.getMessage());
    assertEquals(2, commands.calls().size());
    assertEquals(Optional.of(PowerState.SHUTDOWN), hypervisor.state(domain));
    assertTrue(definition().contains(">1</vcpu>"), "the old size: " + definition());
  }

  @Test
  void aResizeStopsWhenQemuImgNamesNoVirtualSize() throws Exception {
    running(1);
    commands.thenAnswer("{}");

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> operations.resize(server(2, 256, 2, Optional.of(qcow2Base()), "qcow2")));
    assertEquals("qemu-img info gave no virtual size for " + disk, e.getMessage());
    assertEquals(List.of(qemuImgInfo(disk)), commands.calls(), "no resize without the size");
  }

  @Test
  void aServerWithoutADiskExportsNothing() throws Exception {
    assertEquals(PowerState.RUNNING, operations.spawn(server(1, 128, 0, Optional.empty(), "qcow2")));

    assertEquals(Optional.empty(), operations.exportDisk(serverId));
    assertEquals(List.of(), commands.calls());
    assertEquals(Optional.of(PowerState.SHUTDOWN), hypervisor.state(domain), "powered off for the move all the same");
  }

  @Test
  void aFailedExportLeavesNoPartialCopy() throws Exception {
    running(1);
    Path copy = disk.resolveSibling("moving-disk");
    commands.then(call -> {
      try {
        Files.writeString(copy, "half a disk"); // what a convert that dies half-way leaves
      } catch (IOException e) {
        throw new AssertionError(e);
      }
      throw ScriptedCommands.failed(call, "No space left on device");
    });

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> operations.exportDisk(serverId));
    assertEquals("qemu-img convert -U failed: No space left on device", e.getMessage());
    assertEquals(List.of(new Call(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "qcow2", disk.toString(),
        copy.toString()), Duration.ofMinutes(30))), commands.calls());
    assertFalse(Files.exists(copy), "the partial copy is gone");
    assertTrue(Files.exists(disk), "the disk itself stays");
    assertEquals(Optional.of(PowerState.SHUTDOWN), hypervisor.state(domain));
  }
}
