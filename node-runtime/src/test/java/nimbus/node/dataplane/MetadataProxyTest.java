package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host's haproxy in front of the metadata server: its configuration and command line. */
class MetadataProxyTest {
  private static final String A = "aaaaaaaa-77b4-4e0a-9d21-5c6b7a8e9f00";
  private static final String B = "BBBBBBBB-77b4-4e0a-9d21-5c6b7a8e9f00";

  @Test
  void eachNetworkHasAFrontendInItsNamespaceThatSetsTheNetworkAndTheGuestsAddress() {
    assertEquals("""
        # Nimbus: the metadata service of this host's tenant networks (written by the agent)
        global
            maxconn 1024
            pidfile /var/lib/nimbus/haproxy.pid
        defaults
            mode http
            timeout connect 5s
            timeout client 30s
            timeout server 30s
            timeout http-request 10s
        frontend nm-aaaaaaaa77b
            bind 169.254.169.254:80 namespace nm-aaaaaaaa77b
            http-request set-header X-Nimbus-Network-ID aaaaaaaa-77b4-4e0a-9d21-5c6b7a8e9f00
            http-request set-header X-Forwarded-For %[src]
            default_backend agent
        frontend nm-bbbbbbbb77b
            bind 169.254.169.254:80 namespace nm-bbbbbbbb77b
            http-request set-header X-Nimbus-Network-ID bbbbbbbb-77b4-4e0a-9d21-5c6b7a8e9f00
            http-request set-header X-Forwarded-For %[src]
            default_backend agent
        backend agent
            server agent 127.0.0.1:40123
        """, MetadataProxy.config(List.of(B, A), 40123, Path.of("/var/lib/nimbus/haproxy.pid")));
  }

  @Test
  void headersAreSetNeverAddedTo() {
    String config = MetadataProxy.config(List.of(A), 8775, Path.of("/p"));
    assertFalse(config.contains("add-header") || config.contains("forwardfor"),
        "a guest's own X-Forwarded-For would survive beside the proxy's: " + config);
  }

  @Test
  void aPortOutsideTcpsIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> MetadataProxy.config(List.of(A), 0, Path.of("/p")));
  }

  @Test
  void aNewProxyFinishesTheOldOnesRequests() {
    assertEquals(List.of("haproxy", "-D", "-f", "/c", "-p", "/p"), MetadataProxy.start(Path.of("/c"), Path.of("/p"), List.of()));
    assertEquals(List.of("haproxy", "-D", "-f", "/c", "-p", "/p", "-sf", "7", "42"),
        MetadataProxy.start(Path.of("/c"), Path.of("/p"), List.of(42L, 7L)));
  }
}
