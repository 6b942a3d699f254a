package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import nimbus.cluster.ClusterTls;
import nimbus.config.SettingsException;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a certificate configured the API speaks HTTPS only; curl checks it against the CA. */
class ApiTlsTest {
  @TempDir
  Path dir;

  private static ProcessResult curl(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-s", "-S", "--max-time", "10"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    return new ProcessResult(p.waitFor(), out);
  }

  private record ProcessResult(int exit, String output) {}

  @Test
  void theApiServesHttpsWithTheOperatorsCertificate() throws Exception {
    Path tls = dir.resolve("tls");
    ClusterTls.createCa(tls);
    ClusterTls.issue(tls, tls); // a certificate for the name nimbus-node, signed by that CA
    Map<String, Object> https = Map.of("nimbus.api.tls-cert-file", tls.resolve(ClusterTls.NODE_CERT).toString(),
        "nimbus.api.tls-key-file", tls.resolve(ClusterTls.NODE_KEY).toString());
    try (Node node = Node.start(TestConfig.allInOne(dir.resolve("data"), https), ConfigFactory.empty())) {
      assertTrue(node.apiUrl().startsWith("https://"), node.apiUrl());
      int port = Integer.parseInt(node.apiUrl().substring(node.apiUrl().lastIndexOf(':') + 1));
      ProcessResult ok = curl("--cacert", tls.resolve(ClusterTls.CA_CERT).toString(),
          "--resolve", "nimbus-node:" + port + ":127.0.0.1", "https://nimbus-node:" + port + "/healthz");
      assertEquals(0, ok.exit(), ok.output());
      assertEquals("{\"status\":\"ok\"}", ok.output().strip());
      ProcessResult untrusted = curl("https://127.0.0.1:" + port + "/healthz");
      assertNotEquals(0, untrusted.exit(), "a client that does not trust the CA is refused: " + untrusted.output());
      ProcessResult plain = curl("http://127.0.0.1:" + port + "/healthz");
      assertTrue(!plain.output().contains("\"status\":\"ok\""), "no plain HTTP on an HTTPS port: " + plain.output());
    }
  }

  @Test
  void aCertificateWithoutItsKeyIsRefusedAtStart() {
    SettingsException e = assertThrows(SettingsException.class, () -> TestConfig.allInOne(dir,
        Map.of("nimbus.api.tls-cert-file", "/etc/hostname")));
    assertTrue(e.getMessage().startsWith("nimbus.api.tls-cert-file: HTTPS needs both"), e.getMessage());
  }
}
