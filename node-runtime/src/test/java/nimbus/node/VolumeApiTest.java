package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.nio.file.Path;
import nimbus.edge.Json;
import nimbus.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cinder's v3 API over real HTTP on an all-in-one node (libvirt's test driver holds the files):
 * a volume's life from create to delete, lists, paging and filters, extend, types, limits and quota
 * sets, snapshots and volumes from them, from volumes or from images, and the attacks: another project's volume or snapshot,
 * bad sizes, a path of another project, a quota passed, another project's private image, a crafted image.
 */
class VolumeApiTest {
  private static Api admin;
  private static Node node;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> {
    node = n;
    admin = a;
  });
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir
  static Path files;

  private record Tenant(Api api, String projectId) {
    String path(String rest) {
      return "/volume/v3/" + projectId + rest;
    }
  }

  private static Tenant newProject() {
    String name = "vol-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createUserInProject(name, "secret-" + name, name, "member");
    String id = admin.get("/identity/v3/projects?name=" + name).body().path("projects").get(0).path("id").asText();
    return new Tenant(admin.as(name, "secret-" + name, name), id);
  }

  private static String create(Tenant t, String body) {
    Api.Reply r = t.api().post(t.path("/volumes"), body);
    assertEquals(202, r.status(), r.raw());
    assertEquals("creating", r.body().path("volume").path("status").asText(), r.raw());
    assertTrue(!r.body().path("volume").has("os-vol-tenant-attr:tenant_id") && r.body().path("volume").has("user_id"),
        "Cinder's create answer: " + r.raw());
    return r.body().path("volume").path("id").asText();
  }

  private static JsonNode awaitStatus(Tenant t, String id, String status) {
    return Eventually.await(WAIT, () -> {
      JsonNode v = t.api().get(t.path("/volumes/" + id)).body().path("volume");
      return v.path("status").asText().equals(status) ? v : null;
    });
  }

  private static void assertFault(Api.Reply r, int status, String name) {
    assertEquals(status, r.status(), r.raw());
    assertEquals(status, r.body().path(name).path("code").asInt(), "Cinder's error format: " + r.raw());
    assertTrue(!r.body().path(name).path("message").asText().isEmpty(), r.raw());
  }

  @Test
  void aVolumeIsCreatedShownListedRenamedExtendedAndDeleted() {
    Tenant t = newProject();
    String id = create(t, """
        {"volume": {"size": 1, "name": "v1", "description": "d", "metadata": {"k": "v"}, "availability_zone": "nova"}}""");
    JsonNode v = awaitStatus(t, id, "available");
    assertEquals("v1", v.path("name").asText());
    assertEquals(1, v.path("size").asInt());
    assertEquals("v", v.path("metadata").path("k").asText());
    assertEquals("__DEFAULT__", v.path("volume_type").asText());
    JsonNode listed = Eventually.await(WAIT, () -> {
      JsonNode vs = t.api().get(t.path("/volumes")).body().path("volumes");
      return vs.size() == 1 ? vs : null;
    });
    assertEquals(id, listed.get(0).path("id").asText());
    // a volume in the detailed list is the volume shown, field by field (tempest compares them whole)
    JsonNode shown = t.api().get(t.path("/volumes/" + id)).body().path("volume");
    Eventually.until(WAIT, () -> {
      JsonNode detailed = t.api().get(t.path("/volumes/detail")).body().path("volumes").get(0);
      if (detailed.equals(shown)) return true;
      throw new AssertionError("listed " + detailed + "\nshown  " + shown);
    });
    Api.Reply renamed = t.api().send("PUT", t.path("/volumes/" + id), "{\"volume\": {\"name\": \"v2\"}}");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals("v2", renamed.body().path("volume").path("name").asText());
    assertEquals("d", renamed.body().path("volume").path("description").asText());
    assertFault(t.api().post(t.path("/volumes/" + id + "/action"), "{\"os-extend\": {\"new_size\": 1}}"), 400, "badRequest");
    assertEquals(202, t.api().post(t.path("/volumes/" + id + "/action"), "{\"os-extend\": {\"new_size\": 2}}").status());
    // the test driver cannot resize: the extend fails as a backend would, and the quota gives the gigabyte back
    awaitStatus(t, id, "error_extending");
    Eventually.until(WAIT, () -> t.api().get(t.path("/limits")).body().path("limits").path("absolute")
        .path("totalGigabytesUsed").asInt() == 1);
    assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes/" + id)).status() == 404);
    assertFault(t.api().get(t.path("/volumes/" + id)), 404, "itemNotFound");
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes")).body().path("volumes").isEmpty());
    assertEquals(0, t.api().get(t.path("/limits")).body().path("limits").path("absolute").path("totalVolumesUsed").asInt());
  }

  private static JsonNode awaitBackup(Tenant t, String id, String status) {
    return Eventually.await(WAIT, () -> {
      JsonNode b = t.api().get(t.path("/backups/" + id)).body().path("backup");
      return b.path("status").asText().equals(status) ? b : null;
    });
  }

  private static String backup(Tenant t, String body) {
    Api.Reply r = t.api().post(t.path("/backups"), body);
    assertEquals(202, r.status(), r.raw());
    assertTrue(r.body().path("backup").has("links") && r.body().path("backup").has("name"), r.raw());
    return r.body().path("backup").path("id").asText();
  }

  @Test
  void aVolumeIsBackedUpIncrementallyRestoredAndItsBackupsAreDeletedDependentsFirst() {
    Tenant t = newProject();
    Tenant other = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1, \"name\": \"source\", \"metadata\": {\"k\": \"v\"}}}");
    awaitStatus(t, volume, "available");
    assertFault(t.api().post(t.path("/backups"), "{\"backup\": {\"volume_id\": \"" + volume + "\", \"incremental\": true}}"),
        400, "badRequest");
    assertFault(other.api().post(other.path("/backups"), "{\"backup\": {\"volume_id\": \"" + volume + "\"}}"), 404,
        "itemNotFound");
    assertFault(t.api().post(t.path("/backups"), "{\"backup\": {}}"), 400, "badRequest");
    assertFault(t.api().post(t.path("/backups"), "{\"backup\": {\"volume_id\": \"" + volume + "\", \"incremental\": \"x\"}}"),
        400, "badRequest");
    String full = backup(t, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"name\": \"full\", \"container\": \"c\"}}");
    JsonNode shown = awaitBackup(t, full, "available");
    assertEquals("c", shown.path("container").asText());
    Api.Reply renamed = t.api().send("PUT", t.path("/backups/" + full), "{\"backup\": {\"description\": \"all of it\"}}");
    assertEquals(200, renamed.status(), renamed.raw());
    assertEquals("full", renamed.body().path("backup").path("name").asText());
    shown = t.api().get(t.path("/backups/" + full)).body().path("backup");
    assertEquals("all of it", shown.path("description").asText());
    assertEquals(volume, shown.path("volume_id").asText());
    assertEquals(1, shown.path("size").asInt());
    assertEquals(false, shown.path("is_incremental").asBoolean());
    assertEquals(0, shown.path("object_count").asInt(), "a volume of zeros is stored as nothing");
    awaitStatus(t, volume, "available");
    String incremental = backup(t, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"incremental\": true}}");
    assertTrue(awaitBackup(t, incremental, "available").path("is_incremental").asBoolean());
    assertTrue(t.api().get(t.path("/backups/" + full)).body().path("backup").path("has_dependent_backups").asBoolean());
    assertFault(t.api().delete(t.path("/backups/" + full)), 400, "badRequest");
    Eventually.until(WAIT, () -> t.api().get(t.path("/backups/detail")).body().path("backups").size() == 2
        && t.api().get(t.path("/backups")).body().path("backups").size() == 2);
    assertTrue(other.api().get(other.path("/backups")).body().path("backups").isEmpty());
    JsonNode limits = t.api().get(t.path("/limits")).body().path("limits").path("absolute");
    assertEquals(2, limits.path("totalBackupsUsed").asInt(), limits.toString());
    assertEquals(2, limits.path("totalBackupGigabytesUsed").asInt(), limits.toString());
    assertEquals(10, t.api().get(t.path("/os-quota-sets/" + t.projectId())).body().path("quota_set").path("backups").asInt());

    // another project's backup: not found, whatever is asked of it
    assertFault(other.api().get(other.path("/backups/" + full)), 404, "itemNotFound");
    assertFault(other.api().delete(other.path("/backups/" + incremental)), 404, "itemNotFound");
    assertFault(other.api().post(other.path("/backups/" + full + "/restore"), "{\"restore\": {}}"), 404, "itemNotFound");
    String theirs = create(other, "{\"volume\": {\"size\": 1}}");
    awaitStatus(other, theirs, "available");
    assertFault(t.api().post(t.path("/backups/" + full + "/restore"), "{\"restore\": {\"volume_id\": \"" + theirs + "\"}}"),
        404, "itemNotFound");
    assertFault(t.api().post(t.path("/backups/" + full + "/action"), "{\"os-reset_status\": {\"status\": \"error\"}}"),
        403, "forbidden");

    Api.Reply restored = t.api().post(t.path("/backups/" + incremental + "/restore"), "{\"restore\": {\"name\": \"back\"}}");
    assertEquals(202, restored.status(), restored.raw());
    assertEquals(incremental, restored.body().path("restore").path("backup_id").asText());
    String into = restored.body().path("restore").path("volume_id").asText();
    JsonNode intoShown = awaitStatus(t, into, "available");
    assertEquals("back", intoShown.path("name").asText());
    assertEquals("v", intoShown.path("metadata").path("k").asText(), "the backed-up volume's metadata comes back");
    awaitBackup(t, incremental, "available");
    Api.Reply again = t.api().post(t.path("/backups/" + full + "/restore"), "{\"restore\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, again.status(), again.raw());
    assertEquals("source", again.body().path("restore").path("volume_name").asText());
    awaitStatus(t, volume, "available");
    awaitBackup(t, full, "available");

    assertEquals(202, admin.post("/volume/v3/" + t.projectId() + "/backups/" + full + "/action",
        "{\"os-reset_status\": {\"status\": \"error\"}}").status());
    assertEquals("error", awaitBackup(t, full, "error").path("status").asText());
    assertEquals(202, t.api().delete(t.path("/backups/" + incremental)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/backups/" + incremental)).status() == 404);
    assertEquals(202, t.api().delete(t.path("/backups/" + full)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/backups/" + full)).status() == 404);
    Eventually.until(WAIT, () -> t.api().get(t.path("/limits")).body().path("limits").path("absolute")
        .path("totalBackupsUsed").asInt() == 0);
    assertEquals(202, t.api().delete(t.path("/volumes/" + volume)).status(), "no backup holds the volume any more");
  }

  private static String record(ObjectNode r) {
    return java.util.Base64.getEncoder().encodeToString(r.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static Api.Reply importRecord(Api api, String project, String service, String url) {
    return api.post("/volume/v3/" + project + "/backups/import_record", "{\"backup-record\": {\"backup_service\": \""
        + service + "\", \"backup_url\": \"" + url + "\"}}");
  }

  @Test
  void anAdminExportsABackupsRecordAndImportsItAsAnotherBackupAndAHostileRecordIsRefused() throws Exception {
    Tenant t = newProject();
    Tenant adm = new Tenant(admin, adminProject());
    String volume = create(t, "{\"volume\": {\"size\": 1, \"metadata\": {\"k\": \"v\"}}}");
    awaitStatus(t, volume, "available");
    String full = backup(t, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"name\": \"full\"}}");
    awaitBackup(t, full, "available");
    // Cinder's policy: export and import are the admin's
    assertFault(t.api().get(t.path("/backups/" + full + "/export_record")), 403, "forbidden");
    assertFault(importRecord(t.api(), t.projectId(), "cinder.backup.drivers.nimbus_chunks", "e30="), 403, "forbidden");
    // the admin sees the tenant's backup from its own project, and exports its record
    assertEquals(200, admin.get(adm.path("/backups/" + full)).status());
    Api.Reply exported = admin.get(adm.path("/backups/" + full + "/export_record"));
    assertEquals(200, exported.status(), exported.raw());
    String service = exported.body().path("backup-record").path("backup_service").asText();
    assertTrue(service.startsWith("cinder.backup.drivers"), exported.raw());
    var r = (ObjectNode) Json.MAPPER.readTree(java.util.Base64.getDecoder()
        .decode(exported.body().path("backup-record").path("backup_url").asText()));
    assertEquals(full, r.path("id").asText());
    assertEquals(256, r.path("chunks").size(), "a 1 GB volume's 4 MiB chunks");

    // imported under another id: the admin's project's backup, on the same chunks
    String copy = UUID.randomUUID().toString();
    Api.Reply imported = importRecord(admin, adm.projectId(), service, record(r.deepCopy().put("id", copy)));
    assertEquals(201, imported.status(), imported.raw());
    assertEquals(copy, imported.body().path("backup").path("id").asText());
    JsonNode shown = awaitBackup(adm, copy, "available");
    assertEquals("full", shown.path("name").asText());
    assertFault(t.api().get(t.path("/backups/" + copy)), 404, "itemNotFound");
    assertEquals(409, importRecord(admin, adm.projectId(), service, record(r.deepCopy().put("id", copy))).status(),
        "an id that is taken");
    Api.Reply restored = admin.post(adm.path("/backups/" + copy + "/restore"), "{\"restore\": {}}");
    assertEquals(202, restored.status(), restored.raw());
    String into = restored.body().path("restore").path("volume_id").asText();
    assertEquals("v", awaitStatus(adm, into, "available").path("metadata").path("k").asText());

    // hostile records: never a path, a chunk the host does not hold, another host's name, a size out of shape
    String traversal = "../../../../etc/passwd";
    var hostile = new ArrayList<ObjectNode>();
    var badChunk = r.deepCopy().put("id", UUID.randomUUID().toString());
    ((ArrayNode) badChunk.path("chunks")).set(0, TextNode.valueOf(traversal));
    hostile.add(badChunk);
    hostile.add(r.deepCopy().put("id", UUID.randomUUID().toString()).put("host", "../../backups"));
    hostile.add(r.deepCopy().put("id", UUID.randomUUID().toString()).put("size", 2));
    hostile.add(r.deepCopy().put("id", UUID.randomUUID().toString()).put("size", 0));
    hostile.add(r.deepCopy().put("id", "../" + UUID.randomUUID()));
    hostile.add(r.deepCopy().put("id", UUID.randomUUID().toString()).put("volume_id", "x"));
    for (var h : hostile) {
      assertFault(importRecord(admin, adm.projectId(), service, record(h)), 400, "badRequest");
    }
    assertFault(importRecord(admin, adm.projectId(), "cinder.backup.drivers.swift", record(r)), 400, "badRequest");
    assertFault(importRecord(admin, adm.projectId(), service, "%%%not base64"), 400, "badRequest");
    // well-formed, but the chunk it names is not in the host's store, or the host is no host of this cloud
    String absentId = UUID.randomUUID().toString();
    var absent = r.deepCopy().put("id", absentId);
    ((ArrayNode) absent.path("chunks")).set(0, TextNode.valueOf("ab".repeat(64)));
    assertFault(importRecord(admin, adm.projectId(), service, record(absent)), 400, "badRequest");
    String nowhereId = UUID.randomUUID().toString();
    assertFault(importRecord(admin, adm.projectId(), service, record(r.deepCopy().put("id", nowhereId)
        .put("host", "no-such-host"))), 400, "badRequest");
    for (String gone : List.of(absentId, nowhereId)) {
      Eventually.until(WAIT, () -> admin.get(adm.path("/backups/" + gone)).status() == 404);
    }

    // both deleted: the second removes the chunks the first left (the restore ends the backup's
    // restoring a moment after its volume's, and a restoring backup is not deleted)
    awaitBackup(adm, copy, "available");
    assertEquals(202, admin.delete(adm.path("/backups/" + copy)).status());
    Eventually.until(WAIT, () -> admin.get(adm.path("/backups/" + copy)).status() == 404);
    assertEquals("available", t.api().get(t.path("/backups/" + full)).body().path("backup").path("status").asText());
    assertEquals(202, t.api().delete(t.path("/backups/" + full)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/backups/" + full)).status() == 404);
    Eventually.until(WAIT, () -> admin.get(adm.path("/limits")).body().path("limits").path("absolute")
        .path("totalBackupsUsed").asInt() == 0);
  }

  @Test
  void aSnapshotOfTheVolumeIsBackedUpWithCindersChecks() {
    Tenant t = newProject();
    Tenant other = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    String second = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    awaitStatus(t, second, "available");
    Api.Reply snap = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, snap.status(), snap.raw());
    String snapshot = snap.body().path("snapshot").path("id").asText();
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + snapshot)).body().path("snapshot").path("status")
        .asText().equals("available"));
    // Cinder's checks: the snapshot of that volume, the caller's own
    assertFault(t.api().post(t.path("/backups"), "{\"backup\": {\"volume_id\": \"" + second + "\", \"snapshot_id\": \""
        + snapshot + "\"}}"), 400, "badRequest");
    String theirs = create(other, "{\"volume\": {\"size\": 1}}");
    awaitStatus(other, theirs, "available");
    assertFault(other.api().post(other.path("/backups"), "{\"backup\": {\"volume_id\": \"" + theirs
        + "\", \"snapshot_id\": \"" + snapshot + "\"}}"), 404, "itemNotFound");
    String b = backup(t, "{\"backup\": {\"volume_id\": \"" + volume + "\", \"snapshot_id\": \"" + snapshot + "\"}}");
    JsonNode shown = awaitBackup(t, b, "available");
    assertEquals(snapshot, shown.path("snapshot_id").asText(), shown.toString());
    assertEquals(volume, shown.path("volume_id").asText());
    assertEquals("available", awaitStatus(t, volume, "available").path("status").asText());
    assertEquals(202, t.api().delete(t.path("/backups/" + b)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/backups/" + b)).status() == 404);
  }

  @Test
  void anotherProjectsVolumeIsNotFoundAndItsPathIsNotAnotherProjects() {
    Tenant owner = newProject();
    Tenant other = newProject();
    String id = create(owner, "{\"volume\": {\"size\": 1}}");
    awaitStatus(owner, id, "available");
    assertFault(other.api().get(other.path("/volumes/" + id)), 404, "itemNotFound");
    assertFault(other.api().delete(other.path("/volumes/" + id)), 404, "itemNotFound");
    assertFault(other.api().send("PUT", other.path("/volumes/" + id), "{\"volume\": {\"name\": \"x\"}}"), 404, "itemNotFound");
    assertFault(other.api().post(other.path("/volumes/" + id + "/action"), "{\"os-extend\": {\"new_size\": 5}}"), 404,
        "itemNotFound");
    assertFault(other.api().get(owner.path("/volumes")), 404, "itemNotFound");
    assertTrue(other.api().get(other.path("/volumes?all_tenants=1")).body().path("volumes").isEmpty(),
        "all_tenants is for admins only");
    Eventually.until(WAIT, () -> admin.get("/volume/v3/" + other.projectId() + "/volumes?all_tenants=1").body()
        .path("volumes").toString().contains(id));
    assertFault(other.api().get(other.path("/os-quota-sets/" + owner.projectId())), 403, "forbidden");
    assertEquals(202, owner.api().delete(owner.path("/volumes/" + id)).status());
  }

  /** A user with only {@code role} on {@code t}'s project, as an API client of it. */
  private static Api withRole(Tenant t, String role) {
    String user = role + "-" + UUID.randomUUID().toString().substring(0, 8);
    String userId = admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + user + "\", \"password\": \"pw-"
        + user + "\", \"default_project_id\": \"" + t.projectId() + "\"}}").body().path("user").path("id").asText();
    String roleId = admin.get("/identity/v3/roles?name=" + role).body().path("roles").get(0).path("id").asText();
    assertEquals(204, admin.put("/identity/v3/projects/" + t.projectId() + "/users/" + userId + "/roles/" + roleId).status());
    String project = admin.get("/identity/v3/projects/" + t.projectId()).body().path("project").path("name").asText();
    return admin.as(user, "pw-" + user, project);
  }

  @Test
  void theCloudAdminActsOnAnyProjectsVolumeAtItsOwnPathCountedInTheVolumesProjectAndNoOneElseDoes() {
    Tenant owner = newProject();
    Tenant other = newProject();
    Tenant adm = new Tenant(admin, adminProject());
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String gold = "gold-" + suffix;
    createType("{\"volume_type\": {\"name\": \"" + gold + "\"}}");
    String volume = create(owner, "{\"volume\": {\"size\": 1, \"name\": \"owned\"}}");
    awaitStatus(owner, volume, "available");
    String atAdmin = adm.path("/volumes/" + volume);

    // the admin reads it at its own project's path, with Cinder's admin attributes; its owner without them
    JsonNode shown = admin.get(atAdmin).body().path("volume");
    assertEquals(owner.projectId(), shown.path("os-vol-tenant-attr:tenant_id").asText(), shown.toString());
    assertTrue(shown.path("os-vol-host-attr:host").asText().matches(".+@.+#.+"), "tempest's pattern: " + shown);
    assertTrue(shown.has("os-vol-mig-status-attr:migstat") && shown.path("os-vol-mig-status-attr:migstat").isNull(),
        shown.toString());
    assertTrue(shown.has("os-vol-mig-status-attr:name_id") && shown.path("os-vol-mig-status-attr:name_id").isNull(),
        shown.toString());
    JsonNode own = owner.api().get(owner.path("/volumes/" + volume)).body().path("volume");
    assertEquals(owner.projectId(), own.path("os-vol-tenant-attr:tenant_id").asText(), own.toString());
    for (String adminOnly : List.of("os-vol-host-attr:host", "os-vol-mig-status-attr:migstat",
        "os-vol-mig-status-attr:name_id")) {
      assertTrue(!own.has(adminOnly), adminOnly + " is the admins': " + own);
    }
    Eventually.until(WAIT, () -> {
      JsonNode all = admin.get(adm.path("/volumes/detail?all_tenants=1&name=owned")).body().path("volumes");
      return all.toString().contains(volume) && all.get(0).has("os-vol-host-attr:host");
    });
    assertTrue(admin.get(adm.path("/volumes")).body().path("volumes").toString().indexOf(volume) < 0,
        "without all_tenants an admin lists its own project's");

    // its actions there count in the volume's project: a retype moves the owner's per-type quota
    assertEquals(200, admin.post(atAdmin + "/metadata", "{\"metadata\": {\"by\": \"admin\"}}").status());
    assertEquals(202, admin.post(atAdmin + "/action", "{\"os-retype\": {\"new_type\": \"" + gold + "\"}}").status());
    assertEquals(gold, awaitStatus(owner, volume, "available").path("volume_type").asText());
    JsonNode usage = admin.get(adm.path("/os-quota-sets/" + owner.projectId() + "?usage=True")).body().path("quota_set");
    assertEquals(1, usage.path("volumes_" + gold).path("in_use").asInt(), usage.toString());
    JsonNode adminUsage = admin.get(adm.path("/os-quota-sets/" + adm.projectId() + "?usage=True")).body()
        .path("quota_set");
    assertEquals(0, adminUsage.path("volumes_" + gold).path("in_use").asInt(), adminUsage.toString());
    // a snapshot the admin takes of it is the volume's project's, in its quota, and the owner's to see
    Api.Reply snap = admin.post(adm.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}");
    assertEquals(202, snap.status(), snap.raw());
    String snapshot = snap.body().path("snapshot").path("id").asText();
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/snapshots/" + snapshot)).body().path("snapshot")
        .path("status").asText().equals("available"));
    assertEquals(1, owner.api().get(owner.path("/limits")).body().path("limits").path("absolute")
        .path("totalSnapshotsUsed").asInt());
    assertEquals(200, admin.get(adm.path("/snapshots/" + snapshot)).status());

    // no one else reaches either: another project's member, its reader, its own admin, at their path or the owner's
    Api reader = withRole(other, "reader");
    Api projectAdmin = withRole(other, "admin");
    for (Api stranger : List.of(other.api(), reader, projectAdmin)) {
      String theirs = other.path("/volumes/" + volume);
      assertFault(stranger.get(theirs), 404, "itemNotFound");
      assertFault(stranger.get(other.path("/snapshots/" + snapshot)), 404, "itemNotFound");
      assertFault(stranger.get(theirs + "/metadata"), 404, "itemNotFound");
      assertFault(stranger.get(owner.path("/volumes/" + volume)), 404, "itemNotFound");
      assertTrue(!stranger.get(other.path("/volumes/detail?all_tenants=1")).body().toString().contains(volume));
      assertTrue(!stranger.get(other.path("/snapshots?all_tenants=1")).body().toString().contains(snapshot));
    }
    assertFault(other.api().post(other.path("/volumes/" + volume + "/action"), "{\"os-extend\": {\"new_size\": 2}}"),
        404, "itemNotFound");
    assertFault(other.api().send("PUT", other.path("/volumes/" + volume), "{\"volume\": {\"name\": \"x\"}}"), 404,
        "itemNotFound");
    assertFault(other.api().post(other.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}"),
        404, "itemNotFound");
    assertFault(other.api().delete(other.path("/snapshots/" + snapshot)), 404, "itemNotFound");
    // a project's admin is not the cloud's: the admins' actions are refused before any volume is read
    for (String adminAction : List.of("{\"os-reset_status\": {\"status\": \"error\"}}", "{\"os-force_delete\": {}}",
        "{\"os-force_detach\": {}}")) {
      assertFault(projectAdmin.post(other.path("/volumes/" + volume + "/action"), adminAction), 403, "forbidden");
      assertFault(projectAdmin.post(owner.path("/volumes/" + volume + "/action"), adminAction), 404, "itemNotFound");
    }
    assertEquals("owned", owner.api().get(owner.path("/volumes/" + volume)).body().path("volume").path("name").asText());

    // an attachment the owner declared, ended by the admin's os-force_detach (the named one only)
    String ownerActions = owner.path("/volumes/" + volume + "/action");
    assertEquals(202, owner.api().post(ownerActions, "{\"os-attach\": {\"instance_uuid\": \"" + UUID.randomUUID()
        + "\", \"mountpoint\": \"/dev/vdc\"}}").status());
    String attachment = awaitStatus(owner, volume, "in-use").path("attachments").get(0).path("attachment_id").asText();
    assertEquals(202, admin.post(atAdmin + "/action", "{\"os-reset_status\": {\"status\": \"error\"}}").status());
    assertFault(admin.post(atAdmin + "/action", "{\"os-force_detach\": {\"attachment_id\": \"" + UUID.randomUUID()
        + "\", \"connector\": null}}"), 404, "itemNotFound");
    assertFault(admin.post(atAdmin + "/action", "{\"os-force_detach\": {\"attachment_id\": \"" + attachment
        + "\", \"extra\": 1}}"), 400, "badRequest");
    assertEquals(202, admin.post(atAdmin + "/action", "{\"os-force_detach\": {\"attachment_id\": \"" + attachment
        + "\", \"connector\": null}}").status());
    assertTrue(awaitStatus(owner, volume, "available").path("attachments").isEmpty());
    assertEquals(202, owner.api().post(ownerActions, "{\"os-detach\": {}}").status(), "Cinder's no-op once detached");

    // the admin's own: a snapshot deleted, a status reset and a forced delete, all at its path
    assertEquals(202, admin.delete(adm.path("/snapshots/" + snapshot)).status());
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/snapshots/" + snapshot)).status() == 404);
    assertEquals(202, admin.post(atAdmin + "/action", "{\"os-reset_status\": {\"status\": \"error\"}}").status());
    awaitStatus(owner, volume, "error");
    assertEquals(202, admin.post(atAdmin + "/action", "{\"os-force_delete\": {}}").status());
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/volumes/" + volume)).status() == 404);
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/limits")).body().path("limits").path("absolute")
        .path("totalVolumesUsed").asInt() == 0);
  }

  @Test
  void badSizesAreRefusedWith400() {
    Tenant t = newProject();
    for (String size : List.of("0", "-1", "1.5", "\"abc\"", "99999999999", "null", "true", "[]")) {
      assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": " + size + "}}"), 400, "badRequest");
    }
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"name\": \"no size\"}}"), 400, "badRequest");
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1, \"availability_zone\": \"mars\"}}"), 400,
        "badRequest");
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1, \"volume_type\": \"gold\"}}"), 404,
        "itemNotFound");
    assertFault(t.api().post(t.path("/volumes"), "not json"), 400, "badRequest");
    assertTrue(t.api().get(t.path("/volumes")).body().path("volumes").isEmpty());
  }

  @Test
  void aCreateOverTheQuotaIsRefusedWith413AndAnAdminSetsTheQuota() {
    Tenant t = newProject();
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1001}}"), 413, "overLimit");
    Api.Reply set = admin.send("PUT", "/volume/v3/" + t.projectId() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"volumes\": 2, \"gigabytes\": 3}}");
    assertEquals(200, set.status(), set.raw());
    assertFault(t.api().send("PUT", t.path("/os-quota-sets/" + t.projectId()), "{\"quota_set\": {\"volumes\": 99}}"),
        403, "forbidden");
    String a = create(t, "{\"volume\": {\"size\": 2}}");
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 2}}"), 413, "overLimit");
    String b = create(t, "{\"volume\": {\"size\": 1}}");
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1}}"), 413, "overLimit");
    JsonNode usage = t.api().get(t.path("/os-quota-sets/" + t.projectId() + "?usage=True")).body().path("quota_set");
    assertEquals(2, usage.path("volumes").path("in_use").asInt());
    assertEquals(3, usage.path("gigabytes").path("limit").asInt());
    for (String id : List.of(a, b)) {
      awaitStatus(t, id, "available");
      assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
    }
  }

  private static JsonNode createType(String body) {
    Api.Reply r = admin.post("/volume/v3/" + adminProject() + "/types", body);
    assertEquals(200, r.status(), r.raw());
    return r.body().path("volume_type");
  }

  private static String adminProject() {
    return admin.get("/identity/v3/projects?name=admin").body().path("projects").get(0).path("id").asText();
  }

  @Test
  void anAdminManagesTypesAndTheirExtraSpecsAMemberCannotAndAPrivateTypeIsOnlyItsProjects() {
    Tenant t = newProject();
    Tenant other = newProject();
    String name = "gold-" + UUID.randomUUID().toString().substring(0, 6);
    JsonNode gold = createType("{\"volume_type\": {\"name\": \"" + name + "\", \"description\": \"fast\","
        + " \"extra_specs\": {\"volume_backend_name\": \"nimbus-pool\", \"multiattach\": \"<is> False\"}}}");
    assertEquals("nimbus-pool", gold.path("extra_specs").path("volume_backend_name").asText(), gold.toString());
    assertTrue(gold.path("os-volume-type-access:is_public").asBoolean() && !gold.has("qos_specs_id"), gold.toString());
    String id = gold.path("id").asText();
    assertFault(admin.post("/volume/v3/" + adminProject() + "/types", "{\"volume_type\": {\"name\": \"" + name + "\"}}"),
        409, "conflictingRequest");
    // members: they list and read it, with only the extra specs Cinder shows users, and change nothing
    JsonNode seen = t.api().get(t.path("/types/" + id)).body().path("volume_type");
    assertEquals(name, seen.path("name").asText(), seen.toString());
    assertEquals("{\"multiattach\":\"<is> False\"}", seen.path("extra_specs").toString());
    assertTrue(t.api().get(t.path("/types")).body().toString().contains(id));
    assertFault(t.api().post(t.path("/types"), "{\"volume_type\": {\"name\": \"mine\"}}"), 403, "forbidden");
    assertFault(t.api().send("PUT", t.path("/types/" + id), "{\"volume_type\": {\"name\": \"x\"}}"), 403, "forbidden");
    assertFault(t.api().delete(t.path("/types/" + id)), 403, "forbidden");
    assertFault(t.api().post(t.path("/types/" + id + "/extra_specs"), "{\"extra_specs\": {\"a\": \"b\"}}"), 403,
        "forbidden");
    assertFault(t.api().delete(t.path("/types/" + id + "/extra_specs/multiattach")), 403, "forbidden");
    // the admin's extra specs: set, one read, one replaced, one removed
    String specs = "/volume/v3/" + adminProject() + "/types/" + id + "/extra_specs";
    assertEquals(200, admin.post(specs, "{\"extra_specs\": {\"k\": \"v\"}}").status());
    assertEquals("{\"k\":\"v\"}", admin.get(specs + "/k").body().toString());
    assertEquals(200, admin.send("PUT", specs + "/k", "{\"k\": \"w\"}").status());
    assertFault(admin.send("PUT", specs + "/k", "{\"other\": \"w\"}"), 400, "badRequest");
    assertEquals(202, admin.delete(specs + "/k").status());
    assertFault(admin.get(specs + "/k"), 404, "itemNotFound");
    assertEquals(2, admin.get(specs).body().path("extra_specs").size());
    Api.Reply renamed = admin.send("PUT", "/volume/v3/" + adminProject() + "/types/" + id,
        "{\"volume_type\": {\"description\": \"faster\"}}");
    assertEquals("faster", renamed.body().path("volume_type").path("description").asText(), renamed.raw());
    // a private type: only the projects given access see it or make volumes of it
    JsonNode secret = createType("{\"volume_type\": {\"name\": \"secret-" + name + "\","
        + " \"os-volume-type-access:is_public\": false}}");
    String secretId = secret.path("id").asText();
    String action = "/volume/v3/" + adminProject() + "/types/" + secretId + "/action";
    assertEquals(202, admin.post(action, "{\"addProjectAccess\": {\"project\": \"" + t.projectId() + "\"}}").status());
    assertEquals(t.projectId(), admin.get("/volume/v3/" + adminProject() + "/types/" + secretId + "/os-volume-type-access")
        .body().path("volume_type_access").get(0).path("project_id").asText());
    assertEquals(200, t.api().get(t.path("/types/" + secretId)).status());
    assertFault(other.api().get(other.path("/types/" + secretId)), 404, "itemNotFound");
    assertTrue(!other.api().get(other.path("/types")).body().toString().contains(secretId));
    assertTrue(admin.get("/volume/v3/" + adminProject() + "/types?is_public=None").body().toString().contains(secretId));
    assertFault(other.api().post(other.path("/volumes"), "{\"volume\": {\"size\": 1, \"volume_type\": \"" + secretId
        + "\"}}"), 404, "itemNotFound");
    assertFault(other.api().post(other.path("/types/" + secretId + "/action"),
        "{\"addProjectAccess\": {\"project\": \"" + other.projectId() + "\"}}"), 403, "forbidden");
    // a volume of the type: shown by the type's name; the type is then neither deleted nor changed
    String v = create(t, "{\"volume\": {\"size\": 1, \"volume_type\": \"" + id + "\"}}");
    assertEquals(name, awaitStatus(t, v, "available").path("volume_type").asText());
    assertFault(admin.delete("/volume/v3/" + adminProject() + "/types/" + id), 400, "badRequest");
    assertFault(admin.post(specs, "{\"extra_specs\": {\"k\": \"v\"}}"), 400, "badRequest");
    assertFault(admin.delete("/volume/v3/" + adminProject() + "/types/" + nimbus.storage.VolumeType.DEFAULT_ID), 400, "badRequest");
    assertEquals(202, t.api().delete(t.path("/volumes/" + v)).status());
    Eventually.until(WAIT, () -> admin.delete("/volume/v3/" + adminProject() + "/types/" + id).status() == 202);
    assertFault(t.api().get(t.path("/types/" + id)), 404, "itemNotFound");
    assertEquals("__DEFAULT__", t.api().get(t.path("/types/default")).body().path("volume_type").path("name").asText());
  }

  @Test
  void aVolumeOfATypeWhoseBackendNoHostServesEndsInErrorAndTheHostsBackendTakesIt() {
    Tenant t = newProject();
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    createType("{\"volume_type\": {\"name\": \"nowhere-" + suffix + "\", \"extra_specs\":"
        + " {\"volume_backend_name\": \"ceph-" + suffix + "\"}}}");
    createType("{\"volume_type\": {\"name\": \"here-" + suffix + "\", \"extra_specs\":"
        + " {\"volume_backend_name\": \"nimbus-pool\"}}}");
    String lost = create(t, "{\"volume\": {\"size\": 1, \"volume_type\": \"nowhere-" + suffix + "\"}}");
    String made = create(t, "{\"volume\": {\"size\": 1, \"volume_type\": \"here-" + suffix + "\"}}");
    assertEquals("nowhere-" + suffix, awaitStatus(t, lost, "error").path("volume_type").asText());
    assertEquals("here-" + suffix, awaitStatus(t, made, "available").path("volume_type").asText());
    for (String id : List.of(lost, made)) assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
  }

  @Test
  void aVolumeIsRetypedOnItsBackendItsTypesQuotaMovesAndAMoveNoHostTakesIsUndone() {
    Tenant t = newProject();
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String silver = "silver-" + suffix;
    String gold = "gold-" + suffix;
    String elsewhere = "elsewhere-" + suffix;
    createType("{\"volume_type\": {\"name\": \"" + silver + "\"}}");
    createType("{\"volume_type\": {\"name\": \"" + gold + "\", \"extra_specs\": {\"volume_backend_name\": \"nimbus-pool\"}}}");
    createType("{\"volume_type\": {\"name\": \"" + elsewhere + "\", \"extra_specs\":"
        + " {\"volume_backend_name\": \"ceph-" + suffix + "\"}}}");
    String volume = create(t, "{\"volume\": {\"size\": 1, \"volume_type\": \"" + silver + "\"}}");
    awaitStatus(t, volume, "available");
    String action = t.path("/volumes/" + volume + "/action");
    // the same backend: the type changes, and the per-type quota counts it under the new one
    // (the volume's type named no backend: whether the new one's is its own is for the step to find)
    Api.Reply retyped = t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + gold
        + "\", \"migration_policy\": \"on-demand\"}}");
    assertEquals(202, retyped.status(), retyped.raw());
    JsonNode v = Eventually.await(WAIT, () -> {
      JsonNode shown = t.api().get(t.path("/volumes/" + volume)).body().path("volume");
      return shown.path("volume_type").asText().equals(gold) && shown.path("status").asText().equals("available") ? shown : null;
    });
    assertTrue(v.path("migration_status").isNull(), "nothing migrated: " + v);
    JsonNode usage = t.api().get(t.path("/os-quota-sets/" + t.projectId() + "?usage=True")).body().path("quota_set");
    assertEquals(1, usage.path("volumes_" + gold).path("in_use").asInt(), usage.toString());
    assertEquals(0, usage.path("volumes_" + silver).path("in_use").asInt(), usage.toString());
    assertEquals(1, usage.path("gigabytes_" + gold).path("in_use").asInt(), usage.toString());
    // the new type's quota: Cinder's 413, and the volume stays as it is
    assertEquals(200, admin.send("PUT", "/volume/v3/" + adminProject() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"volumes_" + silver + "\": 0}}").status());
    Api.Reply over = t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + silver + "\"}}");
    assertFault(over, 413, "overLimit");
    assertEquals(gold, awaitStatus(t, volume, "available").path("volume_type").asText());
    // another backend: never with migration_policy never; with on-demand a backend no host serves fails the move
    Api.Reply never = t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + elsewhere
        + "\", \"migration_policy\": \"never\"}}");
    assertFault(never, 400, "badRequest");
    assertTrue(never.raw().contains("Retype requires migration but is not allowed"), never.raw());
    assertEquals(202, t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + elsewhere
        + "\", \"migration_policy\": \"on-demand\"}}").status());
    JsonNode undone = Eventually.await(WAIT, () -> {
      JsonNode shown = t.api().get(t.path("/volumes/" + volume)).body().path("volume");
      return shown.path("migration_status").asText().equals("error") ? shown : null;
    });
    assertEquals("available", undone.path("status").asText(), undone.toString());
    assertEquals(gold, undone.path("volume_type").asText(), "the volume keeps its type: " + undone);
    JsonNode after = t.api().get(t.path("/os-quota-sets/" + t.projectId() + "?usage=True")).body().path("quota_set");
    assertEquals(1, after.path("volumes_" + gold).path("in_use").asInt(), "the quota moved back: " + after);
    assertEquals(0, after.path("volumes_" + elsewhere).path("in_use").asInt(), after.toString());
    assertEquals(202, t.api().delete(t.path("/volumes/" + volume)).status());
  }

  @Test
  void aRetypeIsRefusedForBadBodiesAnotherProjectsVolumeOrPrivateTypeAndAReader() {
    Tenant t = newProject();
    Tenant other = newProject();
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String open = "open-" + suffix;
    createType("{\"volume_type\": {\"name\": \"" + open + "\"}}");
    String secret = createType("{\"volume_type\": {\"name\": \"secret-" + suffix + "\","
        + " \"os-volume-type-access:is_public\": false}}").path("id").asText();
    assertEquals(202, admin.post("/volume/v3/" + adminProject() + "/types/" + secret + "/action",
        "{\"addProjectAccess\": {\"project\": \"" + other.projectId() + "\"}}").status());
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    String action = t.path("/volumes/" + volume + "/action");
    assertFault(t.api().post(action, "{\"os-retype\": {}}"), 400, "badRequest");
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + open + "\", \"migration_policy\": \"now\"}}"),
        400, "badRequest");
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + open + "\", \"x\": 1}}"), 400, "badRequest");
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"__DEFAULT__\"}}"), 400, "badRequest");
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"no-such-" + suffix + "\"}}"), 404, "itemNotFound");
    // a private type of another project's is not found, by id or name
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + secret + "\"}}"), 404, "itemNotFound");
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"secret-" + suffix + "\"}}"), 404, "itemNotFound");
    // another project's volume: 404, even with a type it may use
    assertFault(other.api().post(other.path("/volumes/" + volume + "/action"),
        "{\"os-retype\": {\"new_type\": \"" + secret + "\"}}"), 404, "itemNotFound");
    assertFault(other.api().post(action, "{\"os-retype\": {\"new_type\": \"" + open + "\"}}"), 404, "itemNotFound");
    String reader = "reader-" + UUID.randomUUID().toString().substring(0, 8);
    String userId = admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + reader + "\", \"password\": \"pw-"
        + reader + "\", \"default_project_id\": \"" + t.projectId() + "\"}}").body().path("user").path("id").asText();
    String roleId = admin.get("/identity/v3/roles?name=reader").body().path("roles").get(0).path("id").asText();
    assertEquals(204, admin.put("/identity/v3/projects/" + t.projectId() + "/users/" + userId + "/roles/" + roleId).status());
    String project = admin.get("/identity/v3/projects/" + t.projectId()).body().path("project").path("name").asText();
    assertFault(admin.as(reader, "pw-" + reader, project).post(action, "{\"os-retype\": {\"new_type\": \"" + open + "\"}}"),
        403, "forbidden");
    // a busy volume: Cinder's 400
    assertEquals(202, t.api().post(action, "{\"os-reserve\": {}}").status());
    assertFault(t.api().post(action, "{\"os-retype\": {\"new_type\": \"" + open + "\"}}"), 400, "badRequest");
    assertEquals(202, t.api().post(action, "{\"os-unreserve\": {}}").status());
    JsonNode v = awaitStatus(t, volume, "available");
    assertEquals("__DEFAULT__", v.path("volume_type").asText(), "no refused retype changed it: " + v);
    assertEquals(202, t.api().delete(t.path("/volumes/" + volume)).status());
  }

  @Test
  void aPerTypeQuotaStopsTheNextVolumeOrSnapshotOfThatTypeOnly() {
    Tenant t = newProject();
    String type = "bronze-" + UUID.randomUUID().toString().substring(0, 6);
    createType("{\"volume_type\": {\"name\": \"" + type + "\"}}");
    JsonNode shown = admin.get("/volume/v3/" + adminProject() + "/os-quota-sets/" + t.projectId()).body().path("quota_set");
    assertEquals(-1, shown.path("volumes_" + type).asInt(-2), shown.toString());
    assertEquals(-1, shown.path("gigabytes_" + type).asInt(-2), shown.toString());
    assertEquals(-1, shown.path("snapshots_" + type).asInt(-2), shown.toString());
    Api.Reply set = admin.send("PUT", "/volume/v3/" + adminProject() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"volumes_" + type + "\": 1}}");
    assertEquals(200, set.status(), set.raw());
    assertEquals(1, set.body().path("quota_set").path("volumes_" + type).asInt());
    assertFault(admin.send("PUT", "/volume/v3/" + adminProject() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"volumes_no-such-type\": 1}}"), 400, "badRequest");
    String first = create(t, "{\"volume\": {\"size\": 1, \"volume_type\": \"" + type + "\"}}");
    Api.Reply over = t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1, \"volume_type\": \"" + type + "\"}}");
    assertFault(over, 413, "overLimit");
    assertTrue(over.raw().contains("Maximum number of volumes allowed (1) exceeded for quota 'volumes_" + type + "'."),
        over.raw());
    String untyped = create(t, "{\"volume\": {\"size\": 1}}");
    JsonNode usage = t.api().get(t.path("/os-quota-sets/" + t.projectId() + "?usage=True")).body().path("quota_set");
    assertEquals(1, usage.path("volumes_" + type).path("in_use").asInt(), usage.toString());
    // a snapshot counts under its volume's type, in the same quota step as the project's snapshots
    assertEquals(200, admin.send("PUT", "/volume/v3/" + adminProject() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"snapshots_" + type + "\": 1}}").status());
    awaitStatus(t, first, "available");
    awaitStatus(t, untyped, "available");
    Api.Reply snapshot = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + first + "\"}}");
    assertEquals(202, snapshot.status(), snapshot.raw());
    Api.Reply tooMany = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + first + "\"}}");
    assertFault(tooMany, 413, "overLimit");
    assertTrue(tooMany.raw().contains("SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded"),
        tooMany.raw());
    Api.Reply ofUntyped = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + untyped + "\"}}");
    assertEquals(202, ofUntyped.status(), ofUntyped.raw());
    JsonNode withSnapshots = t.api().get(t.path("/os-quota-sets/" + t.projectId() + "?usage=True")).body()
        .path("quota_set");
    assertEquals(1, withSnapshots.path("snapshots_" + type).path("in_use").asInt(), withSnapshots.toString());
    for (JsonNode s : List.of(snapshot.body(), ofUntyped.body())) {
      String sid = s.path("snapshot").path("id").asText();
      Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + sid)).body().path("snapshot").path("status")
          .asText().equals("available"));
      assertEquals(202, t.api().delete(t.path("/snapshots/" + sid)).status());
      Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + sid)).status() == 404);
    }
    for (String id : List.of(first, untyped)) {
      assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
    }
  }

  @Test
  void listsPageByMarkerAndFilterByNameAndStatus() {
    Tenant t = newProject();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) ids.add(create(t, "{\"volume\": {\"size\": 1, \"name\": \"n" + i + "\"}}"));
    for (String id : ids) awaitStatus(t, id, "available");
    JsonNode all = Eventually.await(WAIT, () -> {
      JsonNode vs = t.api().get(t.path("/volumes/detail?status=available")).body().path("volumes");
      return vs.size() == 3 ? vs : null;
    });
    JsonNode first = t.api().get(t.path("/volumes?limit=2")).body().path("volumes");
    assertEquals(2, first.size());
    JsonNode rest = t.api().get(t.path("/volumes?limit=2&marker=" + first.get(1).path("id").asText())).body()
        .path("volumes");
    assertEquals(1, rest.size());
    assertEquals(all.get(2).path("id").asText(), rest.get(0).path("id").asText());
    assertEquals(1, t.api().get(t.path("/volumes?name=n1")).body().path("volumes").size());
    // Cinder's MarkerNotFound is a 404
    assertFault(t.api().get(t.path("/volumes?marker=" + UUID.randomUUID())), 404, "itemNotFound");
    assertFault(t.api().get(t.path("/volumes?limit=x")), 400, "badRequest");
    JsonNode defaultType = null;
    for (JsonNode type : t.api().get(t.path("/types")).body().path("volume_types")) {
      if (type.path("name").asText().equals("__DEFAULT__")) defaultType = type;
    }
    assertTrue(defaultType != null && defaultType.path("extra_specs").isEmpty(), "the default type asks for no backend");
    assertEquals(200, t.api().get(t.path("/types/" + defaultType.path("id").asText())).status());
    for (String id : ids) assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
  }

  private static Api.Reply attach(Tenant t, String serverId, String volumeId) {
    return t.api().post("/compute/v2.1/servers/" + serverId + "/os-volume_attachments",
        "{\"volumeAttachment\": {\"volumeId\": \"" + volumeId + "\"}}");
  }

  @Test
  void aVolumeIsAttachedToAServerDetachedAndGoesBackWhenTheServerIsDeleted() {
    Tenant owner = newProject();
    Tenant other = newProject();
    String server = owner.api().createServer("att-1", "42");
    String second = owner.api().createServer("att-2", "42");
    String strangers = other.api().createServer("att-3", "42");
    String volume = create(owner, "{\"volume\": {\"size\": 1}}");
    awaitStatus(owner, volume, "available");
    owner.api().awaitStatus(server, "ACTIVE", WAIT);
    owner.api().awaitStatus(second, "ACTIVE", WAIT);
    other.api().awaitStatus(strangers, "ACTIVE", WAIT);

    // the attacks first: another project's volume, server and paths are not found
    assertFault(attach(other, strangers, volume), 404, "itemNotFound");
    assertFault(attach(other, server, volume), 404, "itemNotFound");
    assertFault(other.api().get("/compute/v2.1/servers/" + server + "/os-volume_attachments"), 404, "itemNotFound");
    assertFault(owner.api().post("/compute/v2.1/servers/" + server + "/os-volume_attachments",
        "{\"volumeAttachment\": {\"device\": \"/dev/vdb\"}}"), 400, "badRequest");
    assertFault(owner.api().delete("/compute/v2.1/servers/" + server + "/os-volume_attachments/" + volume), 404,
        "itemNotFound");
    assertEquals("available", awaitStatus(owner, volume, "available").path("status").asText());

    Api.Reply attached = attach(owner, server, volume);
    assertEquals(200, attached.status(), attached.raw());
    JsonNode a = attached.body().path("volumeAttachment");
    assertEquals(volume, a.path("volumeId").asText());
    assertEquals(server, a.path("serverId").asText());
    assertEquals("/dev/vdb", a.path("device").asText());
    JsonNode inUse = awaitStatus(owner, volume, "in-use");
    assertEquals(owner.projectId(), inUse.path("os-vol-tenant-attr:tenant_id").asText());
    assertTrue(!inUse.path("user_id").asText().isEmpty(), inUse.toString());
    JsonNode cinder = inUse.path("attachments").get(0);
    assertEquals(server, cinder.path("server_id").asText(), inUse.toString());
    assertEquals("/dev/vdb", cinder.path("device").asText());
    assertEquals(volume, cinder.path("volume_id").asText());
    assertTrue(!cinder.path("attachment_id").asText().isEmpty() && !cinder.path("host_name").asText().isEmpty(),
        inUse.toString());
    assertTrue(owner.api().server(server).path("os-extended-volumes:volumes_attached").toString().contains(volume));
    assertEquals(volume, owner.api().get("/compute/v2.1/servers/" + server + "/os-volume_attachments").body()
        .path("volumeAttachments").get(0).path("volumeId").asText());
    assertEquals("/dev/vdb", owner.api().get("/compute/v2.1/servers/" + server + "/os-volume_attachments/" + volume)
        .body().path("volumeAttachment").path("device").asText());

    // in use: not attached again, anywhere, nor deleted
    assertFault(attach(owner, second, volume), 400, "badRequest");
    assertFault(attach(owner, server, volume), 400, "badRequest");
    assertFault(owner.api().delete(owner.path("/volumes/" + volume)), 400, "badRequest");
    assertTrue(owner.api().get("/compute/v2.1/servers/" + second + "/os-volume_attachments").body()
        .path("volumeAttachments").isEmpty());
    // Cinder's os-detach would leave the disk in the guest while the volume went elsewhere (Cinder's bug 2004555)
    assertFault(owner.api().post(owner.path("/volumes/" + volume + "/action"), "{\"os-detach\": {}}"), 409,
        "conflictingRequest");
    assertFault(owner.api().post(owner.path("/volumes/" + volume + "/action"), "{\"os-reset_status\": {\"status\": "
        + "\"available\", \"attach_status\": \"detached\"}}"), 403, "forbidden");
    assertEquals("in-use", awaitStatus(owner, volume, "in-use").path("status").asText());

    // backed up in use only with force (Cinder's 400 without), attached throughout, and in-use again after
    assertFault(owner.api().post(owner.path("/backups"), "{\"backup\": {\"volume_id\": \"" + volume + "\"}}"), 400,
        "badRequest");
    Api.Reply forced = owner.api().post(owner.path("/backups"), "{\"backup\": {\"volume_id\": \"" + volume
        + "\", \"force\": true}}");
    assertEquals(202, forced.status(), forced.raw());
    String backedUp = forced.body().path("backup").path("id").asText();
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/backups/" + backedUp)).body().path("backup")
        .path("status").asText().equals("available"));
    JsonNode after = awaitStatus(owner, volume, "in-use");
    assertEquals(server, after.path("attachments").get(0).path("server_id").asText(), after.toString());
    assertEquals(202, owner.api().delete(owner.path("/backups/" + backedUp)).status());
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/backups/" + backedUp)).status() == 404);

    assertEquals(202, owner.api().delete("/compute/v2.1/servers/" + server + "/os-volume_attachments/" + volume).status());
    assertTrue(awaitStatus(owner, volume, "available").path("attachments").isEmpty());
    Eventually.until(WAIT, () -> owner.api().get("/compute/v2.1/servers/" + server + "/os-volume_attachments").body()
        .path("volumeAttachments").isEmpty());

    assertEquals(200, attach(owner, second, volume).status());
    awaitStatus(owner, volume, "in-use");
    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + second).status());
    assertTrue(awaitStatus(owner, volume, "available").path("attachments").isEmpty(),
        "a deleted server's volume is available again, not deleted");
    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + server).status());
    assertEquals(204, other.api().delete("/compute/v2.1/servers/" + strangers).status());
    assertEquals(202, owner.api().delete(owner.path("/volumes/" + volume)).status());
  }

  private static Api.Reply extendAt(Tenant t, String version, String volumeId, int size) {
    return t.api().atVolumeVersion(version, "POST", t.path("/volumes/" + volumeId + "/action"),
        "{\"os-extend\": {\"new_size\": " + size + "}}");
  }

  @Test
  void anInUseVolumeIsExtendedFromMicroversion342OnlyWithinItsQuotaAndOnlyByItsProject() {
    Tenant owner = newProject();
    Tenant other = newProject();
    String server = owner.api().createServer("ext-1", "42");
    String volume = create(owner, "{\"volume\": {\"size\": 1}}");
    awaitStatus(owner, volume, "available");
    owner.api().awaitStatus(server, "ACTIVE", WAIT);
    assertEquals(200, attach(owner, server, volume).status());
    awaitStatus(owner, volume, "in-use");

    // Cinder's 400 below 3.42, as for any volume not available
    assertFault(owner.api().post(owner.path("/volumes/" + volume + "/action"), "{\"os-extend\": {\"new_size\": 2}}"),
        400, "badRequest");
    Api.Reply old = extendAt(owner, "3.41", volume, 2);
    assertFault(old, 400, "badRequest");
    assertTrue(old.body().path("badRequest").path("message").asText().contains("must be available"), old.raw());
    assertFault(extendAt(owner, "3.42", volume, 1), 400, "badRequest");
    assertFault(extendAt(owner, "3.42", volume, 1001), 413, "overLimit");
    assertFault(extendAt(other, "3.42", volume, 2), 404, "itemNotFound");
    JsonNode unchanged = awaitStatus(owner, volume, "in-use");
    assertEquals(1, unchanged.path("size").asInt());
    assertEquals(1, owner.api().get(owner.path("/limits")).body().path("limits").path("absolute")
        .path("totalGigabytesUsed").asInt(), "a refused extend holds nothing");

    Api.Reply accepted = extendAt(owner, "3.42", volume, 2);
    assertEquals(202, accepted.status(), accepted.raw());
    // the test driver's pool cannot resize: the extend fails as a backend would, its extra gigabyte given back
    JsonNode failed = awaitStatus(owner, volume, "error_extending");
    assertEquals(1, failed.path("size").asInt());
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/limits")).body().path("limits").path("absolute")
        .path("totalGigabytesUsed").asInt() == 1);
    assertEquals(server, failed.path("attachments").get(0).path("server_id").asText(), "still attached");
    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + server).status());
  }

  /** A create that boots from {@code mappings} (block_device_mapping_v2), with no image. */
  private static Api.Reply bootFrom(Tenant t, String mappings) {
    return t.api().post("/compute/v2.1/servers", "{\"server\": {\"name\": \"bfv\", \"imageRef\": \"\", "
        + "\"flavorRef\": \"42\", \"block_device_mapping_v2\": [" + mappings + "]}}");
  }

  private static String volumeMapping(String volumeId, String bootIndex, boolean deleteOnTermination) {
    return "{\"source_type\": \"volume\", \"destination_type\": \"volume\", \"uuid\": \"" + volumeId
        + "\", \"boot_index\": " + bootIndex + ", \"delete_on_termination\": " + deleteOnTermination + "}";
  }

  private static void assertBadMapping(Api.Reply r, String message) {
    assertFault(r, 400, "badRequest");
    assertTrue(r.body().path("badRequest").path("message").asText().contains(message), r.raw());
  }

  @Test
  void aServerBootsFromItsVolumeWhichSurvivesItOrGoesWithItAndBadMappingsAreNovas400s() {
    Tenant owner = newProject();
    Tenant other = newProject();
    String volume = create(owner, "{\"volume\": {\"size\": 1}}");
    awaitStatus(owner, volume, "available");

    // the attack: another project's volume is not found, as Nova reads it with the user's token
    assertBadMapping(bootFrom(other, volumeMapping(volume, "0", false)),
        "Block Device Mapping is Invalid: failed to get volume " + volume + ".");
    assertBadMapping(bootFrom(owner, volumeMapping(volume, "0", false) + ", " + volumeMapping(volume, "0", false)),
        "Boot sequence for the instance and image/block device mapping combination is not valid.");
    assertBadMapping(bootFrom(owner, volumeMapping(volume, "-1", false)), "Boot sequence");
    assertFault(bootFrom(owner, volumeMapping(volume, "0", false).replace("\"source_type\": \"volume\"",
        "\"source_type\": \"floppy\"")), 400, "badRequest");
    assertFault(bootFrom(owner, volumeMapping(volume, "0", false).replace("\"destination_type\": \"volume\"",
        "\"destination_type\": \"tape\"")), 400, "badRequest");
    assertBadMapping(bootFrom(owner, "{\"source_type\": \"volume\", \"boot_index\": 0}"), "Missing device UUID.");
    assertBadMapping(owner.api().post("/compute/v2.1/servers", "{\"server\": {\"name\": \"bfv\", \"flavorRef\": \"42\"}}"),
        "Missing imageRef attribute");
    assertEquals("available", awaitStatus(owner, volume, "available").path("status").asText(), "nothing reserved");

    Api.Reply created = bootFrom(owner, volumeMapping(volume, "0", false));
    assertEquals(202, created.status(), created.raw());
    String server = created.body().path("server").path("id").asText();
    JsonNode active = owner.api().awaitStatus(server, "ACTIVE", WAIT);
    assertEquals("", active.path("image").asText("not a string"), "a volume-backed server has no image: " + active);
    assertEquals(volume, active.path("os-extended-volumes:volumes_attached").get(0).path("id").asText(), active.toString());
    JsonNode inUse = awaitStatus(owner, volume, "in-use");
    assertEquals(server, inUse.path("attachments").get(0).path("server_id").asText(), inUse.toString());
    assertEquals("/dev/vda", inUse.path("attachments").get(0).path("device").asText(), inUse.toString());
    assertBadMapping(owner.api().delete("/compute/v2.1/servers/" + server + "/os-volume_attachments/" + volume),
        "Cannot detach a root device volume");
    assertBadMapping(owner.api().post("/compute/v2.1/servers/" + server + "/action", "{\"rebuild\": {\"imageRef\": \""
        + Api.TEST_IMAGE + "\"}}"), "Unable to rebuild with a different image for a volume-backed server.");

    // a volume in use boots no second server: that one ends in ERROR with a fault, the volume stays the first's
    String second = bootFrom(owner, volumeMapping(volume, "0", false)).body().path("server").path("id").asText();
    JsonNode failed = owner.api().awaitStatus(second, "ERROR", WAIT);
    assertTrue(failed.path("fault").path("message").asText().contains("status must be available"), failed.toString());
    assertEquals(server, awaitStatus(owner, volume, "in-use").path("attachments").get(0).path("server_id").asText());
    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + second).status());

    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + server).status());
    assertTrue(awaitStatus(owner, volume, "available").path("attachments").isEmpty(),
        "delete_on_termination false: the volume survives its server");

    String doomed = bootFrom(owner, volumeMapping(volume, "\"0\"", true)).body().path("server").path("id").asText();
    owner.api().awaitStatus(doomed, "ACTIVE", WAIT);
    assertEquals(204, owner.api().delete("/compute/v2.1/servers/" + doomed).status());
    Eventually.until(WAIT, () -> owner.api().get(owner.path("/volumes/" + volume)).status() == 404);
  }

  private static JsonNode awaitSnapshot(Tenant t, String id, String status) {
    return Eventually.await(WAIT, () -> {
      JsonNode s = t.api().get(t.path("/snapshots/" + id)).body().path("snapshot");
      return s.path("status").asText().equals(status) ? s : null;
    });
  }

  @Test
  void aSnapshotIsMadeListedAndKeepsItsVolumeUntilDeletedAndAVolumeIsMadeFromIt() {
    Tenant t = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    Api.Reply made = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume
        + "\", \"name\": \"s1\", \"metadata\": {\"k\": \"v\"}}}");
    assertEquals(202, made.status(), made.raw());
    String id = made.body().path("snapshot").path("id").asText();
    assertEquals("creating", made.body().path("snapshot").path("status").asText(), made.raw());
    JsonNode shown = awaitSnapshot(t, id, "available");
    assertEquals(volume, shown.path("volume_id").asText());
    assertEquals(1, shown.path("size").asInt());
    assertEquals("s1", shown.path("name").asText());
    assertEquals("v", shown.path("metadata").path("k").asText());
    assertEquals(t.projectId(), shown.path("os-extended-snapshot-attributes:project_id").asText(), shown.toString());
    assertEquals("100%", shown.path("os-extended-snapshot-attributes:progress").asText());
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/detail")).body().path("snapshots").toString().contains(id));
    assertEquals(id, t.api().get(t.path("/snapshots?volume_id=" + volume)).body().path("snapshots").get(0).path("id").asText());
    assertEquals(1, t.api().get(t.path("/limits")).body().path("limits").path("absolute").path("totalSnapshotsUsed").asInt());
    assertEquals(2, t.api().get(t.path("/limits")).body().path("limits").path("absolute").path("totalGigabytesUsed").asInt());
    Api.Reply renamed = t.api().send("PUT", t.path("/snapshots/" + id), "{\"snapshot\": {\"name\": \"s2\"}}");
    assertEquals("s2", renamed.body().path("snapshot").path("name").asText(), renamed.raw());
    assertEquals(200, t.api().send("PUT", t.path("/snapshots/" + id + "/metadata"), "{\"metadata\": {\"a\": \"b\"}}").status());
    assertEquals("{\"a\":\"b\"}", t.api().get(t.path("/snapshots/" + id + "/metadata")).body().path("metadata").toString());
    assertEquals(200, t.api().send("PUT", t.path("/snapshots/" + id + "/metadata/c"), "{\"meta\": {\"c\": \"d\"}}").status());
    assertEquals("d", t.api().get(t.path("/snapshots/" + id + "/metadata/c")).body().path("meta").path("c").asText());
    assertEquals(200, t.api().delete(t.path("/snapshots/" + id + "/metadata/a")).status());
    assertFault(t.api().get(t.path("/snapshots/" + id + "/metadata/a")), 404, "itemNotFound");
    assertFault(t.api().send("PUT", t.path("/snapshots/" + id + "/metadata/x"), "{\"meta\": {\"y\": \"d\"}}"), 400,
        "badRequest");
    Api.Reply refused = t.api().delete(t.path("/volumes/" + volume));
    assertFault(refused, 400, "badRequest");
    assertTrue(refused.raw().contains("have snapshots"), refused.raw());
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"snapshot_id\": \"" + id + "\", \"size\": 0}}"),
        400, "badRequest");
    String copy = create(t, "{\"volume\": {\"snapshot_id\": \"" + id + "\"}}");
    JsonNode copied = awaitStatus(t, copy, "available");
    assertEquals(id, copied.path("snapshot_id").asText());
    assertEquals(1, copied.path("size").asInt(), "the snapshot's size by default");
    String clone = create(t, "{\"volume\": {\"source_volid\": \"" + copy + "\", \"size\": 3}}");
    JsonNode cloned = awaitStatus(t, clone, "available");
    assertEquals(copy, cloned.path("source_volid").asText());
    assertEquals(3, cloned.path("size").asInt());
    assertFault(t.api().post(t.path("/volumes"), "{\"volume\": {\"source_volid\": \"" + copy + "\", \"size\": 0}}"),
        400, "badRequest");
    assertEquals(202, t.api().delete(t.path("/volumes/" + clone)).status());
    assertEquals(202, t.api().delete(t.path("/snapshots/" + id)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + id)).status() == 404);
    Eventually.until(WAIT, () -> t.api().delete(t.path("/volumes/" + volume)).status() == 202);
    assertEquals(202, t.api().delete(t.path("/volumes/" + copy)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/limits")).body().path("limits").path("absolute")
        .path("totalGigabytesUsed").asInt() == 0);
  }

  @Test
  void anotherProjectsSnapshotAndVolumeAreNotFoundAndBadSnapshotsAreRefused() {
    Tenant owner = newProject();
    Tenant other = newProject();
    String volume = create(owner, "{\"volume\": {\"size\": 1}}");
    awaitStatus(owner, volume, "available");
    assertFault(other.api().post(other.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}"),
        404, "itemNotFound");
    String id = owner.api().post(owner.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}")
        .body().path("snapshot").path("id").asText();
    awaitSnapshot(owner, id, "available");
    assertFault(other.api().get(other.path("/snapshots/" + id)), 404, "itemNotFound");
    assertFault(other.api().delete(other.path("/snapshots/" + id)), 404, "itemNotFound");
    assertFault(other.api().send("PUT", other.path("/snapshots/" + id), "{\"snapshot\": {\"name\": \"x\"}}"), 404,
        "itemNotFound");
    assertFault(other.api().get(other.path("/snapshots/" + id + "/metadata")), 404, "itemNotFound");
    assertFault(other.api().post(other.path("/volumes"), "{\"volume\": {\"snapshot_id\": \"" + id + "\"}}"), 404,
        "itemNotFound");
    assertFault(other.api().post(other.path("/volumes"), "{\"volume\": {\"source_volid\": \"" + volume + "\"}}"), 404,
        "itemNotFound");
    assertTrue(other.api().get(other.path("/snapshots/detail?all_tenants=1")).body().path("snapshots").isEmpty());
    assertFault(owner.api().post(owner.path("/snapshots"), "{\"snapshot\": {}}"), 400, "badRequest");
    assertFault(owner.api().post(owner.path("/snapshots"), "{\"snapshot\": {\"volume_id\": null}}"), 404, "itemNotFound");
    assertFault(owner.api().post(owner.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume
        + "\", \"force\": \"maybe\"}}"), 400, "badRequest");
    assertFault(owner.api().get(owner.path("/snapshots/not-a-uuid")), 404, "itemNotFound");
    assertFault(other.api().get(other.path("/snapshots?marker=" + id)), 404, "itemNotFound");
    assertFault(owner.api().post(owner.path("/volumes"), "{\"volume\": {\"snapshot_id\": \"" + id + "\", \"size\": 2,"
        + " \"name\": 5}}"), 400, "badRequest");
    assertEquals(202, owner.api().delete(owner.path("/snapshots/" + id)).status());
  }

  @Test
  void theSnapshotQuotaStopsTheOneTooMany() {
    Tenant t = newProject();
    assertEquals(200, admin.send("PUT", "/volume/v3/" + t.projectId() + "/os-quota-sets/" + t.projectId(),
        "{\"quota_set\": {\"snapshots\": 1}}").status());
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    assertEquals(202, t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}").status());
    Api.Reply over = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + volume + "\"}}");
    assertFault(over, 413, "overLimit");
    assertTrue(over.raw().contains("SnapshotLimitExceeded"), over.raw());
  }

  @Test
  void cindersActionsRecordAnAttachmentAndAdminsResetAndForceDeleteAVolume() {
    Tenant t = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    String actions = t.path("/volumes/" + volume + "/action");
    String server = UUID.randomUUID().toString();

    assertEquals(202, t.api().post(actions, "{\"os-reserve\": null}").status());
    assertEquals("attaching", awaitStatus(t, volume, "attaching").path("status").asText());
    assertFault(t.api().post(actions, "{\"os-reserve\": null}"), 400, "badRequest");
    assertEquals(202, t.api().post(actions, "{\"os-unreserve\": null}").status());
    awaitStatus(t, volume, "available");

    for (String bad : List.of("{\"os-attach\": {\"instance_uuid\": \"" + server + "\"}}",
        "{\"os-attach\": {\"mountpoint\": \"/dev/vdc\"}}",
        "{\"os-attach\": {\"instance_uuid\": \"not-a-uuid\", \"mountpoint\": \"/dev/vdc\"}}",
        "{\"os-attach\": {\"instance_uuid\": \"" + server + "\", \"mountpoint\": \"/dev/vdc\", \"mode\": \"x\"}}",
        "{\"os-attach\": {\"instance_uuid\": \"" + server + "\", \"mountpoint\": \"/dev/vdc\", \"extra\": 1}}",
        "{\"os-frobnicate\": {}}", "{\"os-reserve\": null, \"os-unreserve\": null}")) {
      assertFault(t.api().post(actions, bad), 400, "badRequest");
    }
    assertEquals(202, t.api().post(actions, "{\"os-attach\": {\"instance_uuid\": \"" + server
        + "\", \"mountpoint\": \"/dev/vdc\"}}").status());
    JsonNode attachment = awaitStatus(t, volume, "in-use").path("attachments").get(0);
    assertEquals(List.of(server, "/dev/vdc", volume), List.of(attachment.path("server_id").asText(),
        attachment.path("device").asText(), attachment.path("volume_id").asText()));
    assertFault(t.api().post(actions, "{\"os-detach\": {\"attachment_id\": \"" + UUID.randomUUID() + "\"}}"), 400,
        "badRequest");
    assertEquals(202, t.api().post(actions, "{\"os-detach\": {}}").status());
    assertTrue(awaitStatus(t, volume, "available").path("attachments").isEmpty());
    assertFault(t.api().post(t.path("/volumes/" + UUID.randomUUID() + "/action"), "{\"os-detach\": {}}"), 404,
        "itemNotFound");

    // the flags: bootable, and read-only (shown in the metadata once set, as Cinder shows it)
    assertEquals(200, t.api().post(actions, "{\"os-set_bootable\": {\"bootable\": \"true\"}}").status());
    assertEquals("true", t.api().get(t.path("/volumes/" + volume)).body().path("volume").path("bootable").asText());
    assertFault(t.api().post(actions, "{\"os-set_bootable\": {\"bootable\": \"maybe\"}}"), 400, "badRequest");
    assertEquals(202, t.api().post(actions, "{\"os-update_readonly_flag\": {\"readonly\": true}}").status());
    assertEquals("True", t.api().get(t.path("/volumes/" + volume)).body().path("volume").path("metadata")
        .path("readonly").asText());
    assertFault(t.api().post(actions, "{\"os-attach\": {\"instance_uuid\": \"" + server
        + "\", \"mountpoint\": \"/dev/vdc\"}}"), 400, "badRequest");
    assertEquals(202, t.api().post(actions, "{\"os-update_readonly_flag\": {\"readonly\": false}}").status());
    assertEquals("False", t.api().get(t.path("/volumes/" + volume)).body().path("volume").path("metadata")
        .path("readonly").asText());

    // metadata, as Cinder's routes for it
    String metadata = t.path("/volumes/" + volume + "/metadata");
    assertEquals(200, t.api().post(metadata, "{\"metadata\": {\"a\": \"1\", \"b\": \"2\"}}").status());
    assertEquals(200, t.api().send("PUT", metadata + "/a", "{\"meta\": {\"a\": \"9\"}}").status());
    assertEquals(200, t.api().delete(metadata + "/b").status());
    assertFault(t.api().delete(metadata + "/b"), 404, "itemNotFound");
    assertFault(t.api().send("PUT", metadata + "/a", "{\"meta\": {\"c\": \"9\"}}"), 400, "badRequest");
    assertEquals("9", t.api().get(metadata + "/a").body().path("meta").path("a").asText());
    assertEquals("{\"a\":\"9\"}", t.api().get(metadata).body().path("metadata").toString(), "the user's own only");
    assertEquals(200, t.api().send("PUT", metadata, "{\"metadata\": {\"c\": \"3\"}}").status());
    assertEquals("{\"c\":\"3\",\"readonly\":\"False\"}", awaitStatus(t, volume, "available").path("metadata").toString());

    // the admins' actions: a member may not; an admin resets a status and deletes whatever the status
    assertFault(t.api().post(actions, "{\"os-force_delete\": {}}"), 403, "forbidden");
    String asAdmin = actions; // an admin reaches any project's path
    assertFault(admin.post(asAdmin, "{\"os-reset_status\": {\"status\": \"deleting\"}}"), 400, "badRequest");
    assertEquals(202, admin.post(asAdmin, "{\"os-reset_status\": {\"status\": \"error\"}}").status());
    awaitStatus(t, volume, "error");
    assertEquals(202, admin.post(asAdmin, "{\"os-force_delete\": {}}").status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes/" + volume)).status() == 404);
  }

  @Test
  void cindersAttachmentsApiReservesConnectsCompletesAndDeletesAnAttachmentOfTheVolumesOwnProjectOnce() {
    Tenant t = newProject();
    Tenant other = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    String server = UUID.randomUUID().toString();
    String reserve = "{\"attachment\": {\"volume_uuid\": \"" + volume + "\", \"instance_uuid\": \"" + server + "\"}}";
    // below 3.27 there is no such API, as Cinder answers a method of a later version
    assertFault(t.api().post(t.path("/attachments"), reserve), 404, "itemNotFound");
    assertFault(t.api().atVolumeVersion("3.26", "GET", t.path("/attachments"), null), 404, "itemNotFound");

    Api.Reply created = t.api().atVolumeVersion("3.27", "POST", t.path("/attachments"), reserve);
    assertEquals(200, created.status(), created.raw());
    JsonNode a = created.body().path("attachment");
    String id = a.path("id").asText();
    assertEquals(List.of("reserved", server, volume, "", "{}"), List.of(a.path("status").asText(),
        a.path("instance").asText(), a.path("volume_id").asText(), a.path("attached_at").asText(),
        a.path("connection_info").toString()), created.raw());
    assertEquals("reserved", awaitStatus(t, volume, "reserved").path("status").asText());
    // not attached twice: neither through this API nor through Cinder's actions
    Api.Reply second = t.api().atVolumeVersion("3.44", "POST", t.path("/attachments"), reserve);
    assertFault(second, 400, "badRequest");
    assertTrue(second.raw().contains("status must be available or downloading to reserve, but the current status is"
        + " reserved"), second.raw());
    assertFault(t.api().post(t.path("/volumes/" + volume + "/action"), "{\"os-reserve\": null}"), 400, "badRequest");
    // another project sees neither the attachment nor the volume to attach
    assertFault(other.api().atVolumeVersion("3.44", "GET", other.path("/attachments/" + id), null), 404, "itemNotFound");
    assertFault(other.api().atVolumeVersion("3.44", "DELETE", other.path("/attachments/" + id), null), 404,
        "itemNotFound");
    assertFault(other.api().atVolumeVersion("3.44", "PUT", other.path("/attachments/" + id),
        "{\"attachment\": {\"connector\": {\"host\": \"evil\"}}}"), 404, "itemNotFound");
    assertFault(other.api().atVolumeVersion("3.44", "POST", other.path("/attachments"), reserve), 404, "itemNotFound");
    assertTrue(other.api().atVolumeVersion("3.44", "GET", other.path("/attachments"), null).body().path("attachments")
        .isEmpty());
    for (String bad : List.of("{}", "{\"attachment\": {}}", "{\"attachment\": {\"volume_uuid\": \"x\"}}",
        "{\"attachment\": {\"volume_uuid\": \"" + volume + "\", \"extra\": 1}}",
        "{\"attachment\": {\"volume_uuid\": \"" + volume + "\", \"connector\": 5}}")) {
      assertFault(t.api().atVolumeVersion("3.44", "POST", t.path("/attachments"), bad), 400, "badRequest");
    }

    String attachment = t.path("/attachments/" + id);
    assertFault(t.api().atVolumeVersion("3.44", "PUT", attachment, "{\"attachment\": {\"connector\": {}}}"), 400,
        "badRequest");
    Api.Reply updated = t.api().atVolumeVersion("3.44", "PUT", attachment,
        "{\"attachment\": {\"connector\": {\"host\": \"consumer-1\", \"mountpoint\": \"/dev/vdc\","
        + " \"initiator\": \"iqn.1993-08.org.debian:01:x\"}}}");
    assertEquals(200, updated.status(), updated.raw());
    JsonNode connected = updated.body().path("attachment");
    assertEquals(List.of("attaching", "rw", "file", id), List.of(connected.path("status").asText(),
        connected.path("attach_mode").asText(), connected.path("connection_info").path("driver_volume_type").asText(),
        connected.path("connection_info").path("attachment_id").asText()), updated.raw());
    assertTrue(awaitStatus(t, volume, "attaching").path("attachments").isEmpty(), "shown once attached only");
    // os-complete is 3.44's
    assertFault(t.api().atVolumeVersion("3.43", "POST", attachment + "/action", "{\"os-complete\": null}"), 404,
        "itemNotFound");
    assertEquals(204, t.api().atVolumeVersion("3.44", "POST", attachment + "/action", "{\"os-complete\": null}")
        .status());
    JsonNode shown = awaitStatus(t, volume, "in-use").path("attachments").get(0);
    assertEquals(List.of(id, server, "/dev/vdc", "consumer-1"), List.of(shown.path("attachment_id").asText(),
        shown.path("server_id").asText(), shown.path("device").asText(), shown.path("host_name").asText()));
    JsonNode got = t.api().atVolumeVersion("3.44", "GET", attachment, null).body().path("attachment");
    assertEquals("attached", got.path("status").asText(), got.toString());
    assertTrue(!got.path("attached_at").asText().isEmpty(), got.toString());

    // lists and their filters
    String list = t.path("/attachments");
    assertEquals(id, t.api().atVolumeVersion("3.44", "GET", list, null).body().path("attachments").get(0).path("id")
        .asText());
    JsonNode detailed = t.api().atVolumeVersion("3.44", "GET", list + "/detail?volume_id=" + volume + "&status=attached",
        null).body().path("attachments");
    assertEquals(1, detailed.size(), detailed.toString());
    assertEquals("rw", detailed.get(0).path("attach_mode").asText());
    assertTrue(t.api().atVolumeVersion("3.44", "GET", list + "?instance_id=" + UUID.randomUUID(), null).body()
        .path("attachments").isEmpty());
    assertTrue(t.api().atVolumeVersion("3.44", "GET", list + "?status=reserved", null).body().path("attachments")
        .isEmpty());
    assertFault(t.api().delete(t.path("/volumes/" + volume)), 400, "badRequest");

    Api.Reply deleted = t.api().atVolumeVersion("3.44", "DELETE", attachment, null);
    assertEquals(200, deleted.status(), deleted.raw());
    assertEquals("[]", deleted.body().path("attachments").toString());
    assertTrue(awaitStatus(t, volume, "available").path("attachments").isEmpty());
    assertFault(t.api().atVolumeVersion("3.44", "GET", attachment, null), 404, "itemNotFound");
    assertFault(t.api().atVolumeVersion("3.44", "DELETE", attachment, null), 404, "itemNotFound");

    // with a connector it is attaching at once
    Api.Reply direct = t.api().atVolumeVersion("3.44", "POST", list, "{\"attachment\": {\"volume_uuid\": \"" + volume
        + "\", \"connector\": {\"host\": \"consumer-2\"}}}");
    assertEquals(200, direct.status(), direct.raw());
    assertEquals("attaching", direct.body().path("attachment").path("status").asText());
    assertTrue(direct.body().path("attachment").path("instance").isNull(), direct.raw());
    awaitStatus(t, volume, "attaching");
    assertEquals(200, t.api().atVolumeVersion("3.44", "DELETE", t.path("/attachments/"
        + direct.body().path("attachment").path("id").asText()), null).status());
    awaitStatus(t, volume, "available");
    assertEquals(202, t.api().delete(t.path("/volumes/" + volume)).status());
  }

  @Test
  void cindersDocumentsNameItsVersionExtensionsAndZoneAndAnEmptyIdIsNotFound() {
    Tenant t = newProject();
    JsonNode version = t.api().get("/volume/v3/").body().path("versions").get(0);
    assertEquals("v3.0", version.path("id").asText());
    assertTrue(version.has("updated") && version.has("media-types") && version.has("min_version"), version.toString());
    assertEquals("3.0", version.path("min_version").asText());
    assertEquals("3.44", version.path("version").asText(), "up to 3.44's os-complete of an attachment");
    assertEquals(300, t.api().get("/volume/").status());
    List<String> aliases = new java.util.ArrayList<>();
    t.api().get(t.path("/extensions")).body().path("extensions").forEach(e -> aliases.add(e.path("alias").asText()));
    assertTrue(aliases.containsAll(List.of("os-volume-actions", "os-admin-actions", "os-vol-tenant-attr")), aliases.toString());
    assertEquals("nova", t.api().get(t.path("/os-availability-zone")).body().path("availabilityZoneInfo").get(0)
        .path("zoneName").asText());
    assertFault(t.api().get(t.path("/volumes/")), 404, "itemNotFound");
    assertFault(t.api().delete(t.path("/volumes/")), 404, "itemNotFound");
  }

  @Test
  void theVolumeMicroversionIsNegotiatedEchoedAndOneOutOfRangeIs406() {
    Tenant t = newProject();
    Api.Reply plain = t.api().get(t.path("/types"));
    assertEquals("volume 3.0", plain.headers().firstValue("OpenStack-API-Version").orElse(""), "no header: 3.0");
    assertTrue(plain.headers().firstValue("Vary").orElse("").contains("OpenStack-API-Version"));
    Api.Reply asked = t.api().sendWithHeader("GET", t.path("/types"), "OpenStack-API-Version", "volume 3.1");
    assertEquals(200, asked.status(), asked.raw());
    assertEquals("volume 3.1", asked.headers().firstValue("OpenStack-API-Version").orElse(""));
    assertEquals("volume 3.44", t.api().sendWithHeader("GET", t.path("/types"), "OpenStack-API-Version", "volume latest")
        .headers().firstValue("OpenStack-API-Version").orElse(""));
    assertFault(t.api().sendWithHeader("GET", t.path("/types"), "OpenStack-API-Version", "volume 3.45"), 406, "notAcceptable");
    assertFault(t.api().sendWithHeader("GET", t.path("/types"), "OpenStack-API-Version", "volume 2.0"), 406, "notAcceptable");
    assertFault(t.api().sendWithHeader("GET", t.path("/types"), "OpenStack-API-Version", "volume 3.x"), 400, "badRequest");

    // what the versions between change in volume lists: 3.2's bootable filter, 3.12's summary, 3.36's metadata in it
    String id = create(t, "{\"volume\": {\"size\": 2, \"metadata\": {\"k\": \"v\"}}}");
    awaitStatus(t, id, "available");
    assertEquals(0, t.api().get(t.path("/volumes?bootable=maybe")).body().path("volumes").size(),
        "before 3.2 anything but false is bootable");
    assertEquals(1, t.api().get(t.path("/volumes?bootable=False")).body().path("volumes").size());
    assertFault(t.api().atVolumeVersion("3.2", "GET", t.path("/volumes?bootable=maybe"), null), 400, "badRequest");
    assertEquals(1, t.api().atVolumeVersion("3.2", "GET", t.path("/volumes?bootable=0"), null).body().path("volumes")
        .size());
    assertEquals(0, t.api().atVolumeVersion("3.10", "GET", t.path("/volumes?group_id=" + UUID.randomUUID()), null)
        .body().path("volumes").size(), "no volume is in a group");
    assertFault(t.api().atVolumeVersion("3.11", "GET", t.path("/volumes/summary"), null), 404, "itemNotFound");
    JsonNode summary = t.api().atVolumeVersion("3.12", "GET", t.path("/volumes/summary"), null).body()
        .path("volume-summary");
    assertEquals("{\"total_size\":2,\"total_count\":1}", summary.toString());
    assertEquals("{\"k\":[\"v\"]}", t.api().atVolumeVersion("3.36", "GET", t.path("/volumes/summary"), null).body()
        .path("volume-summary").path("metadata").toString());
    assertTrue(t.api().atVolumeVersion("3.21", "GET", t.path("/volumes/" + id), null).body().path("volume")
        .has("provider_id"));
    assertTrue(!t.api().atVolumeVersion("3.20", "GET", t.path("/volumes/" + id), null).body().path("volume")
        .has("provider_id"));
    // 3.41: a snapshot shows its user
    String snapshot = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + id + "\"}}").body()
        .path("snapshot").path("id").asText();
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + snapshot)).body().path("snapshot").path("status")
        .asText().equals("available"));
    assertTrue(!t.api().atVolumeVersion("3.41", "GET", t.path("/snapshots/" + snapshot), null).body().path("snapshot")
        .path("user_id").asText().isEmpty());
    assertTrue(!t.api().atVolumeVersion("3.40", "GET", t.path("/snapshots/" + snapshot), null).body().path("snapshot")
        .has("user_id"));
    assertEquals(202, t.api().delete(t.path("/snapshots/" + snapshot)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots/" + snapshot)).status() == 404);
    // 3.23: a delete with force is the admins' force delete
    assertFault(t.api().atVolumeVersion("3.23", "DELETE", t.path("/volumes/" + id + "?force=true"), null), 403,
        "forbidden");
    assertEquals(202, admin.atVolumeVersion("3.23", "DELETE", t.path("/volumes/" + id + "?force=true"), null).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes/" + id)).status() == 404);
  }

  private static int gigabytesUsed(Tenant t) {
    return t.api().get(t.path("/limits")).body().path("limits").path("absolute").path("totalGigabytesUsed").asInt();
  }

  @Test
  void aVolumeIsMadeFromAnImageAndIsBootableWithTheImagesMetadata() throws Exception {
    Tenant t = newProject();
    String image = t.api().uploadImage("cirros-vol", "qcow2", TestImages.qcow2(files.resolve("small.qcow2"), "64M"));
    JsonNode shown = t.api().get("/image/v2/images/" + image).body();
    String id = create(t, "{\"volume\": {\"size\": 1, \"name\": \"boot\", \"imageRef\": \"" + image + "\"}}");
    JsonNode v = awaitStatus(t, id, "available");
    Api.Reply renamed = t.api().send("PUT", t.path("/volumes/" + id), "{\"volume\": {\"name\": \"boot\"}}");
    assertTrue(!renamed.body().path("volume").has("volume_image_metadata"), "as Cinder's update answers: " + renamed.raw());
    assertEquals("true", v.path("bootable").asText(), v.toString());
    JsonNode meta = v.path("volume_image_metadata");
    assertEquals(image, meta.path("image_id").asText(), v.toString());
    assertEquals("cirros-vol", meta.path("image_name").asText());
    assertEquals("qcow2", meta.path("disk_format").asText());
    assertEquals("bare", meta.path("container_format").asText());
    assertEquals("0", meta.path("min_disk").asText());
    assertEquals("0", meta.path("min_ram").asText());
    assertEquals(shown.path("size").asText(), meta.path("size").asText());
    assertEquals(shown.path("checksum").asText(), meta.path("checksum").asText());
    assertEquals("true", t.api().get(t.path("/volumes/detail")).body().path("volumes").get(0).path("bootable").asText());
    assertEquals(1, gigabytesUsed(t));
    // an image whose virtual size exceeds the volume: its host refuses to convert it, and the quota is given back
    String big = t.api().uploadImage("big", "qcow2", TestImages.qcow2(files.resolve("big.qcow2"), "2G"));
    String failed = create(t, "{\"volume\": {\"size\": 1, \"imageRef\": \"" + big + "\"}}");
    awaitStatus(t, failed, "error");
    Eventually.until(WAIT, () -> gigabytesUsed(t) == 1);
    assertEquals(202, t.api().delete(t.path("/volumes/" + failed)).status());
    assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes")).body().path("volumes").isEmpty());
    assertEquals(0, gigabytesUsed(t));
  }

  /** The round trip through the API: an image into a volume, the volume into a new image of the project. */
  @Test
  void aVolumeMadeFromAnImageIsUploadedIntoANewActiveImageOfItsProject() throws Exception {
    Tenant t = newProject();
    Path original = files.resolve("content.raw");
    byte[] content = new byte[2 * 1024 * 1024];
    new java.util.Random(12).nextBytes(content);
    java.nio.file.Files.write(original, content);
    String source = t.api().uploadImage("content", "raw", original);
    String volume = create(t, "{\"volume\": {\"size\": 1, \"imageRef\": \"" + source + "\"}}");
    JsonNode made = awaitStatus(t, volume, "available");
    Api.Reply r = t.api().post(t.path("/volumes/" + volume + "/action"), "{\"os-volume_upload_image\": {\"image_name\":"
        + " \"uploaded\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\", \"force\": false}}");
    assertEquals(202, r.status(), r.raw());
    JsonNode answer = r.body().path("os-volume_upload_image");
    assertEquals(volume, answer.path("id").asText(), r.raw());
    assertEquals("uploading", answer.path("status").asText());
    assertEquals("qcow2", answer.path("disk_format").asText());
    assertEquals("bare", answer.path("container_format").asText());
    assertEquals("uploaded", answer.path("image_name").asText());
    assertEquals(1, answer.path("size").asInt());
    assertTrue(answer.path("volume_type").isObject() && answer.has("updated_at") && answer.has("display_description"),
        r.raw());
    String image = answer.path("image_id").asText();
    JsonNode active = Eventually.await(WAIT, () -> {
      JsonNode i = t.api().get("/image/v2/images/" + image).body();
      return i.path("status").asText().equals("active") ? i : null;
    });
    assertEquals(t.projectId(), active.path("owner").asText(), active.toString());
    assertEquals("uploaded", active.path("name").asText());
    assertEquals("private", active.path("visibility").asText());
    assertEquals(made.path("volume_image_metadata").path("min_disk").asInt(), active.path("min_disk").asInt());
    awaitStatus(t, volume, "available");
    byte[] data = t.api().getBytes("/image/v2/images/" + image + "/file").body();
    assertEquals(data.length, active.path("size").asLong());
    assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data)),
        active.path("checksum").asText());
    Path uploaded = files.resolve("uploaded.qcow2");
    java.nio.file.Files.write(uploaded, data);
    // the test driver's volumes hold no bytes (SystemPoolBackendTest converts real ones): a qcow2 of the volume's size
    String info = TestImages.info(uploaded);
    assertTrue(info.contains("(1073741824 bytes)") && info.contains("file format: qcow2"), info);
  }

  @Test
  void anUploadIsRefusedForBadFormatsABusyVolumeAReaderAndAnotherProject() {
    Tenant t = newProject();
    String volume = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, volume, "available");
    String action = t.path("/volumes/" + volume + "/action");
    assertFault(t.api().post(action, "{\"os-volume_upload_image\": {\"image_name\": \"x\", \"disk_format\": \"vmdk\"}}"),
        400, "badRequest");
    assertFault(t.api().post(action, "{\"os-volume_upload_image\": {\"disk_format\": \"raw\"}}"), 400, "badRequest");
    assertFault(t.api().post(action, "{\"os-volume_upload_image\": {\"image_name\": \"x\", \"container_format\":"
        + " \"ovf\"}}"), 400, "badRequest");
    assertFault(t.api().post(action, "{\"os-volume_upload_image\": {\"image_name\": \"x\", \"visibility\":"
        + " \"public\"}}"), 403, "forbidden");
    assertEquals(202, t.api().post(action, "{\"os-reserve\": {}}").status());
    Api.Reply busy = t.api().post(action, "{\"os-volume_upload_image\": {\"image_name\": \"x\", \"force\": true}}");
    assertFault(busy, 400, "badRequest");
    assertEquals("Invalid volume: Volume " + volume + " status must be available or in-use.",
        busy.body().path("badRequest").path("message").asText(), busy.raw());
    assertEquals(202, t.api().post(action, "{\"os-unreserve\": {}}").status());
    Tenant other = newProject();
    assertFault(other.api().post(other.path("/volumes/" + volume + "/action"),
        "{\"os-volume_upload_image\": {\"image_name\": \"stolen\"}}"), 404, "itemNotFound");
    assertFault(other.api().post(t.path("/volumes/" + volume + "/action"),
        "{\"os-volume_upload_image\": {\"image_name\": \"stolen\"}}"), 404, "itemNotFound");
    String reader = "reader-" + UUID.randomUUID().toString().substring(0, 8);
    String userId = admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + reader + "\", \"password\": \"pw-"
        + reader + "\", \"default_project_id\": \"" + t.projectId() + "\"}}").body().path("user").path("id").asText();
    String roleId = admin.get("/identity/v3/roles?name=reader").body().path("roles").get(0).path("id").asText();
    assertEquals(204, admin.put("/identity/v3/projects/" + t.projectId() + "/users/" + userId + "/roles/" + roleId).status());
    String project = admin.get("/identity/v3/projects/" + t.projectId()).body().path("project").path("name").asText();
    Api readerApi = admin.as(reader, "pw-" + reader, project);
    assertFault(readerApi.post(action, "{\"os-volume_upload_image\": {\"image_name\": \"x\"}}"), 403, "forbidden");
    assertEquals("available", awaitStatus(t, volume, "available").path("status").asText());
    assertTrue(t.api().get("/image/v2/images?owner=" + t.projectId()).body().path("images").isEmpty(),
        "no refused upload made an image");
  }

  @Test
  void aServerBootsFromANewVolumeItsBuildMakesFromAnImageInItsProjectAndQuota() throws Exception {
    Tenant t = newProject();
    Tenant other = newProject();
    String image = t.api().uploadImage("bfv-image", "qcow2", TestImages.qcow2(files.resolve("bfv.qcow2"), "64M"));
    String mapping = "{\"source_type\": \"image\", \"destination_type\": \"volume\", \"uuid\": \"" + image
        + "\", \"boot_index\": 0, \"volume_size\": 1, \"delete_on_termination\": true}";
    // a private image of another project is not found; a new volume needs a size
    assertBadMapping(bootFrom(other, mapping), "Block Device Mapping is Invalid: failed to get image " + image + ".");
    assertBadMapping(bootFrom(t, mapping.replace("\"volume_size\": 1, ", "")),
        "Images with destination_type 'volume' need to have a non-zero size specified");
    assertTrue(t.api().get(t.path("/volumes")).body().path("volumes").isEmpty());

    Api.Reply created = bootFrom(t, mapping);
    assertEquals(202, created.status(), created.raw());
    String server = created.body().path("server").path("id").asText();
    JsonNode active = t.api().awaitStatus(server, "ACTIVE", WAIT);
    assertEquals("", active.path("image").asText("not a string"), active.toString());
    String volume = active.path("os-extended-volumes:volumes_attached").get(0).path("id").asText();
    JsonNode inUse = awaitStatus(t, volume, "in-use");
    assertEquals("true", inUse.path("bootable").asText(), inUse.toString());
    assertEquals(image, inUse.path("volume_image_metadata").path("image_id").asText(), inUse.toString());
    assertEquals("/dev/vda", inUse.path("attachments").get(0).path("device").asText(), inUse.toString());
    assertEquals(1, gigabytesUsed(t), "the new volume counts in the project's volume quota");

    assertEquals(204, t.api().delete("/compute/v2.1/servers/" + server).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/volumes/" + volume)).status() == 404);
    Eventually.until(WAIT, () -> gigabytesUsed(t) == 0);
  }

  /** An image of {@code body}'s attributes and properties, with {@code bytes} uploaded as its data; answers its id. */
  private static String imageOf(Tenant t, String body, byte[] bytes) {
    Api.Reply r = t.api().post("/image/v2/images", body);
    assertEquals(201, r.status(), r.raw());
    String id = r.body().path("id").asText();
    Api.Reply uploaded = t.api().putBytes("/image/v2/images/" + id + "/file", bytes);
    assertEquals(204, uploaded.status(), uploaded.raw());
    return id;
  }

  private static String kernelImage(Tenant t, String format, String name) {
    return imageOf(t, "{\"name\": \"" + name + "\", \"disk_format\": \"" + format + "\", \"container_format\": \""
        + format + "\"}", (name + " bytes").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** A qcow2 root image whose properties are {@code properties} (JSON members). */
  private static String rootImage(Tenant t, String name, String properties) throws Exception {
    return imageOf(t, "{\"name\": \"" + name + "\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\", "
        + properties + "}", java.nio.file.Files.readAllBytes(TestImages.qcow2(files.resolve(name + ".qcow2"), "16M")));
  }

  /** Uploads the volume into a new qcow2 image and waits until the image is active; answers the image. */
  private static JsonNode uploaded(Tenant t, String volume, String name) {
    Api.Reply r = t.api().post(t.path("/volumes/" + volume + "/action"), "{\"os-volume_upload_image\": {\"image_name\":"
        + " \"" + name + "\", \"disk_format\": \"qcow2\"}}");
    assertEquals(202, r.status(), r.raw());
    String image = r.body().path("os-volume_upload_image").path("image_id").asText();
    JsonNode active = Eventually.await(WAIT, () -> {
      JsonNode i = t.api().get("/image/v2/images/" + image).body();
      return i.path("status").asText().equals("active") ? i : null;
    });
    awaitStatus(t, volume, "available");
    return active;
  }

  /** The kernel the server's domain boots, as its definition names it (empty: none). */
  private static String bootedKernel(String server) {
    String domain = node.hypervisor().definition("nimbus-" + server).orElseThrow();
    int at = domain.indexOf("<kernel>");
    return at < 0 ? "" : domain.substring(at + "<kernel>".length(), domain.indexOf("</kernel>"));
  }

  /**
   * Cinder keeps the image's properties in the volume's glance metadata: the volume shows them in
   * volume_image_metadata; a server booted later from the volume (as Nova reads its image properties
   * there) boots its kernel_id and ramdisk_id; an image uploaded from it gets them, less Cinder's
   * core properties, and a server booted from that image boots the same kernel.
   */
  @Test
  void aVolumeKeepsItsImagesPropertiesForABootFromItAndForAnImageUploadedFromIt() throws Exception {
    Tenant t = newProject();
    String kernel = kernelImage(t, "aki", "vol-kernel");
    String ramdisk = kernelImage(t, "ari", "vol-ramdisk");
    String kernelHash = t.api().get("/image/v2/images/" + kernel).body().path("os_hash_value").asText();
    String image = rootImage(t, "with-kernel", "\"kernel_id\": \"" + kernel + "\", \"ramdisk_id\": \"" + ramdisk
        + "\", \"os_distro\": \"nimbus\", \"image_name\": \"a property, not the name\"");
    String volume = create(t, "{\"volume\": {\"size\": 1, \"imageRef\": \"" + image + "\"}}");
    JsonNode meta = awaitStatus(t, volume, "available").path("volume_image_metadata");
    assertEquals(kernel, meta.path("kernel_id").asText(), meta.toString());
    assertEquals(ramdisk, meta.path("ramdisk_id").asText(), meta.toString());
    assertEquals("nimbus", meta.path("os_distro").asText(), meta.toString());
    assertEquals("with-kernel", meta.path("image_name").asText(), "the image's own attribute wins: " + meta);
    assertEquals(image, meta.path("image_id").asText(), meta.toString());

    Api.Reply created = bootFrom(t, volumeMapping(volume, "0", false));
    assertEquals(202, created.status(), created.raw());
    String server = created.body().path("server").path("id").asText();
    t.api().awaitStatus(server, "ACTIVE", WAIT);
    assertTrue(bootedKernel(server).endsWith("_base/" + kernelHash), "the volume's kernel_id boots it: " + bootedKernel(server));
    assertTrue(node.hypervisor().definition("nimbus-" + server).orElseThrow().contains("<initrd>"), "and its ramdisk_id");
    assertEquals(204, t.api().delete("/compute/v2.1/servers/" + server).status());
    awaitStatus(t, volume, "available");

    JsonNode fromVolume = uploaded(t, volume, "from-volume");
    assertEquals(kernel, fromVolume.path("kernel_id").asText(), fromVolume.toString());
    assertEquals(ramdisk, fromVolume.path("ramdisk_id").asText(), fromVolume.toString());
    assertEquals("nimbus", fromVolume.path("os_distro").asText(), fromVolume.toString());
    assertEquals("from-volume", fromVolume.path("name").asText());
    assertFalse(fromVolume.has("image_name") || fromVolume.has("image_id"), "Cinder's core properties stay: " + fromVolume);
    String booted = t.api().post("/compute/v2.1/servers", "{\"server\": {\"name\": \"from-uploaded\", \"imageRef\": \""
        + fromVolume.path("id").asText() + "\", \"flavorRef\": \"42\"}}").body().path("server").path("id").asText();
    t.api().awaitStatus(booted, "ACTIVE", WAIT);
    assertTrue(bootedKernel(booted).endsWith("_base/" + kernelHash), bootedKernel(booted));
    assertEquals(204, t.api().delete("/compute/v2.1/servers/" + booted).status());

    // a volume not made from an image boots by itself, as before
    String blank = create(t, "{\"volume\": {\"size\": 1}}");
    awaitStatus(t, blank, "available");
    String plain = bootFrom(t, volumeMapping(blank, "0", true)).body().path("server").path("id").asText();
    t.api().awaitStatus(plain, "ACTIVE", WAIT);
    assertEquals("", bootedKernel(plain));
    assertEquals(204, t.api().delete("/compute/v2.1/servers/" + plain).status());
  }

  /**
   * The attack: a tenant's image names another project's private kernel (or a host path) as its
   * kernel_id, a volume keeps that, and a server booted from the volume, or from an image uploaded
   * from it, would boot that kernel. The value is resolved as the caller's image, as on an image
   * boot: not found, a 400, and nothing boots.
   */
  @Test
  void aVolumesKernelIdNamingAnotherProjectsPrivateKernelOrAPathBootsNothing() throws Exception {
    Tenant owner = newProject();
    Tenant attacker = newProject();
    String privateKernel = kernelImage(owner, "aki", "private-kernel");
    for (String named : List.of(privateKernel, "/etc/shadow", "../../../../etc/shadow")) {
      String image = rootImage(attacker, "stolen-" + UUID.randomUUID().toString().substring(0, 8),
          "\"kernel_id\": \"" + named + "\"");
      String volume = create(attacker, "{\"volume\": {\"size\": 1, \"imageRef\": \"" + image + "\"}}");
      assertEquals(named, awaitStatus(attacker, volume, "available").path("volume_image_metadata").path("kernel_id")
          .asText(), "Cinder keeps the value as it was given");
      Api.Reply refused = bootFrom(attacker, volumeMapping(volume, "0", false));
      assertFault(refused, 400, "badRequest");
      assertEquals("Can not find requested image", refused.body().path("badRequest").path("message").asText(),
          refused.raw());

      JsonNode carried = uploaded(attacker, volume, "carried");
      assertEquals(named, carried.path("kernel_id").asText(), carried.toString());
      Api.Reply again = attacker.api().post("/compute/v2.1/servers", "{\"server\": {\"name\": \"x\", \"imageRef\": \""
          + carried.path("id").asText() + "\", \"flavorRef\": \"42\"}}");
      assertFault(again, 400, "badRequest");
      assertEquals("available", awaitStatus(attacker, volume, "available").path("status").asText(), "nothing reserved");
    }
    assertTrue(attacker.api().get("/compute/v2.1/servers").body().path("servers").isEmpty(), "no server was made");
  }

  @Test
  void imagesAProjectMayNotUseOrThatDoNotFitAreRefusedWith400() throws Exception {
    Tenant owner = newProject();
    Tenant other = newProject();
    String image = owner.api().uploadImage("private", "qcow2", TestImages.qcow2(files.resolve("private.qcow2"), "1M"));
    Api.Reply r = other.api().post(other.path("/volumes"), "{\"volume\": {\"size\": 1, \"imageRef\": \"" + image + "\"}}");
    assertFault(r, 400, "badRequest");
    assertEquals("Invalid image identifier or unable to access requested image.",
        r.body().path("badRequest").path("message").asText());
    r = other.api().post(other.path("/volumes"), "{\"volume\": {\"size\": 1, \"imageRef\": \"" + UUID.randomUUID() + "\"}}");
    assertEquals("Invalid image identifier or unable to access requested image.",
        r.body().path("badRequest").path("message").asText(), r.raw());
    String queued = owner.api().createImage("queued", "qcow2");
    r = owner.api().post(owner.path("/volumes"), "{\"volume\": {\"size\": 1, \"imageRef\": \"" + queued + "\"}}");
    assertFault(r, 400, "badRequest");
    assertEquals("Invalid input received: Image " + queued + " is not active.", r.body().path("badRequest").path("message").asText());
    Api.Reply patched = owner.api().jsonPatch("/image/v2/images/" + image,
        "[{\"op\": \"replace\", \"path\": \"/min_disk\", \"value\": 5}]");
    assertEquals(200, patched.status(), patched.raw());
    r = owner.api().post(owner.path("/volumes"), "{\"volume\": {\"size\": 1, \"imageRef\": \"" + image + "\"}}");
    assertEquals("Invalid input received: Volume size 1GB cannot be smaller than the image minDisk size 5GB.",
        r.body().path("badRequest").path("message").asText(), r.raw());
    assertFault(owner.api().post(owner.path("/volumes"), "{\"volume\": {\"imageRef\": \"" + image + "\"}}"),
        400, "badRequest");
    assertEquals(0, gigabytesUsed(owner));
    assertEquals(0, gigabytesUsed(other));
  }

  @Test
  void aQcow2WhoseBackingFileNamesAHostFileNeverBecomesAVolume() throws Exception {
    Tenant t = newProject();
    Path secret = files.resolve("host-secret");
    java.nio.file.Files.writeString(secret, "the host's secret");
    Path hostile = TestImages.create(files.resolve("hostile.qcow2"), "1M", "-f", "qcow2", "-u", "-F", "raw", "-b",
        secret.toString());
    String image = t.api().createImage("hostile", "qcow2");
    assertEquals(400, t.api().putBytes("/image/v2/images/" + image + "/file", java.nio.file.Files.readAllBytes(hostile))
        .status(), "refused at upload");
    Api.Reply r = t.api().post(t.path("/volumes"), "{\"volume\": {\"size\": 1, \"imageRef\": \"" + image + "\"}}");
    assertFault(r, 400, "badRequest");
    assertEquals("Invalid input received: Image " + image + " is not active.", r.body().path("badRequest").path("message").asText());
    assertTrue(t.api().get(t.path("/volumes")).body().path("volumes").isEmpty());
  }

  private static List<String> names(JsonNode rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.path("name").asText()));
    return out;
  }

  @Test
  void listsSortByCindersKeysAndPageByMarkerOffsetAndNextLinks() {
    Tenant t = newProject();
    List<String> ids = new ArrayList<>();
    for (String[] nv : new String[][] {{"b", "2"}, {"a", "1"}, {"c", "1"}}) {
      ids.add(create(t, "{\"volume\": {\"size\": " + nv[1] + ", \"name\": \"" + nv[0] + "\"}}"));
    }
    for (String id : ids) awaitStatus(t, id, "available");
    assertEquals(List.of("a", "b", "c"), names(t.api().get(t.path("/volumes?sort=name:asc")).body().path("volumes")));
    assertEquals(List.of("c", "b", "a"), names(t.api().get(t.path("/volumes/detail?sort_key=name&sort_dir=desc")).body()
        .path("volumes")));
    assertEquals(List.of("a", "c", "b"), names(t.api().get(t.path("/volumes/detail?sort=size:asc,name:asc")).body()
        .path("volumes")), "a second key breaks the first's ties");
    assertEquals(List.of("c", "a", "b"), names(t.api().get(t.path("/volumes?sort=size:asc,name")).body().path("volumes")),
        "a key without a direction is descending");
    List<String> sortedIds = new ArrayList<>(ids);
    java.util.Collections.sort(sortedIds);
    JsonNode byId = t.api().get(t.path("/volumes?sort=id:asc")).body().path("volumes");
    assertEquals(sortedIds.get(0), byId.get(0).path("id").asText());
    // the first page is full: a next link carries the query on, from its last volume
    JsonNode first = t.api().get(t.path("/volumes?sort=name:asc&limit=2")).body();
    assertEquals(List.of("a", "b"), names(first.path("volumes")));
    JsonNode next = first.path("volumes_links").get(0);
    assertEquals("next", next.path("rel").asText(), first.toString());
    String href = next.path("href").asText();
    assertTrue(href.contains("/volume/v3/" + t.projectId() + "/volumes?") && href.contains("sort=name%3Aasc")
        && href.contains("marker=" + first.path("volumes").get(1).path("id").asText()), href);
    JsonNode second = t.api().get(href.substring(href.indexOf("/volume/v3/"))).body();
    assertEquals(List.of("c"), names(second.path("volumes")));
    assertTrue(second.path("volumes_links").isMissingNode(), "the last page has no next link: " + second);
    assertEquals(List.of("b", "c"), names(t.api().get(t.path("/volumes?sort=name:asc&offset=1")).body().path("volumes")));
    assertEquals(List.of("c"), names(t.api().get(t.path("/volumes?sort=name:asc&offset=1&marker=" + ids.get(1))).body()
        .path("volumes")), "the offset counts from the marker");
    assertTrue(t.api().get(t.path("/volumes?offset=5")).body().path("volumes").isEmpty());
    Api.Reply bad = t.api().get(t.path("/volumes?sort=nosuchkey:asc"));
    assertFault(bad, 400, "badRequest");
    assertEquals("Invalid input received: Invalid sort key", bad.body().path("badRequest").path("message").asText());
    bad = t.api().get(t.path("/volumes/detail?sort=name:sideways"));
    assertEquals("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.",
        bad.body().path("badRequest").path("message").asText(), bad.raw());
    assertFault(t.api().get(t.path("/volumes?sort=name&sort_key=size")), 400, "badRequest");
    assertFault(t.api().get(t.path("/volumes?offset=-1")), 400, "badRequest");
    assertFault(t.api().get(t.path("/volumes?offset=x")), 400, "badRequest");
    // snapshots sort and page the same way
    List<String> snaps = new ArrayList<>();
    for (String name : List.of("s-b", "s-a", "s-c")) {
      Api.Reply made = t.api().post(t.path("/snapshots"), "{\"snapshot\": {\"volume_id\": \"" + ids.get(0)
          + "\", \"name\": \"" + name + "\"}}");
      assertEquals(202, made.status(), made.raw());
      snaps.add(made.body().path("snapshot").path("id").asText());
    }
    for (String id : snaps) awaitSnapshot(t, id, "available");
    assertEquals(List.of("s-a", "s-b", "s-c"), names(t.api().get(t.path("/snapshots?sort=name:asc")).body()
        .path("snapshots")));
    assertEquals(List.of("s-c", "s-b", "s-a"), names(t.api().get(t.path("/snapshots/detail?sort_key=display_name"
        + "&sort_dir=desc")).body().path("snapshots")));
    JsonNode page = t.api().get(t.path("/snapshots/detail?sort=name:asc&limit=1&offset=1")).body();
    assertEquals(List.of("s-b"), names(page.path("snapshots")));
    assertTrue(page.path("snapshots_links").get(0).path("href").asText().contains("/snapshots/detail?"), page.toString());
    assertFault(t.api().get(t.path("/snapshots?sort=nosuchkey")), 400, "badRequest");
    assertFault(t.api().get(t.path("/snapshots?marker=" + UUID.randomUUID())), 404, "itemNotFound");
    for (String id : snaps) assertEquals(202, t.api().delete(t.path("/snapshots/" + id)).status());
    Eventually.until(WAIT, () -> t.api().get(t.path("/snapshots")).body().path("snapshots").isEmpty());
    for (String id : ids) assertEquals(202, t.api().delete(t.path("/volumes/" + id)).status());
  }
}
