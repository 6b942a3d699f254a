package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the fuzz test aims at: the fuzzing project's own resources and those of another project.
 * Generated requests name them by marker ({@code @{server.own}}), resolved when a request is
 * sent: the fuzzer may delete its own resources, and each property gets fresh ones.
 */
final class FuzzTargets {
  private static final Pattern MARKER = Pattern.compile("@\\{([a-z]+\\.[a-z]+)\\}");
  private static final Duration WAIT = Duration.ofSeconds(30);
  static final String PUBLIC_KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O fuzz@nimbus";

  /** Each placeholder of a route's path, and the markers it may be filled with. */
  static final Map<String, List<String>> POOLS = Map.ofEntries(
      Map.entry("server", List.of("@{server.own}", "@{server.other}")),
      Map.entry("image", List.of("@{image.own}", "@{image.other}", "@{image.shared}", "@{image.public}")),
      Map.entry("keypair", List.of("@{keypair.own}", "@{keypair.other}")),
      Map.entry("group", List.of("@{group.own}", "@{group.other}")),
      Map.entry("project", List.of("@{project.own}", "@{project.other}")),
      Map.entry("user", List.of("@{user.own}", "@{user.other}")),
      Map.entry("role", List.of("@{role.member}")),
      Map.entry("domain", List.of("default")),
      Map.entry("flavor", List.of("42", "84", "1")),
      Map.entry("hypervisor", List.of("@{hypervisor.id}")),
      Map.entry("network", List.of("@{network.own}", "@{network.other}", "@{network.shared}")),
      Map.entry("subnet", List.of("@{subnet.own}", "@{subnet.other}", "@{subnet.shared}")),
      Map.entry("port", List.of("@{port.own}", "@{port.other}")),
      Map.entry("secgroup", List.of("@{secgroup.own}", "@{secgroup.other}")),
      Map.entry("secrule", List.of("@{secrule.own}", "@{secrule.other}")),
      Map.entry("router", List.of("@{router.own}", "@{router.other}")),
      Map.entry("floatingip", List.of("@{floatingip.own}", "@{floatingip.other}")),
      Map.entry("volume", List.of("@{volume.own}", "@{volume.other}")),
      Map.entry("snapshot", List.of("@{snapshot.own}", "@{snapshot.other}")),
      Map.entry("backup", List.of("@{backup.own}", "@{backup.other}")),
      Map.entry("attachment", List.of("@{attachment.other}")),
      Map.entry("volumetype", List.of("@{volumetype.default}", "@{volumetype.private}")));

  final Api admin;
  final Api fuzzer;
  final Api other;
  private final Map<String, String> ids = new ConcurrentHashMap<>();
  private int generation;

  private FuzzTargets(Api admin, Api fuzzer, Api other) {
    this.admin = admin;
    this.fuzzer = fuzzer;
    this.other = other;
  }

