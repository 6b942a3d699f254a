package nimbus.examples;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.NimbusNode;
import nimbus.cluster.Rejection;
import nimbus.compute.BootSource;
import nimbus.compute.Compute;
import nimbus.compute.Flavor;
import nimbus.compute.ServerCreation;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerSpec;
import nimbus.compute.ServerView;
import nimbus.config.HostPort;
import nimbus.config.NimbusSettings;
import nimbus.storage.ImageSeeds;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Java code inside the cluster, no HTTP: joins a Nimbus cluster as a client node, then creates,
 * stops and deletes a server by sending messages to its entity.
 *
 * <pre>java -cp ... nimbus.examples.ServerLifecycleExample CONTROL_HOST:2551 TLS_DIR</pre>
 *
 * <p>Cluster traffic is mutual TLS: {@code TLS_DIR} holds the client's credentials, made on a
 * node of the cluster with {@code ./nimbus cert --out TLS_DIR}.
 */
public final class ServerLifecycleExample {
  private static final Duration ASK = Duration.ofSeconds(30);

  private ServerLifecycleExample() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: ServerLifecycleExample HOST:PORT TLS_DIR (a control node's cluster address, "
          + "the credentials ./nimbus cert --out TLS_DIR made)");
      System.exit(2);
    }
    ActorSystem<Void> system = joinAsClient(HostPort.parse("seed", args[0]), Path.of(args[1]));
    try {
      run(system, Duration.ofMinutes(2)).forEach(System.out::println);
    } finally {
      system.terminate();
    }
  }

  /** A client node with the cluster's credentials in {@code tlsDir}: no shards, no agent, only proxies. */
  public static ActorSystem<Void> joinAsClient(HostPort seed, Path tlsDir) {
    NimbusSettings settings = NimbusSettings.load(Optional.empty(), ConfigFactory.empty()
        .withValue("nimbus.roles", ConfigValueFactory.fromIterable(List.of("client")))
        .withValue("nimbus.cluster.tls-dir", ConfigValueFactory.fromAnyRef(tlsDir.toString()))
        .withValue("nimbus.cluster.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("nimbus.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(seed.toString()))));
    return NimbusNode.start(settings, ConfigFactory.empty(),
        system -> Compute.init(system, settings.compute(), Clock.systemUTC()));
  }

  /** Creates, stops and deletes one server; answers what it saw, one line a step. */
  public static List<String> run(ActorSystem<?> system, Duration timeout) throws Exception {
    List<String> seen = new ArrayList<>();
    String id = UUID.randomUUID().toString();
    EntityRef<ServerEntity.Command> server =
        ClusterSharding.get(system).entityRefFor(ServerEntity.TYPE_KEY, id);
    ServerSpec spec = new ServerSpec("from-java", "admin", "example", Flavor.byId("42").orElseThrow(),
        BootSource.none(ImageSeeds.idOf("nimbus-test-guest")), Map.of("made-by", "ServerLifecycleExample"),
        Optional.empty(), Optional.empty(), Optional.empty());

    // through a ServerCreation, as the API does: the project's quota is reserved first
    ClusterSharding.get(system).entityRefFor(ServerCreation.TYPE_KEY, UUID.randomUUID().toString())
        .<ServerCreation.Created>askWithStatus(r -> new ServerCreation.Start(spec, List.of(id), r), ASK).toCompletableFuture().get();
    seen.add("created " + id);
    seen.add("reached " + awaitStatus(server, "ACTIVE", timeout));

    server.askWithStatus(ServerEntity.Stop::new, ASK).toCompletableFuture().get();
    seen.add("reached " + awaitStatus(server, "SHUTOFF", timeout));

    server.askWithStatus(ServerEntity.Delete::new, ASK).toCompletableFuture().get();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        server.<ServerView>askWithStatus(ServerEntity.Get::new, ASK).toCompletableFuture().get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (Rejection.from(e.getCause()).kind() == Rejection.Kind.NOT_FOUND) {
          seen.add("deleted " + id);
          return seen;
        }
        throw e;
      }
      Thread.sleep(50); // the server is still being deleted; ask again shortly
    }
    throw new IllegalStateException("server " + id + " not deleted within " + timeout);
  }

  private static String awaitStatus(EntityRef<ServerEntity.Command> server, String status,
      Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      ServerView view = server.<ServerView>askWithStatus(ServerEntity.Get::new, ASK)
          .toCompletableFuture().get();
      if (view.status().equals(status)) return status;
      if (view.status().equals("ERROR")) throw new IllegalStateException("server failed: " + view.fault());
      Thread.sleep(50); // waiting for the host to finish the step
    }
    throw new IllegalStateException("server did not reach " + status + " within " + timeout);
  }
}
