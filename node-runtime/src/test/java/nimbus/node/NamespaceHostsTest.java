package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nimbus.cluster.ClusterTls;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two hypervisor hosts on this machine, for real: network namespaces with a libvirtd and a
 * compute node each ({@link NamespaceHosts}), joined over the underlay to a control node in this
 * JVM. Both are hypervisors of the cloud, and a real TCG guest created through the API in one
 * host's zone boots on that host's libvirtd, gets its address from that host's dnsmasq, and
 * leaves nothing there when deleted.
 */
class NamespaceHostsTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static Path dir;
  private static NamespaceHosts hosts;
  private static Node control;
  private static Api api;

  @BeforeAll
  static void startTheControlNodeAndTwoHosts() throws Exception {
    dir = Files.createTempDirectory("nimbus-namespace-hosts");
    hosts = NamespaceHosts.underlay(Path.of("target", "namespace-hosts").toAbsolutePath());
    Map<String, Object> settings = new HashMap<>();
    settings.put("nimbus.roles", List.of("control"));
    // the cluster listens on the underlay, where the hosts reach it
    settings.put("nimbus.cluster.hostname", NamespaceHosts.CONTROL_ADDRESS);
    settings.put("nimbus.images", TestGuest.realHost().get("nimbus.images"));
    control = Node.start(TestConfig.allInOne(dir.resolve("control"), settings), ConfigFactory.empty());
    api = Api.adminOf(control);
    // the hosts' credentials, issued as `nimbus cert` issues them, from the cluster's CA
    Path certs = dir.resolve("host-tls");
    ClusterTls.issue(TestConfig.sharedTls(), certs);
    hosts.up(2, NamespaceHosts.CONTROL_ADDRESS + ":" + control.clusterPort(), certs);
  }

  @AfterAll
  static void stopEverything() throws Exception {
    try {
      if (hosts != null) hosts.close(); // the hosts leave first, as hosts leave a control node
    } finally {
      if (control != null) control.close();
      if (dir != null) {
        try (var files = Files.walk(dir)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test
  void bothHostsServeTheCloudAndARealGuestBootsOnTheHostOfItsZone() throws Exception {
    JsonNode hypervisors = Eventually.await(WAIT, () -> {
      JsonNode list = api.get("/compute/v2.1/os-hypervisors").body().path("hypervisors");
      boolean allUp = list.size() == 2;
      for (JsonNode h : list) allUp &= h.path("state").asText().equals("up") && h.path("status").asText().equals("enabled");
      return allUp ? list : null;
    });
    assertEquals(List.of("host1", "host2"), hypervisors.findValuesAsText("hypervisor_hostname").stream().sorted().toList());
    JsonNode zones = api.get("/compute/v2.1/os-availability-zone/detail").body().path("availabilityZoneInfo");
    assertEquals(List.of("host1", "host2"), zones.findValuesAsText("zoneName").stream().sorted().toList(),
        "each host is a zone of its name");
    String status = hosts.status();
    for (String host : hosts.names()) assertTrue(Pattern.compile("(?m)^" + host + "\\s+up ").matcher(status).find(), status);
    assertNotEquals(hostUuid("host1"), hostUuid("host2"), "two libvirtds, two hosts");
    boolean settingKnown = ConfigFactory.defaultReference().hasPath("nimbus.host.underlay-address");
    for (int k = 1; k <= 2; k++) {
      String conf = Files.readString(hosts.dir("host" + k).resolve("nimbus.conf"));
      assertEquals(settingKnown, conf.contains("underlay-address = \"" + NamespaceHosts.address(k) + "\""),
          "the host's node is told its underlay address exactly when the settings know it: " + conf);
    }

    Api.Reply created = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"on-host2\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"availability_zone\": \"host2\"}}");
    assertEquals(202, created.status(), created.raw());
    String id = created.body().path("server").path("id").asText();
    JsonNode server = api.awaitStatus(id, "ACTIVE", WAIT);
    assertEquals("host2", server.path("OS-EXT-SRV-ATTR:host").asText());
    assertEquals(List.of("nimbus-" + id), hosts.domains("host2"), "the guest runs on host2's own libvirtd");
    assertEquals(List.of(), hosts.domains("host1"));
    assertFalse(RealGuestTest.virshNames().contains("nimbus-" + id), "and not on this machine's");
    Eventually.until(WAIT, () -> console(id).contains("GUEST-READY"));
    Path lease = hosts.dir("host2").resolve("lib-nimbus/dhcp/nimbus0/hosts").resolve(id);
    String address = Files.readString(lease).strip().split(",")[1];
    assertTrue(console(id).contains("GUEST-IP " + address + "/24"),
        "host2's own dnsmasq gave the guest its lease " + address + ": " + console(id));

    assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    assertEquals(List.of(), hosts.domains("host2"), "nothing is left in host2's libvirtd");
    assertFalse(Files.exists(lease), "nor its lease");
  }

  private static String console(String id) {
    return api.post("/compute/v2.1/servers/" + id + "/action", "{\"os-getConsoleOutput\": {\"length\": -1}}")
        .body().path("output").asText();
  }

  /** The host UUID a host's libvirtd reports (its libvirtd.conf's host_uuid). */
  private static String hostUuid(String host) throws Exception {
    Matcher uuid = Pattern.compile("<uuid>([0-9a-f-]+)</uuid>").matcher(hosts.virsh(host, "capabilities"));
    assertTrue(uuid.find(), "virsh capabilities of " + host + " names the host's UUID");
    return uuid.group(1);
  }
}