  /**
   * Two projects with a member each. The other one holds a server, a private image, an image
   * shared with the fuzzing project, a keypair and a server group for the fuzzer to aim at.
   */
  static FuzzTargets create(Node node, Api admin) {
    admin.createUserInProject("fuzzer", "fuzzer-pw", "fuzz", "member");
    admin.createUserInProject("bystander", "bystander-pw", "bystanders", "member");
    FuzzTargets t = new FuzzTargets(admin, new Api(node.apiUrl()).as("fuzzer", "fuzzer-pw", "fuzz"),
        new Api(node.apiUrl()).as("bystander", "bystander-pw", "bystanders"));
    t.ids.put("project.own", projectId(admin, "fuzz"));
    t.ids.put("project.other", projectId(admin, "bystanders"));
    t.ids.put("user.own", admin.get("/identity/v3/users?name=fuzzer").body().path("users").get(0).path("id").asText());
    t.ids.put("user.other", admin.get("/identity/v3/users?name=bystander").body().path("users").get(0).path("id").asText());
    t.ids.put("role.member", admin.get("/identity/v3/roles?name=member").body().path("roles").get(0).path("id").asText());
    t.ids.put("image.public", Api.TEST_IMAGE);
    t.ids.put("token.fuzzer", t.fuzzer.token());
    t.ids.put("token.other", t.other.token());
    t.ids.put("hypervisor.id", admin.get("/compute/v2.1/os-hypervisors").body().path("hypervisors").get(0).path("id").asText());

    // servers the fuzzer manages to create stay few: past these, creates answer 403
    t.setQuota(t.id("project.own"), 6);
    t.setQuota(projectId(admin, "admin"), 4);
    // every property makes its own security group, router and floating IP: no limit to run into
    expect(200, admin.send("PUT", "/network/v2.0/quotas/" + t.id("project.own"), "{\"quota\": {\"security_group\": -1, "
        + "\"security_group_rule\": -1, \"router\": -1, \"floatingip\": -1}}"));

    // each property makes its own volume, whatever the fuzzer made before: no volume quota to run into
    expect(200, admin.send("PUT", "/volume/v3/" + projectId(admin, "admin") + "/os-quota-sets/" + t.id("project.own"),
        "{\"quota_set\": {\"volumes\": -1, \"gigabytes\": -1, \"snapshots\": -1, \"backups\": -1, \"backup_gigabytes\": -1}}"));
    t.ids.put("server.other", serverWithoutNic(t.other, "bystanders-server"));
    t.ids.put("image.other", t.image(t.other, "bystanders-private", "private"));
    t.ids.put("image.shared", t.image(t.other, "bystanders-shared", "shared"));
    expect(200, t.other.post("/image/v2/images/" + t.id("image.shared") + "/members",
        "{\"member\": \"" + t.id("project.own") + "\"}"));
    t.ids.put("keypair.other", t.keypair(t.other, "bystanders-key"));
    t.ids.put("group.other", t.group(t.other, "bystanders-group"));
    t.network(t.other, "other", "10.55.0.0/24");
    t.ids.put("port.other", expect(201, t.other.post("/network/v2.0/ports", "{\"port\": {\"network_id\": \""
        + t.id("network.other") + "\"}}")).path("port").path("id").asText());
    t.securityGroup(t.other, "other");
    t.network(admin, "external", "10.57.0.0/24");
    expect(200, admin.send("PUT", "/network/v2.0/networks/" + t.id("network.external"),
        "{\"network\": {\"router:external\": true}}"));
    t.ids.put("router.other", t.router(t.other));
    t.ids.put("floatingip.other", t.floatingIp(t.other));
    t.network(admin, "shared", "10.56.0.0/24");
    expect(200, admin.send("PUT", "/network/v2.0/networks/" + t.id("network.shared"), "{\"network\": {\"shared\": true}}"));
    t.ids.put("volume.other", volume(t.other, t.id("project.other")));
    t.ids.put("volumetype.default", nimbus.storage.VolumeType.DEFAULT_ID);
    t.ids.put("volumetype.private", expect(200, admin.post("/volume/v3/" + projectId(admin, "admin") + "/types",
        "{\"volume_type\": {\"name\": \"bystanders-type\", \"os-volume-type-access:is_public\": false}}"))
        .path("volume_type").path("id").asText());
    t.ids.put("snapshot.other", snapshot(t.other, t.id("project.other"), t.id("volume.other")));
    t.ids.put("backup.other", backup(t.other, t.id("project.other"), volume(t.other, t.id("project.other"))));
    t.ids.put("attachment.other", attachment(t.other, t.id("project.other"), volume(t.other, t.id("project.other"))));
    t.other.awaitStatus(t.id("server.other"), "ACTIVE", WAIT);
    return t;
  }

