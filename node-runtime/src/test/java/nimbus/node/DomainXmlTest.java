package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import nimbus.node.hypervisor.DomainSpec;
import nimbus.node.hypervisor.DomainXml;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/** The domain XML builder: well-formed, headless, booting what the spec says. */
class DomainXmlTest {

  private static String xpath(String xml, String expression) throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new InputSource(new StringReader(xml)));
    return XPathFactory.newInstance().newXPath().evaluate(expression, doc);
  }

  @Test
  void directKernelBootWithASerialConsoleFile() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-1", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a11", "qemu",
        2, 128, Optional.of(Path.of("/img/vmlinuz")), Optional.of(Path.of("/img/initrd.img")),
        "console=ttyS0", Optional.empty(), Path.of("/inst/1/console.log"),
        List.of(DomainSpec.Nic.local("nimbus0", "fa:16:3e:00:00:0a"))));
    assertEquals("qemu", xpath(xml, "/domain/@type"));
    assertEquals("128", xpath(xml, "/domain/memory"));
    assertEquals("MiB", xpath(xml, "/domain/memory/@unit"));
    assertEquals("2", xpath(xml, "/domain/vcpu"));
    assertEquals("pc", xpath(xml, "/domain/os/type/@machine"));
    assertEquals("1", xpath(xml, "count(/domain/features/acpi)"), "PCI hot-plug (volumes, NICs) needs ACPI");
    assertEquals("/img/vmlinuz", xpath(xml, "/domain/os/kernel"));
    assertEquals("/img/initrd.img", xpath(xml, "/domain/os/initrd"));
    assertEquals("pty", xpath(xml, "/domain/devices/serial/@type"));
    assertEquals("/inst/1/console.log", xpath(xml, "/domain/devices/serial/log/@file"), "through virtlogd, which rotates it");
    assertEquals("", xpath(xml, "/domain/devices/graphics"));
    assertEquals("", xpath(xml, "/domain/devices/disk"));
    assertEquals("nimbus0", xpath(xml, "/domain/devices/interface[@type='bridge']/source/@bridge"));
    assertEquals("virtio", xpath(xml, "/domain/devices/interface/model/@type"));
    assertEquals("fa:16:3e:00:00:0a", xpath(xml, "/domain/devices/interface/mac/@address"));
    assertEquals("", xpath(xml, "/domain/devices/interface/mtu"), "the host-local bridge's own MTU");
    assertEquals("", xpath(xml, "/domain/devices/interface/target"), "a tap named by libvirt");
  }

  @Test
  void eachTenantPortIsANicAtItsNetworksMtuWithItsTapNamed() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-2", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a12", "qemu",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.empty(), Path.of("/inst/2/console.log"), List.of(
            new DomainSpec.Nic("nbr-a1a1a1a1000", "fa:16:3e:00:00:01", Optional.of(1450), Optional.of("ntp-5e7c0f1a-2b")),
            new DomainSpec.Nic("nbr-b2b2b2b2000", "fa:16:3e:00:00:02", Optional.of(1500), Optional.of("ntp-6f8d1a2b-3c")))));
    assertEquals("2", xpath(xml, "count(/domain/devices/interface[@type='bridge'])"));
    assertEquals("nbr-a1a1a1a1000", xpath(xml, "/domain/devices/interface[1]/source/@bridge"));
    assertEquals("fa:16:3e:00:00:01", xpath(xml, "/domain/devices/interface[1]/mac/@address"));
    assertEquals("1450", xpath(xml, "/domain/devices/interface[1]/mtu/@size"));
    assertEquals("ntp-5e7c0f1a-2b", xpath(xml, "/domain/devices/interface[1]/target/@dev"));
    assertEquals("nbr-b2b2b2b2000", xpath(xml, "/domain/devices/interface[2]/source/@bridge"));
    assertEquals("1500", xpath(xml, "/domain/devices/interface[2]/mtu/@size"));
    assertEquals("ntp-6f8d1a2b-3c", xpath(xml, "/domain/devices/interface[2]/target/@dev"));
  }

  @Test
  void aRootDiskBootsFromTheDiskAndNamesAreEscaped() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-<&>", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a11", "test",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.of(Path.of("/inst/1/disk")),
        Path.of("/inst/1/console.log"), List.of()));
    assertEquals("nimbus-<&>", xpath(xml, "/domain/name"));
    assertEquals("hd", xpath(xml, "/domain/os/boot/@dev"));
    assertEquals("/inst/1/disk", xpath(xml, "/domain/devices/disk/source/@file"));
    assertEquals("vda", xpath(xml, "/domain/devices/disk/target/@dev"));
    assertFalse(xml.contains("machine="), "the test driver takes no machine type");
    assertTrue(xml.contains("<on_crash>destroy</on_crash>"));
    assertEquals("", xpath(xml, "/domain/devices/interface"));
  }

  @Test
  void aConfigDriveIsAReadOnlyCdromBesideTheRootDisk() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-3", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a13", "qemu",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.of(Path.of("/inst/3/disk")),
        Path.of("/inst/3/console.log"), List.of(), Optional.of(Path.of("/inst/3/disk.config")), List.of()));
    assertEquals("2", xpath(xml, "count(/domain/devices/disk)"));
    assertEquals("disk", xpath(xml, "/domain/devices/disk[1]/@device"), "the root disk stays the first, booted from");
    assertEquals("vda", xpath(xml, "/domain/devices/disk[1]/target/@dev"));
    assertEquals("cdrom", xpath(xml, "/domain/devices/disk[2]/@device"));
    assertEquals("/inst/3/disk.config", xpath(xml, "/domain/devices/disk[2]/source/@file"));
    assertEquals("raw", xpath(xml, "/domain/devices/disk[2]/driver/@type"), "an ISO is raw: QEMU never probes it");
    assertEquals("ide", xpath(xml, "/domain/devices/disk[2]/target/@bus"));
    assertEquals("1", xpath(xml, "count(/domain/devices/disk[2]/readonly)"));
    String without = DomainXml.of(new DomainSpec("nimbus-3", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a13", "qemu",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.of(Path.of("/inst/3/disk")),
        Path.of("/inst/3/console.log"), List.of()));
    assertEquals("0", xpath(without, "count(/domain/devices/disk[@device='cdrom'])"));
  }

  @Test
  void attachedVolumesAreDisksOfTheDefinitionAfterTheRootDisk() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-4", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a14", "qemu",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.of(Path.of("/inst/4/disk")),
        Path.of("/inst/4/console.log"), List.of(), Optional.empty(),
        List.of(new DomainSpec.Volume("/pool/nimbus-volume-v1", "/dev/vdb", "v1"),
            new DomainSpec.Volume("/pool/nimbus-volume-v2", "/dev/vdc", "v2"))));
    assertEquals("3", xpath(xml, "count(/domain/devices/disk)"));
    assertEquals("vda", xpath(xml, "/domain/devices/disk[1]/target/@dev"), "the root disk stays the first, booted from");
    assertEquals("/pool/nimbus-volume-v1", xpath(xml, "/domain/devices/disk[target/@dev='vdb']/source/@file"));
    assertEquals("v2", xpath(xml, "/domain/devices/disk[target/@dev='vdc']/serial"));
    assertTrue(DomainXml.hasDisk(xml, "/dev/vdb") && DomainXml.hasDisk(xml, "/dev/vdc"), xml);
  }

  @Test
  void aServerBootedFromAVolumeBootsTheVolumesFileAsItsFirstDiskAndHasNoRootDisk() throws Exception {
    String xml = DomainXml.of(new DomainSpec("nimbus-5", "0b6f5e4e-1c39-4c7c-9d0a-2f0e6f4c1a15", "qemu",
        1, 64, Optional.empty(), Optional.empty(), "", Optional.empty(),
        Path.of("/inst/5/console.log"), List.of(), Optional.of(Path.of("/inst/5/disk.config")),
        List.of(new DomainSpec.Volume("/pool/nimbus-volume-boot", "/dev/vda", "boot"),
            new DomainSpec.Volume("/pool/nimbus-volume-v2", "/dev/vdb", "v2"))));
    assertEquals("3", xpath(xml, "count(/domain/devices/disk)"), "the two volumes and the config drive, no root disk");
    assertEquals("/pool/nimbus-volume-boot", xpath(xml, "/domain/devices/disk[1]/source/@file"));
    assertEquals("vda", xpath(xml, "/domain/devices/disk[1]/target/@dev"));
    assertEquals("virtio", xpath(xml, "/domain/devices/disk[1]/target/@bus"));
    assertEquals("raw", xpath(xml, "/domain/devices/disk[1]/driver/@type"));
    assertEquals("1", xpath(xml, "/domain/devices/disk[1]/boot/@order"), "booted first");
    assertEquals("0", xpath(xml, "count(/domain/os/boot)"), "libvirt takes per-device boot order or os/boot, not both");
    assertEquals("1", xpath(xml, "count(/domain/devices/disk[target/@dev='vda'])"), "listed once");
    assertEquals("0", xpath(xml, "count(/domain/devices/disk[target/@dev='vdb']/boot)"));
  }

  @Test
  void aNicIsAddedToAndTakenOutOfADefinitionByItsMac() {
    String definition = "<domain>\n  <devices>\n    <interface type='bridge'>\n      <mac address='fa:16:3e:00:00:01'/>\n"
        + "    </interface>\n  </devices>\n</domain>\n";
    DomainSpec.Nic nic = new DomainSpec.Nic("nbr-x", "fa:16:3e:00:00:02", java.util.Optional.of(1450),
        java.util.Optional.of("ntp-x"));
    String with = DomainXml.withNic(definition, nic);
    assertTrue(DomainXml.hasNic(with, "fa:16:3e:00:00:02") && DomainXml.hasNic(with, "fa:16:3e:00:00:01"), with);
    assertEquals(with, DomainXml.withNic(with, nic), "idempotent");
    String without = DomainXml.withoutNic(with, "fa:16:3e:00:00:02");
    assertEquals(definition, without, "only that NIC goes");
  }

  @Test
  void aVolumeIsARawVirtioDiskWithItsIdAsSerialAddedAndRemovedAlone() {
    String disk = DomainXml.volumeDisk("/pool/nimbus-volume-v'1", "/dev/vdb", "v1");
    assertTrue(disk.contains("<source file='/pool/nimbus-volume-v&apos;1'/>"), disk);
    assertTrue(disk.contains("<target dev='vdb' bus='virtio'/>"), disk);
    assertTrue(disk.contains("<driver name='qemu' type='raw' cache='none'/>"), disk);
    assertTrue(disk.contains("<serial>v1</serial>"), disk);
    String definition = "<domain>\n  <devices>\n    <disk type='file' device='disk'>\n"
        + "      <source file='/i/disk'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n  </devices>\n</domain>\n";
    String with = DomainXml.withDisk(definition, "/dev/vdb", disk);
    assertTrue(DomainXml.hasDisk(with, "/dev/vdb") && DomainXml.hasDisk(with, "vda"), with);
    assertEquals(with, DomainXml.withDisk(with, "/dev/vdb", disk), "idempotent");
    assertTrue(DomainXml.diskOf(with, "/dev/vdb").contains("nimbus-volume"), with);
    assertEquals(definition, DomainXml.withoutDisk(with, "/dev/vdb"), "only that disk goes");
    assertEquals(definition, DomainXml.withoutDisk(definition, "/dev/vdc"));
  }

  @Test
  void aVolumeOnAnotherHostIsANetworkDiskOfItsNbdExportAndNothingElseIsTakenForOne() {
    String name = "0123456789abcdef0123456789abcdef";
    String disk = DomainXml.volumeDisk("nbd://10.252.0.11:41234/" + name, "/dev/vdc", "v2");
    assertEquals("    <disk type='network' device='disk'>\n"
        + "      <driver name='qemu' type='raw' cache='none'/>\n"
        + "      <source protocol='nbd' name='" + name + "'>\n"
        + "        <host name='10.252.0.11' port='41234'/>\n"
        + "      </source>\n"
        + "      <target dev='vdc' bus='virtio'/>\n"
        + "      <serial>v2</serial>\n"
        + "    </disk>\n", disk);
    String definition = "<domain>\n  <devices>\n  </devices>\n</domain>\n";
    String with = DomainXml.withDisk(definition, "/dev/vdc", disk);
    assertTrue(DomainXml.diskOf(with, "/dev/vdc").contains("protocol='nbd'"), with);
    assertEquals(definition, DomainXml.withoutDisk(with, "/dev/vdc"));
    // an answer that claims to be an export but is not exactly of its form opens nothing
    for (String bad : List.of("nbd://10.252.0.11:41234/" + name + "'/><source file='/etc/shadow",
        "nbd://evil.example:10809/" + name, "nbd+unix:///x?socket=/run/libvirt/libvirt-sock")) {
      assertThrows(IllegalArgumentException.class, () -> DomainXml.volumeDisk(bad, "/dev/vdc", "v2"), bad);
    }
  }

  @Test
  void aVolumeInCephIsAnRbdDiskWithTheSecretOfItsUserAndOnlyItsOwnImage() {
    String secret = DomainXml.cephSecretUuid("nimbus").toString();
    String disk = DomainXml.volumeDisk("rbd://nimbus@127.0.0.1:6789,[fd00::1]:3300/volumes/nimbus-volume-v3", "/dev/vdd", "v3");
    assertEquals("    <disk type='network' device='disk'>\n"
        + "      <driver name='qemu' type='raw' cache='none'/>\n"
        + "      <auth username='nimbus'>\n"
        + "        <secret type='ceph' uuid='" + secret + "'/>\n"
        + "      </auth>\n"
        + "      <source protocol='rbd' name='volumes/nimbus-volume-v3'>\n"
        + "        <host name='127.0.0.1' port='6789'/>\n"
        + "        <host name='fd00::1' port='3300'/>\n"
        + "      </source>\n"
        + "      <target dev='vdd' bus='virtio'/>\n"
        + "      <serial>v3</serial>\n"
        + "    </disk>\n", disk);
    assertEquals(secret, DomainXml.cephSecretUuid("nimbus").toString(), "the same secret on every host");
    assertFalse(secret.equals(DomainXml.cephSecretUuid("admin").toString()));
    // another volume's image, an image of no volume, a name to resolve, or a field smuggled into the name: refused
    for (String bad : List.of("rbd://nimbus@127.0.0.1:6789/volumes/nimbus-volume-v4",
        "rbd://nimbus@127.0.0.1:6789/volumes/someone-elses", "rbd://nimbus@ceph.example:6789/volumes/nimbus-volume-v3",
        "rbd://nimbus@127.0.0.1:6789/volumes/nimbus-volume-v3:conf=/etc/ceph/x.conf",
        "rbd://admin'/><source file='/etc/shadow@127.0.0.1:6789/volumes/nimbus-volume-v3")) {
      assertThrows(IllegalArgumentException.class, () -> DomainXml.volumeDisk(bad, "/dev/vdd", "v3"), bad);
    }
  }
}
