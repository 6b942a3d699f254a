package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code openstack} CLI against an all-in-one node: volume create, list, show, set and
 * delete; server add volume, server volume list and server remove volume; server create --volume
 * (boot from volume); volume snapshot create, list, show and delete, volumes created from a
 * snapshot, from a volume and from an image, an image created from a volume
 * ({@code image create --volume}), a volume retyped ({@code volume set --type --retype-policy}),
 * and volume backup create (of a volume or a snapshot), show, list, restore, delete and record
 * export.
 */
class VolumeCliTest {
  private static OpenstackCli cli;
  private static java.nio.file.Path dataDir;

  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    a.createUserInProject("cli-vol-user", "pw-vol", "cli-vol", "member");
    dataDir = n.settings().dataDir();
    cli = new OpenstackCli(n, n.settings().dataDir()).cloud("user", "cli-vol-user", "pw-vol", "cli-vol")
        .cloud("admin", "admin", TestConfig.ADMIN_PASSWORD, "admin");
  });

  private static String status(String name) throws Exception {
    return cli.json("user", "volume", "show", name).path("status").asText();
  }

  @Test
  void theCliCreatesListsShowsRenamesAndDeletesAVolume() throws Exception {
    JsonNode created = cli.json("user", "volume", "create", "--size", "1", "v");
    assertEquals("v", created.path("name").asText());
    assertEquals(1, created.path("size").asInt());
    String id = created.path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("v").equals("available"));
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "list").findValuesAsText("ID").contains(id));
    cli.run("user", "volume", "set", "--name", "v2", "--description", "renamed", "v");
    JsonNode shown = cli.json("user", "volume", "show", "v2");
    assertEquals(id, shown.path("id").asText());
    assertEquals("renamed", shown.path("description").asText());
    cli.run("user", "volume", "delete", "v2");
    Eventually.until(Duration.ofSeconds(30), () -> !cli.json("user", "volume", "list").findValuesAsText("ID").contains(id));
    assertFalse(cli.run("user", "volume", "list").contains("v2"));
  }

  @Test
  void theCliManagesAVolumeTypeWithPropertiesAndAVolumeOfItIsMadeOnItsBackend() throws Exception {
    JsonNode created = cli.json("admin", "volume", "type", "create", "--property", "volume_backend_name=nimbus-pool",
        "--description", "on the pool", "cli-type");
    assertEquals("cli-type", created.path("name").asText(), created.toString());
    assertTrue(cli.run("admin", "volume", "type", "list").contains("cli-type"));
    assertTrue(cli.run("user", "volume", "type", "list").contains("cli-type"), "a public type is every project's");
    cli.run("admin", "volume", "type", "set", "--property", "color=blue", "cli-type");
    JsonNode shown = cli.json("admin", "volume", "type", "show", "cli-type");
    assertTrue(shown.path("properties").toString().contains("volume_backend_name")
        && shown.path("properties").toString().contains("blue"), shown.toString());
    cli.run("admin", "volume", "type", "unset", "--property", "color", "cli-type");
    assertFalse(cli.json("admin", "volume", "type", "show", "cli-type").path("properties").toString().contains("blue"));
    assertThrows(AssertionError.class, () -> cli.run("user", "volume", "type", "create", "not-mine"));

    JsonNode volume = cli.json("user", "volume", "create", "--size", "1", "--type", "cli-type", "cli-typed");
    assertEquals("cli-type", volume.path("type").asText(), volume.toString());
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-typed").equals("available"));
    // a retype to the other type, on the same backend (the CLI's os-retype)
    cli.run("admin", "volume", "type", "create", "--property", "volume_backend_name=nimbus-pool", "cli-type-2");
    cli.run("user", "volume", "set", "--type", "cli-type-2", "--retype-policy", "on-demand", "cli-typed");
    Eventually.until(Duration.ofSeconds(30), () -> {
      JsonNode retyped = cli.json("user", "volume", "show", "cli-typed");
      return retyped.path("type").asText().equals("cli-type-2") && retyped.path("status").asText().equals("available");
    });
    cli.run("user", "volume", "delete", "cli-typed");
    Eventually.until(Duration.ofSeconds(30), () -> !cli.run("user", "volume", "list").contains("cli-typed"));
    for (String type : List.of("cli-type-2", "cli-type")) {
      Eventually.until(Duration.ofSeconds(30), () -> {
        try {
          cli.run("admin", "volume", "type", "delete", type);
          return true;
        } catch (AssertionError stillInUse) {
          return false;
        }
      });
    }
    assertFalse(cli.run("admin", "volume", "type", "list").contains("cli-type"));
  }

  @Test
  void theCliAddsAVolumeToAServerListsItAndRemovesIt() throws Exception {
    String volumeId = cli.json("user", "volume", "create", "--size", "1", "cli-att-vol").path("id").asText();
    String serverId = cli.json("user", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--wait", "cli-att-srv").path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-att-vol").equals("available"));
    cli.run("user", "server", "add", "volume", "cli-att-srv", "cli-att-vol");
    JsonNode shown = cli.json("user", "volume", "show", "cli-att-vol");
    assertEquals("in-use", shown.path("status").asText(), shown.toString());
    assertTrue(shown.path("attachments").toString().contains(serverId), shown.toString());
    JsonNode listed = cli.json("user", "server", "volume", "list", "cli-att-srv");
    assertEquals(volumeId, listed.get(0).path("Volume ID").asText(), listed.toString());
    assertEquals("/dev/vdb", listed.get(0).path("Device").asText(), listed.toString());
    cli.run("user", "server", "remove", "volume", "cli-att-srv", "cli-att-vol");
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-att-vol").equals("available"));

    // Cinder's attachments API (3.27, complete 3.44): a record for whoever connects the disk, Cinder's alone
    JsonNode created = cli.json("user", "--os-volume-api-version", "3.44", "volume", "attachment", "create", "--connect",
        "--host", "cli-host", "--mountpoint", "/dev/vdc", "cli-att-vol", "cli-att-srv");
    String attachmentId = created.path("ID").asText();
    assertEquals(List.of("attaching", serverId, volumeId), List.of(created.path("Status").asText(),
        created.path("Instance ID").asText(), created.path("Volume ID").asText()), created.toString());
    JsonNode attachments = cli.json("user", "--os-volume-api-version", "3.44", "volume", "attachment", "list");
    assertTrue(attachments.toString().contains(attachmentId), attachments.toString());
    cli.run("user", "--os-volume-api-version", "3.44", "volume", "attachment", "set", "--host", "cli-host-2",
        "--mountpoint", "/dev/vdd", attachmentId);
    cli.run("user", "--os-volume-api-version", "3.44", "volume", "attachment", "complete", attachmentId);
    JsonNode attachment = cli.json("user", "--os-volume-api-version", "3.44", "volume", "attachment", "show",
        attachmentId);
    assertEquals("attached", attachment.path("Status").asText(), attachment.toString());
    assertEquals("in-use", status("cli-att-vol"));
    cli.run("user", "--os-volume-api-version", "3.44", "volume", "attachment", "delete", attachmentId);
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-att-vol").equals("available"));
    cli.run("user", "server", "delete", "--wait", "cli-att-srv");

    // booted from the volume: its first disk, kept when the server goes (the CLI's delete_on_termination is false)
    cli.json("user", "server", "create", "--flavor", "m1.nano", "--volume", "cli-att-vol", "--wait", "cli-bfv-srv");
    JsonNode boot = cli.json("user", "server", "volume", "list", "cli-bfv-srv");
    assertEquals(volumeId, boot.get(0).path("Volume ID").asText(), boot.toString());
    assertEquals("/dev/vda", boot.get(0).path("Device").asText(), boot.toString());
    assertEquals("in-use", status("cli-att-vol"));
    cli.run("user", "server", "delete", "--wait", "cli-bfv-srv");
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-att-vol").equals("available"));
    cli.run("user", "volume", "delete", "cli-att-vol");
  }

  /**
   * {@code volume set --size} of an attached volume: the CLI itself refuses it below 3.42, and at
   * 3.42 Nimbus takes it. This node's test driver pool cannot resize, so the extend ends in
   * {@code error_extending} with the volume still attached (RealGuestTest grows a real guest's disk
   * with the same command).
   */
  @Test
  void theCliExtendsAnAttachedVolumeFromMicroversion342() throws Exception {
    cli.json("user", "volume", "create", "--size", "1", "cli-ext-vol");
    String serverId = cli.json("user", "server", "create", "--flavor", "m1.nano", "--image", Api.TEST_IMAGE,
        "--wait", "cli-ext-srv").path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-ext-vol").equals("available"));
    cli.run("user", "server", "add", "volume", "cli-ext-srv", "cli-ext-vol");
    assertEquals("in-use", status("cli-ext-vol"));
    AssertionError refused = assertThrows(AssertionError.class,
        () -> cli.run("user", "volume", "set", "--size", "2", "cli-ext-vol"));
    assertTrue(refused.getMessage().contains("it must be available before size can be extended"), refused.getMessage());
    cli.run("user", "--os-volume-api-version", "3.42", "volume", "set", "--size", "2", "cli-ext-vol");
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-ext-vol").equals("error_extending"));
    JsonNode shown = cli.json("user", "volume", "show", "cli-ext-vol");
    assertEquals(1, shown.path("size").asInt(), shown.toString());
    assertTrue(shown.path("attachments").toString().contains(serverId), shown.toString());
    cli.run("user", "server", "delete", "--wait", "cli-ext-srv");
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-ext-vol").equals("available"));
    cli.run("user", "volume", "delete", "cli-ext-vol");
  }

  @Test
  void theCliSnapshotsAVolumeMakesAVolumeFromItAndTheVolumeWaitsForItsSnapshot() throws Exception {
    String volumeId = cli.json("user", "volume", "create", "--size", "1", "cli-snap-src").path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-snap-src").equals("available"));
    JsonNode snapshot = cli.json("user", "volume", "snapshot", "create", "--volume", "cli-snap-src", "cli-snap");
    assertEquals(volumeId, snapshot.path("volume_id").asText(), snapshot.toString());
    String snapshotId = snapshot.path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "snapshot", "show", "cli-snap")
        .path("status").asText().equals("available"));
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "snapshot", "list")
        .findValuesAsText("ID").contains(snapshotId));
    JsonNode copy = cli.json("user", "volume", "create", "--snapshot", "cli-snap", "--size", "2", "cli-snap-copy");
    assertEquals(snapshotId, copy.path("snapshot_id").asText(), copy.toString());
    String copyId = copy.path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-snap-copy").equals("available"));
    assertEquals(2, cli.json("user", "volume", "show", "cli-snap-copy").path("size").asInt());
    JsonNode clone = cli.json("user", "volume", "create", "--source", "cli-snap-copy", "cli-snap-clone");
    assertEquals(copyId, clone.path("source_volid").asText(), clone.toString());
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-snap-clone").equals("available"));
    cli.run("user", "volume", "delete", "cli-snap-clone");
    // a backup of the copy, restored into a new volume
    JsonNode backup = cli.json("user", "volume", "backup", "create", "--name", "cli-bak", "cli-snap-copy");
    String backupId = backup.path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "backup", "show", backupId)
        .path("status").asText().equals("available"));
    assertTrue(cli.json("user", "volume", "backup", "list").findValuesAsText("ID").contains(backupId));
    // this openstackclient sends the restore, then fails to print Cinder's answer (its own bug: it
    // unpacks the answer as a table); the restore is done all the same
    AssertionError printing = assertThrows(AssertionError.class,
        () -> cli.run("user", "volume", "backup", "restore", backupId, "cli-bak-vol"));
    assertTrue(printing.getMessage().contains("cannot unpack non-iterable VolumeBackupsRestore"), printing.getMessage());
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-bak-vol").equals("available"));
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "backup", "show", backupId)
        .path("status").asText().equals("available"));
    cli.run("user", "volume", "backup", "delete", backupId);
    Eventually.until(Duration.ofSeconds(30), () -> !cli.json("user", "volume", "backup", "list")
        .findValuesAsText("ID").contains(backupId));
    cli.run("user", "volume", "delete", "cli-bak-vol");
    // a backup of the snapshot, whose record the admin exports
    String ofSnapshot = cli.json("user", "volume", "backup", "create", "--snapshot", "cli-snap", "--name", "cli-snap-bak",
        "cli-snap-src").path("id").asText();
    Eventually.until(Duration.ofSeconds(30), () -> cli.json("user", "volume", "backup", "show", ofSnapshot)
        .path("status").asText().equals("available"));
    assertEquals(snapshotId, cli.json("user", "volume", "backup", "show", ofSnapshot).path("snapshot_id").asText());
    String record = cli.json("admin", "volume", "backup", "record", "export", ofSnapshot).toString();
    assertTrue(record.contains("cinder.backup.drivers"), record);
    cli.run("user", "volume", "backup", "delete", ofSnapshot);
    Eventually.until(Duration.ofSeconds(30), () -> !cli.json("user", "volume", "backup", "list")
        .findValuesAsText("ID").contains(ofSnapshot));
    AssertionError refused = assertThrows(AssertionError.class, () -> cli.run("user", "volume", "delete", "cli-snap-src"));
    assertTrue(refused.getMessage().contains("snapshots"), refused.getMessage());
    cli.run("user", "volume", "snapshot", "delete", "cli-snap");
    Eventually.until(Duration.ofSeconds(30), () -> !cli.json("user", "volume", "snapshot", "list")
        .findValuesAsText("ID").contains(snapshotId));
    cli.run("user", "volume", "delete", "cli-snap-src", "cli-snap-copy");
    Eventually.until(Duration.ofSeconds(30), () -> {
      var listed = cli.json("user", "volume", "list").findValuesAsText("ID");
      return !listed.contains(volumeId) && !listed.contains(copyId);
    });
  }

  @Test
  void theCliMakesABootableVolumeFromAnImage() throws Exception {
    java.nio.file.Path file = TestImages.qcow2(dataDir.resolve("cli-vol-image.qcow2"), "16M");
    String imageId = cli.json("user", "image", "create", "--disk-format", "qcow2", "--container-format", "bare",
        "--file", file.toString(), "cli-vol-image").path("id").asText();
    JsonNode created = cli.json("user", "volume", "create", "--image", "cli-vol-image", "--size", "1", "cli-img-vol");
    assertEquals("cli-img-vol", created.path("name").asText(), created.toString());
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-img-vol").equals("available"));
    JsonNode shown = cli.json("user", "volume", "show", "cli-img-vol");
    assertEquals("true", shown.path("bootable").asText(), shown.toString());
    assertTrue(shown.path("volume_image_metadata").toString().contains(imageId), shown.toString());
    JsonNode upload = cli.json("user", "image", "create", "--volume", "cli-img-vol", "--disk-format", "qcow2",
        "cli-vol-upload");
    assertEquals("cli-vol-upload", upload.path("image_name").asText(), upload.toString());
    String uploaded = upload.path("image_id").asText();
    Eventually.until(Duration.ofSeconds(30),
        () -> cli.json("user", "image", "show", uploaded).path("status").asText().equals("active"));
    Eventually.until(Duration.ofSeconds(30), () -> status("cli-img-vol").equals("available"));
    assertEquals("qcow2", cli.json("user", "image", "show", uploaded).path("disk_format").asText());
    cli.run("user", "volume", "delete", "cli-img-vol");
    Eventually.until(Duration.ofSeconds(30), () -> !cli.run("user", "volume", "list").contains("cli-img-vol"));
  }
}