  /** A server with no NIC: the projects see several networks, and Nova's rule wants one named otherwise. */
  static String serverWithoutNic(Api api, String name) {
    Api.Reply r = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"" + name + "\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"networks\": \"none\"}}");
    if (r.status() != 202) throw new AssertionError("create answered " + r.status() + ": " + r.raw());
    return r.body().path("server").path("id").asText();
  }

  /** Fresh resources of the fuzzing project's own, before each property (the last one's may be gone). */
  void refreshOwn() {
    generation++;
    ids.put("server.own", serverWithoutNic(fuzzer, "fuzz-own-" + generation));
    ids.put("image.own", image(fuzzer, "fuzz-own-" + generation, "private"));
    ids.put("keypair.own", keypair(fuzzer, "fuzz-own-" + generation));
    ids.put("group.own", group(fuzzer, "fuzz-own-" + generation));
    network(fuzzer, "own", "10.66.0.0/24");
    ids.put("port.own", expect(201, fuzzer.post("/network/v2.0/ports", "{\"port\": {\"network_id\": \""
        + id("network.own") + "\"}}")).path("port").path("id").asText());
    securityGroup(fuzzer, "own");
    ids.put("router.own", router(fuzzer));
    ids.put("floatingip.own", floatingIp(fuzzer));
    ids.put("volume.own", volume(fuzzer, id("project.own")));
    ids.put("snapshot.own", snapshot(fuzzer, id("project.own"), volume(fuzzer, id("project.own"))));
    ids.put("backup.own", backup(fuzzer, id("project.own"), volume(fuzzer, id("project.own"))));
  }

  /** A backup of the volume once it is available (its own volume, as a snapshot's). */
  private static String backup(Api api, String projectId, String volumeId) {
    String base = "/volume/v3/" + projectId;
    Eventually.until(WAIT, () -> api.get(base + "/volumes/" + volumeId).body().path("volume").path("status").asText()
        .equals("available"));
    return expect(202, api.post(base + "/backups", "{\"backup\": {\"volume_id\": \"" + volumeId + "\"}}"))
        .path("backup").path("id").asText();
  }

  /** A snapshot of the volume once it is available (its own volume: a property may delete {@code volume.own}). */
  private static String snapshot(Api api, String projectId, String volumeId) {
    String base = "/volume/v3/" + projectId;
    Eventually.until(WAIT, () -> api.get(base + "/volumes/" + volumeId).body().path("volume").path("status").asText()
        .equals("available"));
    return expect(202, api.post(base + "/snapshots", "{\"snapshot\": {\"volume_id\": \"" + volumeId + "\"}}"))
        .path("snapshot").path("id").asText();
  }

  /** An attachment (Cinder's attachments API, reserved) of the volume once it is available. */
  private static String attachment(Api api, String projectId, String volumeId) {
    String base = "/volume/v3/" + projectId;
    Eventually.until(WAIT, () -> api.get(base + "/volumes/" + volumeId).body().path("volume").path("status").asText()
        .equals("available"));
    return expect(200, api.atVolumeVersion("3.44", "POST", base + "/attachments", "{\"attachment\": {\"volume_uuid\": \""
        + volumeId + "\"}}")).path("attachment").path("id").asText();
  }

  /** A volume of 1 GB in the project. */
  private static String volume(Api api, String projectId) {
    return expect(202, api.post("/volume/v3/" + projectId + "/volumes", "{\"volume\": {\"size\": 1}}"))
        .path("volume").path("id").asText();
  }

  /** A security group, as {@code secgroup.WHO}, and one of its rules as {@code secrule.WHO}. */
  private void securityGroup(Api api, String who) {
    JsonNode g = expect(201, api.post("/network/v2.0/security-groups", "{\"security_group\": {\"name\": \"fuzz-"
        + who + "-" + generation + "\"}}")).path("security_group");
    ids.put("secgroup." + who, g.path("id").asText());
    ids.put("secrule." + who, g.path("security_group_rules").get(0).path("id").asText());
  }

  /** A router with a gateway on the external network. */
  private String router(Api api) {
    return expect(201, api.post("/network/v2.0/routers", "{\"router\": {\"name\": \"fuzz\", "
        + "\"external_gateway_info\": {\"network_id\": \"" + id("network.external") + "\"}}}"))
        .path("router").path("id").asText();
  }

  private String floatingIp(Api api) {
    return expect(201, api.post("/network/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
        + id("network.external") + "\"}}")).path("floatingip").path("id").asText();
  }

  /** A network with a subnet of {@code cidr}, as {@code network.WHO} and {@code subnet.WHO}. */
  private void network(Api api, String who, String cidr) {
    String network = expect(201, api.post("/network/v2.0/networks", "{\"network\": {\"name\": \"fuzz-" + who
        + "\"}}")).path("network").path("id").asText();
    ids.put("network." + who, network);
    ids.put("subnet." + who, expect(201, api.post("/network/v2.0/subnets", "{\"subnet\": {\"network_id\": \""
        + network + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\"}}")).path("subnet").path("id").asText());
  }

  /** Deletes every server of the fuzzing project and waits until they are gone and their quota freed. */
  void deleteOwnServers() {
    Eventually.until(WAIT, () -> {
      JsonNode servers = fuzzer.get("/compute/v2.1/servers").body().path("servers");
      // as admin: a server the fuzzer locked is still the test's to remove
      servers.findValuesAsText("id").forEach(id -> admin.delete("/compute/v2.1/servers/" + id));
      // the quota counts what the list (the read side) may not show yet
      return servers.isEmpty() && fuzzer.get("/compute/v2.1/limits").body()
          .path("limits").path("absolute").path("totalInstancesUsed").asInt(-1) == 0;
    });
  }

  String id(String name) {
    String id = ids.get(name);
    if (id == null) throw new IllegalArgumentException("no target " + name);
    return id;
  }

  /** {@code text} with each marker replaced by the id it stands for now. */
  String resolve(String text) {
    Matcher m = MARKER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(id(m.group(1))));
    m.appendTail(out);
    return out.toString();
  }

  private static String projectId(Api admin, String name) {
    return admin.get("/identity/v3/projects?name=" + name).body().path("projects").get(0).path("id").asText();
  }

  private void setQuota(String projectId, int instances) {
    expect(200, admin.send("PUT", "/compute/v2.1/os-quota-sets/" + projectId,
        "{\"quota_set\": {\"instances\": " + instances + ", \"cores\": 1000, \"ram\": 10000000}}"));
  }

  private String image(Api api, String name, String visibility) {
    return expect(201, api.post("/image/v2/images", "{\"name\": \"" + name + "\", \"disk_format\": \"raw\", "
        + "\"container_format\": \"bare\", \"visibility\": \"" + visibility + "\", \"tags\": [\"t\"]}")).path("id").asText();
  }

  private String keypair(Api api, String name) {
    expect(200, api.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"" + name + "\", \"public_key\": \""
        + PUBLIC_KEY + "\"}}"));
    return name;
  }

  private String group(Api api, String name) {
    return expect(200, api.post("/compute/v2.1/os-server-groups",
        "{\"server_group\": {\"name\": \"" + name + "\", \"policies\": [\"affinity\"]}}"))
        .path("server_group").path("id").asText();
  }

  static JsonNode expect(int status, Api.Reply r) {
    assertEquals(status, r.status(), r.raw());
    return r.body();
  }
}
