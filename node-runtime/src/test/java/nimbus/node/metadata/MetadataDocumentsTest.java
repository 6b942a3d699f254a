package nimbus.node.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.compute.InstanceMetadata;
import org.junit.jupiter.api.Test;

class MetadataDocumentsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVER = "5f0c3a5e-2b1d-4c7e-9a41-0d2f6e8b7c11";
  private static final String PORT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
  private static final String NETWORK = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9v alice@laptop";
  private static final byte[] USER_DATA = "#cloud-config\nhostname: x\n\u00ff\u0000".getBytes(StandardCharsets.ISO_8859_1);

  private static InstanceMetadata instance(String name, Map<String, String> meta, boolean withKey, boolean withUserData) {
    return new InstanceMetadata(SERVER, name, "proj-1", "zone-a", meta,
        withKey ? Optional.of("alice") : Optional.empty(), withKey ? Optional.of(KEY) : Optional.empty(),
        withUserData ? Optional.of(Base64.getEncoder().encodeToString(USER_DATA)) : Optional.empty(), false);
  }

  private static GuestNic nic(boolean dhcp) {
    return new GuestNic(PORT, "fa:16:3e:00:00:01", NETWORK, 1450, List.of(
        new GuestNic.Address("10.0.0.5", "10.0.0.0/24", Optional.of("10.0.0.1"), List.of("10.0.0.2", "9.9.9.9"),
            List.of(new GuestNic.Route("192.168.0.0/16", "10.0.0.254")), dhcp, Optional.empty()),
        new GuestNic.Address("fd00::5", "fd00::/64", Optional.of("fd00::1"), List.of("9.9.9.9"), List.of(),
            false, Optional.of("slaac"))));
  }

  private static MetadataDocuments docs() {
    return MetadataDocuments.of(instance("web 1", Map.of("role", "db"), true, true), List.of(nic(false)));
  }

  private static JsonNode json(MetadataDocuments d, String path) throws Exception {
    MetadataDocuments.Document doc = d.at(path).orElseThrow(() -> new AssertionError("no document at " + path));
    return JSON.readTree(doc.bytes());
  }

  private static String text(MetadataDocuments d, String path) {
    return d.at(path).orElseThrow(() -> new AssertionError("no document at " + path)).text();
  }

  @Test
  void metaDataJsonHasWhoTheGuestIs() throws Exception {
    MetadataDocuments d = docs();
    assertEquals(MetadataDocuments.JSON, d.at("/openstack/latest/meta_data.json").orElseThrow().contentType());
    JsonNode md = json(d, "/openstack/latest/meta_data.json");
    assertEquals(SERVER, md.get("uuid").asText());
    assertEquals("web 1", md.get("name").asText());
    assertEquals("web-1", md.get("hostname").asText());
    assertEquals("proj-1", md.get("project_id").asText());
    assertEquals("zone-a", md.get("availability_zone").asText());
    assertEquals(0, md.get("launch_index").asInt());
    assertEquals("db", md.get("meta").get("role").asText());
    assertEquals(KEY, md.get("public_keys").get("alice").asText());
    assertEquals(1, md.get("keys").size());
    assertEquals("alice", md.get("keys").get(0).get("name").asText());
    assertEquals("ssh", md.get("keys").get(0).get("type").asText());
    assertEquals(KEY, md.get("keys").get(0).get("data").asText());
    assertTrue(md.get("devices").isArray());
    assertEquals(512, Base64.getDecoder().decode(md.get("random_seed").asText()).length);
  }

  @Test
  void datedVersionsHaveOnlyWhatTheyHad() throws Exception {
    MetadataDocuments d = docs();
    JsonNode folsom = json(d, "/openstack/2012-08-10/meta_data.json");
    assertEquals(SERVER, folsom.get("uuid").asText());
    assertFalse(folsom.has("random_seed"));
    assertFalse(folsom.has("project_id"));
    assertFalse(folsom.has("devices"));
    JsonNode liberty = json(d, "openstack/2015-10-15/meta_data.json");
    assertTrue(liberty.has("project_id"));
    assertFalse(liberty.has("devices"));
    assertEquals("meta_data.json\nuser_data", text(d, "/openstack/2012-08-10"));
    assertEquals("meta_data.json\nuser_data\nvendor_data.json\nnetwork_data.json\nvendor_data2.json",
        text(d, "/openstack/latest/"));
    assertTrue(d.at("/openstack/2012-08-10/network_data.json").isEmpty());
    assertTrue(d.at("/openstack/2011-01-01/meta_data.json").isEmpty());
  }

  @Test
  void versionListsAreNovas() {
    MetadataDocuments d = docs();
    assertEquals(String.join("\n", MetadataDocuments.OPENSTACK_VERSIONS) + "\nlatest", text(d, "/openstack"));
    assertEquals(String.join("\n", MetadataDocuments.EC2_VERSIONS) + "\nlatest", text(d, "/"));
    assertEquals(text(d, "/"), text(d, "/ec2"));
  }

  @Test
  void userDataIsTheDecodedBytesAndAbsentWithoutIt() {
    MetadataDocuments d = docs();
    assertArrayEquals(USER_DATA, d.at("/openstack/latest/user_data").orElseThrow().bytes());
    assertArrayEquals(USER_DATA, d.at("/latest/user-data").orElseThrow().bytes());
    MetadataDocuments none = MetadataDocuments.of(instance("a", Map.of(), false, false), List.of());
    assertTrue(none.at("/openstack/latest/user_data").isEmpty());
    assertTrue(none.at("/latest/user-data").isEmpty());
    assertEquals("meta_data.json\nvendor_data.json\nnetwork_data.json\nvendor_data2.json",
        text(none, "/openstack/latest"));
    assertEquals("meta-data/", text(none, "/latest"));
  }

  @Test
  void userDataWithLineBreaksIsDecoded() {
    String wrapped = Base64.getMimeEncoder().encodeToString(new byte[200]);
    assertTrue(wrapped.contains("\r\n"));
    InstanceMetadata i = new InstanceMetadata(SERVER, "a", "p", "nova", Map.of(), Optional.empty(), Optional.empty(),
        Optional.of(wrapped), false);
    assertArrayEquals(new byte[200], MetadataDocuments.of(i, List.of()).at("/latest/user-data").orElseThrow().bytes());
  }

  @Test
  void vendorDataIsEmptyAsNovasDefaultProvidersMakeIt() throws Exception {
    MetadataDocuments d = docs();
    assertEquals(0, json(d, "/openstack/latest/vendor_data.json").size());
    JsonNode v2 = json(d, "/openstack/latest/vendor_data2.json");
    assertEquals(1, v2.size());
    assertEquals(0, v2.get("static").size());
  }

  @Test
  void networkDataDescribesStaticAddresses() throws Exception {
    JsonNode nd = json(docs(), "/openstack/latest/network_data.json");
    JsonNode link = nd.get("links").get(0);
    assertEquals("ntp-a1b2c3d4-e5", link.get("id").asText());
    assertEquals(PORT, link.get("vif_id").asText());
    assertEquals("bridge", link.get("type").asText());
    assertEquals(1450, link.get("mtu").asInt());
    assertEquals("fa:16:3e:00:00:01", link.get("ethernet_mac_address").asText());
    JsonNode v4 = nd.get("networks").get(0);
    assertEquals("network0", v4.get("id").asText());
    assertEquals("ipv4", v4.get("type").asText());
    assertEquals("ntp-a1b2c3d4-e5", v4.get("link").asText());
    assertEquals("10.0.0.5", v4.get("ip_address").asText());
    assertEquals("255.255.255.0", v4.get("netmask").asText());
    assertEquals(NETWORK, v4.get("network_id").asText());
    assertEquals("0.0.0.0", v4.get("routes").get(0).get("network").asText());
    assertEquals("10.0.0.1", v4.get("routes").get(0).get("gateway").asText());
    assertEquals("192.168.0.0", v4.get("routes").get(1).get("network").asText());
    assertEquals("255.255.0.0", v4.get("routes").get(1).get("netmask").asText());
    assertEquals("10.0.0.254", v4.get("routes").get(1).get("gateway").asText());
    assertEquals("10.0.0.2", v4.get("services").get(0).get("address").asText());
    JsonNode v6 = nd.get("networks").get(1);
    assertEquals("ipv6_slaac", v6.get("type").asText());
    assertEquals("ffff:ffff:ffff:ffff::", v6.get("netmask").asText());
    assertEquals("::", v6.get("routes").get(0).get("network").asText());
    // the services of every network, each once
    assertEquals(2, nd.get("services").size());
    assertEquals("dns", nd.get("services").get(0).get("type").asText());
    assertEquals("9.9.9.9", nd.get("services").get(1).get("address").asText());
  }

  @Test
  void networkDataOfADhcpSubnetTellsTheGuestToAskDhcp() throws Exception {
    MetadataDocuments d = MetadataDocuments.of(instance("a", Map.of(), false, false), List.of(nic(true)));
    JsonNode nd = json(d, "/openstack/latest/network_data.json");
    assertTrue(nd.get("links").get(0).get("mtu").isNull());
    JsonNode v4 = nd.get("networks").get(0);
    assertEquals("ipv4_dhcp", v4.get("type").asText());
    assertFalse(v4.has("ip_address"));
    assertEquals(NETWORK, v4.get("network_id").asText());
  }

  @Test
  void networkDataWithoutNicsIsEmpty() throws Exception {
    MetadataDocuments d = MetadataDocuments.of(instance("a", Map.of(), false, false), List.of());
    assertEquals(0, json(d, "/openstack/latest/network_data.json").size());
  }

  @Test
  void ec2MetaDataIsWhatCloudInitReads() {
    MetadataDocuments d = docs();
    String id = text(d, "/latest/meta-data/instance-id");
    assertTrue(id.matches("i-[0-9a-f]{8}"), id);
    assertEquals(id, MetadataDocuments.ec2InstanceId(SERVER));
    assertEquals(id, text(MetadataDocuments.of(instance("other", Map.of(), false, false), List.of()),
        "/latest/meta-data/instance-id"), "the id is derived from the uuid alone");
    assertEquals("web-1", text(d, "/latest/meta-data/hostname"));
    assertEquals("web-1", text(d, "/latest/meta-data/local-hostname"));
    assertEquals("10.0.0.5", text(d, "/latest/meta-data/local-ipv4"));
    assertEquals("0", text(d, "/latest/meta-data/ami-launch-index"));
    assertEquals("zone-a", text(d, "/latest/meta-data/placement/availability-zone"));
    assertEquals("availability-zone", text(d, "/latest/meta-data/placement/"));
    assertEquals("0=alice", text(d, "/latest/meta-data/public-keys/"));
    assertEquals("openssh-key", text(d, "/latest/meta-data/public-keys/0"));
    assertEquals(KEY, text(d, "/latest/meta-data/public-keys/0/openssh-key"));
    assertEquals("meta-data/\nuser-data", text(d, "/latest/"));
    assertEquals(text(d, "/latest/meta-data/hostname"), text(d, "/ec2/2009-04-04/meta-data/hostname"));
    assertTrue(text(d, "/latest/meta-data").lines().toList().containsAll(List.of("ami-launch-index",
        "block-device-mapping/", "hostname", "instance-id", "local-hostname", "local-ipv4", "placement/",
        "public-keys/")));
    assertEquals(text(d, "/latest/meta-data").lines().sorted().toList(), text(d, "/latest/meta-data").lines().toList());
    // 1.0 predates local-hostname and placement
    assertTrue(d.at("/1.0/meta-data/local-hostname").isEmpty());
    assertTrue(d.at("/1.0/meta-data/placement/availability-zone").isEmpty());
    assertTrue(d.at("/1.0/meta-data/hostname").isPresent());
  }

  @Test
  void withoutAKeyThereAreNoKeys() throws Exception {
    MetadataDocuments d = MetadataDocuments.of(instance("a", Map.of(), false, false), List.of());
    assertFalse(json(d, "/openstack/latest/meta_data.json").has("public_keys"));
    assertFalse(json(d, "/openstack/latest/meta_data.json").has("keys"));
    assertFalse(json(d, "/openstack/latest/meta_data.json").has("meta"));
    assertTrue(d.at("/latest/meta-data/public-keys/0/openssh-key").isEmpty());
    assertEquals("", text(d, "/latest/meta-data/local-ipv4"));
  }

  @Test
  void unknownPathsAndTraversalFindNothingOutsideTheTree() {
    MetadataDocuments d = docs();
    assertTrue(d.at("/openstack/latest/nope").isEmpty());
    assertTrue(d.at("/latest/meta-data/hostname/x").isEmpty());
    assertTrue(d.at("/latest/meta-data/nope").isEmpty());
    assertTrue(d.at("/2099-01-01/meta-data").isEmpty());
    assertEquals(text(d, "/openstack/latest/meta_data.json"), text(d, "/openstack/latest/../latest/./meta_data.json"));
    // ".." above the top stays at the top, as posixpath.normpath keeps it
    assertEquals(text(d, "/"), text(d, "/../../.."));
    assertEquals(text(d, "/latest/meta-data/hostname"), text(d, "//latest//meta-data//hostname"));
  }

  @Test
  void hostileNamesAndMetadataStayData() throws Exception {
    String name = "\"}, \"uuid\": \"evil\", \"x\": {\"\n<script>alert(1)</script>\u2028\\";
    Map<String, String> meta = Map.of("k\"ey\n", "v\"al\n</json>", "uuid", "not-mine");
    MetadataDocuments d = MetadataDocuments.of(instance(name, meta, false, false), List.of());
    JsonNode md = json(d, "/openstack/latest/meta_data.json");
    assertEquals(SERVER, md.get("uuid").asText());
    assertEquals(name, md.get("name").asText());
    assertEquals("v\"al\n</json>", md.get("meta").get("k\"ey\n").asText());
    assertEquals("not-mine", md.get("meta").get("uuid").asText());
    assertEquals(2, md.get("meta").size());
    // the host name is sanitized: nothing of the payload's punctuation survives
    assertTrue(md.get("hostname").asText().matches("[a-z0-9-]+"), md.get("hostname").asText());
    assertEquals(md.get("hostname").asText(), text(d, "/latest/meta-data/hostname"));
    // metadata keys never become paths
    assertTrue(d.at("/latest/meta-data/uuid").isEmpty());
  }

  @Test
  void configDriveHoldsNovasFiles() throws Exception {
    MetadataDocuments d = docs();
    Map<String, byte[]> files = d.configDriveFiles();
    assertTrue(files.keySet().containsAll(List.of("openstack/latest/meta_data.json", "openstack/latest/user_data",
        "openstack/latest/network_data.json", "openstack/latest/vendor_data.json",
        "openstack/latest/vendor_data2.json", "openstack/2012-08-10/meta_data.json",
        "ec2/latest/meta-data.json", "ec2/latest/user-data", "ec2/2009-04-04/meta-data.json")), files.keySet().toString());
    assertFalse(files.containsKey("ec2/1.0/meta-data.json"), "Nova's config drive skips the old EC2 versions");
    assertFalse(files.containsKey("openstack/2012-08-10/network_data.json"));
    assertArrayEquals(d.at("/openstack/latest/meta_data.json").orElseThrow().bytes(),
        files.get("openstack/latest/meta_data.json"));
    assertArrayEquals(USER_DATA, files.get("ec2/latest/user-data"));
    JsonNode ec2 = JSON.readTree(files.get("ec2/latest/meta-data.json"));
    assertEquals(KEY, ec2.get("public-keys").get("0").get("openssh-key").asText());
    assertEquals(1, ec2.get("public-keys").get("0").size(), "no _name in the drive's JSON, as Nova removes it");
    assertEquals("zone-a", ec2.get("placement").get("availability-zone").asText());
    assertEquals(0, ec2.get("ami-launch-index").asInt());
  }
}
