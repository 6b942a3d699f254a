package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real guest: a server created through the HTTP API on {@code qemu:///system} (TCG) boots the
 * test guest, and its serial console, read through Nova's os-getConsoleOutput, says GUEST-READY.
 */
class RealGuestTest {
  @TempDir
  static Path data;
  private static Node node;
  private static Api api;

  @BeforeAll
  static void start() {
    node = Node.start(TestConfig.allInOne(data, TestGuest.realHost()), ConfigFactory.empty());
    api = Api.adminOf(node);
  }

  @AfterAll
  static void stop() {
    node.close();
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
    // its NIC on the host-local network got an address from the host's dnsmasq
    assertTrue(console(id).matches("(?s).*GUEST-IP 10\\.99\\.0\\.\\d+/24.*"), console(id));
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

  static List<String> virshNames() throws Exception {
    Process p = new ProcessBuilder(List.of("virsh", "-c", "qemu:///system", "list", "--all", "--name"))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
