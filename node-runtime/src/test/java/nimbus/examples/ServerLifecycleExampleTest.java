package nimbus.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import nimbus.config.HostPort;
import nimbus.node.Node;
import nimbus.testing.TestConfig;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example joins a running node as a second cluster member and drives a server by messages. */
class ServerLifecycleExampleTest {
  @TempDir
  Path data;

  @Test
  void aClientNodeCreatesStopsAndDeletesAServerByMessagesAlone() throws Exception {
    try (Node node = Node.start(TestConfig.allInOne(data, Map.of()), ConfigFactory.empty())) {
      ActorSystem<Void> client = ServerLifecycleExample.joinAsClient(
          new HostPort("127.0.0.1", node.clusterPort()), node.settings().cluster().tlsDir());
      try {
        List<String> seen = ServerLifecycleExample.run(client, Duration.ofSeconds(30));
        assertEquals(4, seen.size(), seen.toString());
        assertTrue(seen.get(0).startsWith("created "), seen.get(0));
        assertEquals("reached ACTIVE", seen.get(1));
        assertEquals("reached SHUTOFF", seen.get(2));
        String id = seen.get(0).split(" ")[1];
        assertEquals("deleted " + id, seen.get(3));
        // the node itself agrees: the server is gone
        var reply = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system())
            .entityRefFor(nimbus.compute.ServerEntity.TYPE_KEY, id)
            .<nimbus.compute.ServerView>askWithStatus(nimbus.compute.ServerEntity.Get::new, Duration.ofSeconds(10))
            .toCompletableFuture();
        var failure = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, reply::get);
        assertEquals(nimbus.cluster.Rejection.Kind.NOT_FOUND, nimbus.cluster.Rejection.from(failure.getCause()).kind());
      } finally {
        client.terminate();
        try {
          client.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException rare) {
          // once seen in CI: the client's termination never completed after its coordinated
          // shutdown timed out (no thread of ours was busy); what this test checks is done by then
          org.slf4j.LoggerFactory.getLogger(getClass()).warn("the client actor system did not terminate within 30 s");
        }
      }
    }
  }
}
