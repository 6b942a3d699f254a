package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import nimbus.cluster.ClusterTls;
import nimbus.config.HostPort;
import nimbus.config.SettingsException;
import nimbus.examples.ServerLifecycleExample;
import nimbus.testing.TestConfig;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster transport is mutual TLS under the cluster's own CA: a process without a
 * certificate, or with one from another CA, never becomes a member (so it can send no entity a
 * command), while a client with a certificate issued by the cluster (as {@code nimbus cert}
 * issues it) joins and drives a server by messages.
 */
class ClusterTlsTest {
  @TempDir
  static Path data;
  private static Node node;
  private static final List<ActorSystem<?>> clients = new ArrayList<>();
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> node = n);

  @AfterAll
  static void stopClients() {
    clients.forEach(ActorSystem::terminate); // before the node stops (JUnit runs this first)
  }

  private static HostPort seed() {
    return new HostPort("127.0.0.1", node.clusterPort());
  }

  private static Set<String> members() {
    return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .map(m -> m.address().toString()).collect(Collectors.toSet());
  }

  @Test
  void onlyHoldersOfACertificateOfTheClustersCaJoin() throws Exception {
    // an attacker with a certificate of a CA of their own, and one with plain TCP and none
    Path foreign = data.resolve("foreign");
    ClusterTls.createCa(foreign);
    ClusterTls.issue(foreign, foreign);
    ActorSystem<Void> withForeignCert = ServerLifecycleExample.joinAsClient(seed(), foreign);
    clients.add(withForeignCert);
    ActorSystem<Void> withoutCert = ActorSystem.create(Behaviors.empty(), "nimbus", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.transport = tcp
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.seed-nodes = ["pekko://nimbus@%s"]
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """.formatted(seed())).withFallback(ConfigFactory.load()));
    clients.add(withoutCert);

    // a client with credentials the cluster issued (what ./nimbus cert --out writes)
    Path issued = data.resolve("issued");
    ClusterTls.issue(node.settings().cluster().tlsDir(), issued);
    assertEquals(Set.of(PosixFilePermissions.fromString("rw-------")),
        Set.of(Files.getPosixFilePermissions(issued.resolve(ClusterTls.NODE_KEY))), "the node key is private");
    ActorSystem<Void> trusted = ServerLifecycleExample.joinAsClient(seed(), issued);
    clients.add(trusted);
    Eventually.until(Duration.ofSeconds(30),
        () -> Cluster.get(trusted).selfMember().status().equals(MemberStatus.up()));
    List<String> seen = ServerLifecycleExample.run(trusted, Duration.ofSeconds(30));
    assertEquals("reached SHUTOFF", seen.get(2), seen.toString());

    // the others had their tries meanwhile, and go on failing through a whole join retry round
    Set<String> expected = Set.of(node.system().address().toString(), trusted.address().toString());
    long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
    while (System.nanoTime() < until) {
      assertEquals(expected, members());
      assertFalse(Cluster.get(withForeignCert).selfMember().status().equals(MemberStatus.up()));
      assertFalse(Cluster.get(withoutCert).selfMember().status().equals(MemberStatus.up()));
      Thread.sleep(100); // observing that nothing changes for one retry round
    }
  }

  @Test
  void aJoiningNodeWithoutCredentialsIsStoppedWithTheFix() {
    Map<String, Object> joining = Map.of("nimbus.roles", List.of("compute"),
        "nimbus.cluster.seed-nodes", List.of(seed().toString()),
        "nimbus.cluster.tls-dir", data.resolve("empty").toString());
    SettingsException e = assertThrows(SettingsException.class,
        () -> Node.start(TestConfig.allInOne(data.resolve("joiner"), joining), ConfigFactory.empty()));
    assertTrue(e.getMessage().startsWith("nimbus.cluster.tls-dir: no certificate of the cluster in "), e.getMessage());
    assertTrue(e.getMessage().contains("./nimbus cert --out"), e.getMessage());
  }

  @Test
  void aFoundingNodeMakesItsCaWithThePrivateKeysPrivate() throws Exception {
    Path dir = data.resolve("founder");
    Map<String, Object> founder = Map.of("nimbus.cluster.tls-dir", dir.toString());
    try (Node founding = Node.start(TestConfig.allInOne(data.resolve("founder-data"), founder), ConfigFactory.empty())) {
      assertTrue(founding.clusterPort() > 0);
      for (String secret : List.of(ClusterTls.CA_KEY, ClusterTls.NODE_KEY)) {
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(dir.resolve(secret)));
      }
      assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir));
    }
  }
}
