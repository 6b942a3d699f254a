package nimbus.node;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import nimbus.testing.TestConfig;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real guest: a server created through the HTTP API on {@code qemu:///system} (TCG) boots the
 * test guest, and its serial console, read through Nova's os-getConsoleOutput, says GUEST-READY.
 */
class RealGuestTest {
  private static Node node;
  private static Api api;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(TestGuest.realHost(), (n, a) -> {
    node = n;
    api = a;
  });

  /** Polls the volume's Cinder status until it is {@code status}. */
  private static void awaitVolume(String project, String volume, String status, Duration within) {
    Eventually.until(within, () -> api.get("/volume/v3/" + project + "/volumes/" + volume).body()
        .path("volume").path("status").asText().equals(status));
  }

  private static String console(String id) {
    return api.post("/compute/v2.1/servers/" + id + "/action", "{\"os-getConsoleOutput\": {\"length\": -1}}")
        .body().path("output").asText();
  }

  @Test
  void theGuestBootsAndItsConsoleIsReadThroughTheApi() throws Exception {
    String id = api.createServer("guest", "42");
    api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(60));
    Eventually.until(Duration.ofSeconds(90), () -> console(id).contains("GUEST-READY"));
    assertTrue(console(id).contains("GUEST-BOOTED"));
    // its NIC on the host-local network got its static lease from the host's dnsmasq
    String[] lease = Files.readString(node.settings().host().dhcpDir().resolve("nimbus0/hosts/" + id))
        .strip().split(",");
    assertTrue(console(id).contains("GUEST-IP " + lease[1] + "/24"), lease[1] + " in " + console(id));
    assertTrue(node.hypervisor().definition("nimbus-" + id).orElseThrow().contains("<mac address='" + lease[0] + "'/>"));
    String tail = api.post("/compute/v2.1/servers/" + id + "/action",
        "{\"os-getConsoleOutput\": {\"length\": 3}}").body().path("output").asText();
    assertTrue(tail.split("\n").length <= 3, tail);

    // destroyed behind Nimbus's back: the API shows SHUTOFF within a second
    Process virsh = new ProcessBuilder(List.of("virsh", "-c", "qemu:///system", "destroy", "nimbus-" + id))
        .redirectErrorStream(true).start();
    assertEquals(0, virsh.waitFor(), new String(virsh.getInputStream().readAllBytes()));
    api.awaitStatus(id, "SHUTOFF", Duration.ofSeconds(1));

    assertEquals(202, api.action(id, "{\"os-start\": null}"));
    api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(30));
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(Duration.ofSeconds(30), () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    assertFalse(virshNames().contains("nimbus-" + id));
  }

  /**
   * Typed into its shell through the console's pty: a volume attached to the running guest appears
   * as its next virtio disk, with the volume's id as serial (the 20 characters virtio keeps), what
   * the guest writes there is in the volume's file on the storage host, and a detached volume leaves
   * the guest. Then a guest that
   * writes to its console without end (3 MB) fills no disk: virtlogd rotates the log at its 2 MiB,
   * and the API still reads the newest output.
   */
  @Test
  void aGuestWritesToAnAttachedVolumeAndItsFloodedConsoleLogIsRotatedAtItsCap() throws Exception {
    String project = api.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String volume = api.post("/volume/v3/" + project + "/volumes", "{\"volume\": {\"size\": 1}}").body()
        .path("volume").path("id").asText();
    String id = api.createServer("chatty", "42");
    api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(60));
    Eventually.until(Duration.ofSeconds(90), () -> console(id).contains("GUEST-READY"));
    String definition = node.hypervisor().definition("nimbus-" + id).orElseThrow();
    awaitVolume(project, volume, "available", Duration.ofSeconds(30));
    Api.Reply attached = api.post("/compute/v2.1/servers/" + id + "/os-volume_attachments",
        "{\"volumeAttachment\": {\"volumeId\": \"" + volume + "\"}}");
    assertEquals(200, attached.status(), attached.raw());
    awaitVolume(project, volume, "in-use", Duration.ofSeconds(60));
    // found by its serial: the guest names its disks itself (this one boots from no disk: vda here)
    String serial = volume.substring(0, 20);
    TestGuest.typeInto(definition, "while ! grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done;"
        + " d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4); echo DISK-$((6*7))-$(cat /sys/block/$d/serial);"
        + " echo NIMBUS-VOLUME-DATA > /dev/$d; sync; echo WROTE-$((6*7))",
        Duration.ofSeconds(60), () -> console(id).contains("WROTE-42"));
    assertTrue(console(id).contains("DISK-42-" + serial), console(id));
    byte[] head = new byte[18];
    try (var file = Files.newInputStream(node.settings().dataDir().resolve("volumes/nimbus-volume-" + volume))) {
      assertEquals(head.length, file.readNBytes(head, 0, head.length));
    }
    assertEquals("NIMBUS-VOLUME-DATA", new String(head, US_ASCII));
    // detached: the guest lets the disk go (ACPI hot-unplug), and the volume is available again
    assertEquals(202, api.delete("/compute/v2.1/servers/" + id + "/os-volume_attachments/" + volume).status());
    TestGuest.typeInto(definition, "while grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done; echo GONE-$((6*7))",
        Duration.ofSeconds(60), () -> console(id).contains("GONE-42"));
    awaitVolume(project, volume, "available", Duration.ofSeconds(60));

    TestGuest.typeInto(definition,
        "yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c 3000000; echo FLOOD-$((6*7))",
        Duration.ofSeconds(120), () -> console(id).contains("FLOOD-42"));
    Path log = node.settings().host().instancesDir().resolve(id).resolve("console.log");
    assertTrue(Files.size(log) <= 2 * 1024 * 1024, "the log is capped: " + Files.size(log));
    assertTrue(Files.exists(log.resolveSibling("console.log.0")), "the older output was rotated out");
    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    assertEquals(202, api.delete("/volume/v3/" + project + "/volumes/" + volume).status());
  }

  /**
   * Cinder's extend of a volume in use (microversion 3.42, through the real CLI): the running
   * guest's virtio disk grows live (the storage host grew the file, then libvirt's block resize on
   * the guest's host), so the guest's kernel reads the new size in /sys/block, and the volume is
   * in use again with its new size.
   */
  @Test
  void aVolumeExtendedWhileAttachedGrowsInTheRunningGuest() throws Exception {
    OpenstackCli cli = new OpenstackCli(node, NODE.data()).cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin");
    String project = api.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
    String volume = api.post("/volume/v3/" + project + "/volumes", "{\"volume\": {\"size\": 1}}").body()
        .path("volume").path("id").asText();
    String id = api.createServer("growing", "42");
    api.awaitStatus(id, "ACTIVE", Duration.ofSeconds(60));
    Eventually.until(Duration.ofSeconds(90), () -> console(id).contains("GUEST-READY"));
    String definition = node.hypervisor().definition("nimbus-" + id).orElseThrow();
    awaitVolume(project, volume, "available", Duration.ofSeconds(30));
    Api.Reply attached = api.post("/compute/v2.1/servers/" + id + "/os-volume_attachments",
        "{\"volumeAttachment\": {\"volumeId\": \"" + volume + "\"}}");
    assertEquals(200, attached.status(), attached.raw());
    awaitVolume(project, volume, "in-use", Duration.ofSeconds(60));
    String serial = volume.substring(0, 20);
    String disk = " d=$(grep -ls " + serial + " /sys/block/vd*/serial | cut -d/ -f4);";
    TestGuest.typeInto(definition, "while ! grep -qs " + serial + " /sys/block/vd*/serial; do sleep 1; done;" + disk
        + " echo SECTORS-$((6*7))-$(cat /sys/block/$d/size)", Duration.ofSeconds(60),
        () -> console(id).contains("SECTORS-42-"));
    assertTrue(console(id).contains("SECTORS-42-2097152\n") || console(id).contains("SECTORS-42-2097152\r"),
        "1 GiB in 512-byte sectors: " + TestGuest.said(console(id)));

    // Cinder's CLI asks 3.42 for a volume in use; below it, Cinder's 400
    AssertionError refused = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> cli.run("admin", "volume", "set", "--size", "2", volume));
    assertTrue(refused.getMessage().contains("must be available"), refused.getMessage());
    cli.run("admin", "--os-volume-api-version", "3.42", "volume", "set", "--size", "2", volume);
    Eventually.until(Duration.ofSeconds(60), () -> {
      JsonNode v = api.get("/volume/v3/" + project + "/volumes/" + volume).body().path("volume");
      return v.path("status").asText().equals("in-use") && v.path("size").asInt() == 2;
    });
    assertEquals(2L << 30, Files.size(node.settings().dataDir().resolve("volumes/nimbus-volume-" + volume)),
        "the storage host grew the file");
    TestGuest.typeInto(definition, disk + " while [ $(cat /sys/block/$d/size) -lt 4194304 ]; do sleep 1; done;"
        + " echo GROWN-$((6*7))-$(cat /sys/block/$d/size)", Duration.ofSeconds(60),
        () -> console(id).contains("GROWN-42-"));
    assertTrue(console(id).contains("GROWN-42-4194304"), "2 GiB seen by the running guest: " + TestGuest.said(console(id)));
    assertTrue(node.hypervisor().definition("nimbus-" + id).orElseThrow().contains(serial), "still attached");

    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    awaitVolume(project, volume, "available", Duration.ofSeconds(60));
    assertEquals(202, api.delete("/volume/v3/" + project + "/volumes/" + volume).status());
  }

  /**
   * The image service's path end to end: the guest's kernel, ramdisk and a root disk are
   * uploaded with the CLI (the root image names the others as kernel_id and ramdisk_id), the
   * host fetches and caches them, and the guest that boots from them says GUEST-READY in the
   * console log the CLI shows. Then from volumes: a new volume the build makes from the image; that
   * volume, kept after its server, boots another server by itself (its kernel and ramdisk found
   * through its volume_image_metadata, as Nova finds them); and the volume uploaded into a new
   * image with the CLI gives an image with the same kernel_id and ramdisk_id, which boots.
   */
  @Test
  void aGuestBootsFromImagesUploadedWithTheCli() throws Exception {
    OpenstackCli cli = new OpenstackCli(node, NODE.data()).cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin");
    Path root = TestImages.qcow2(NODE.data().resolve("uploaded-root.qcow2"), "64M");
    String kernel = cli.json("admin", "image", "create", "--file", TestGuest.dir().resolve("vmlinuz").toString(),
        "--disk-format", "aki", "--container-format", "aki", "uploaded-kernel").path("id").asText();
    String ramdisk = cli.json("admin", "image", "create", "--file", TestGuest.dir().resolve("initrd.img").toString(),
        "--disk-format", "ari", "--container-format", "ari", "uploaded-ramdisk").path("id").asText();
    cli.json("admin", "image", "create", "--file", root.toString(), "--disk-format", "qcow2",
        "--container-format", "bare", "--property", "kernel_id=" + kernel, "--property", "ramdisk_id=" + ramdisk,
        "uploaded-guest");
    String id = cli.json("admin", "server", "create", "--image", "uploaded-guest", "--flavor", "m1.nano", "--wait",
        "from-uploads").path("id").asText();
    Eventually.until(Duration.ofSeconds(90), () -> cli.run("admin", "console", "log", "show", id).contains("GUEST-READY"));

    String sha512 = cli.json("admin", "image", "show", "uploaded-kernel").path("properties").path("os_hash_value").asText();
    assertTrue(Files.exists(node.settings().host().instancesDir().resolve("_base").resolve(sha512)),
        "the host cached the kernel under its hash");
    String domain = node.hypervisor().definition("nimbus-" + id).orElseThrow();
    assertTrue(domain.contains("_base/" + sha512), "the domain boots the cached kernel: " + domain);
    cli.run("admin", "server", "delete", "--wait", id);

    // booted from a new volume the build makes from the image: the image's kernel boots the guest, the volume is its first disk
    String fromVolume = cli.json("admin", "server", "create", "--image", "uploaded-guest", "--boot-from-volume", "1",
        "--flavor", "m1.nano", "--wait", "from-volume").path("id").asText();
    Eventually.until(Duration.ofSeconds(90), () -> cli.run("admin", "console", "log", "show", fromVolume)
        .contains("GUEST-READY"));
    JsonNode server = api.server(fromVolume);
    assertEquals("", server.path("image").asText("not a string"), server.toString());
    String volume = server.path("os-extended-volumes:volumes_attached").get(0).path("id").asText();
    assertEquals("in-use", cli.json("admin", "volume", "show", volume).path("status").asText());
    String booted = nimbus.node.hypervisor.DomainXml.diskOf(node.hypervisor().definition("nimbus-" + fromVolume)
        .orElseThrow(), "/dev/vda");
    assertTrue(booted.contains("nimbus-volume-" + volume), booted);
    cli.run("admin", "server", "delete", "--wait", fromVolume);
    JsonNode kept = cli.json("admin", "volume", "show", volume);
    assertEquals("available", kept.path("status").asText(),
        "the CLI's delete_on_termination is false: the volume survives its server");
    assertTrue(kept.path("volume_image_metadata").toString().contains(kernel), "it keeps the image's kernel_id: " + kept);

    // the kept volume boots another server: its kernel and ramdisk are found through its volume_image_metadata
    String again = cli.json("admin", "server", "create", "--volume", volume, "--flavor", "m1.nano", "--wait",
        "from-kept-volume").path("id").asText();
    Eventually.until(Duration.ofSeconds(90), () -> cli.run("admin", "console", "log", "show", again).contains("GUEST-READY"));
    String rebooted = nimbus.node.hypervisor.DomainXml.diskOf(node.hypervisor().definition("nimbus-" + again)
        .orElseThrow(), "/dev/vda");
    assertTrue(rebooted.contains("nimbus-volume-" + volume), rebooted);
    assertTrue(node.hypervisor().definition("nimbus-" + again).orElseThrow().contains("_base/" + sha512),
        "the volume's kernel_id boots it");
    cli.run("admin", "server", "delete", "--wait", again);
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("admin", "volume", "show", volume).path("status").asText()
        .equals("available"));

    // the volume uploaded into a new image with the CLI: the image gets the volume's kernel_id and ramdisk_id, and boots
    cli.json("admin", "image", "create", "--volume", volume, "--disk-format", "qcow2", "from-kept-volume-image");
    JsonNode image = Eventually.await(Duration.ofSeconds(60), () -> {
      JsonNode i = cli.json("admin", "image", "show", "from-kept-volume-image");
      return i.path("status").asText().equals("active") ? i : null;
    });
    assertTrue(image.path("properties").toString().contains("\"kernel_id\":\"" + kernel + "\"")
        && image.path("properties").toString().contains("\"ramdisk_id\":\"" + ramdisk + "\""), image.toString());
    String fromUpload = cli.json("admin", "server", "create", "--image", "from-kept-volume-image", "--flavor", "m1.nano",
        "--wait", "from-volume-image").path("id").asText();
    Eventually.until(Duration.ofSeconds(90), () -> cli.run("admin", "console", "log", "show", fromUpload)
        .contains("GUEST-READY"));
    cli.run("admin", "server", "delete", "--wait", fromUpload);
    cli.run("admin", "image", "delete", "from-kept-volume-image");
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("admin", "volume", "show", volume).path("status").asText()
        .equals("available"));
    cli.run("admin", "volume", "delete", volume);
  }

  static List<String> virshNames() throws Exception {
    Process p = new ProcessBuilder(List.of("virsh", "-c", "qemu:///system", "list", "--all", "--name"))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
