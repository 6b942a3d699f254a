package nimbus.node;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An all-in-one node for the tests of one class: started in a fresh data directory before them
 * (with the class's own settings over {@link TestConfig#allInOne}), closed and removed after
 * them. Register it as a static field with {@code @RegisterExtension}; {@code started} hands the
 * node and an admin's API client to the class. Nodes added with {@link #joinedBy} join its
 * cluster, for classes that need a few. A jqwik class, which runs no JUnit extension, calls
 * {@link #start} and {@link #stop} from its container hooks.
 */
final class RunningNode implements BeforeAllCallback, AfterAllCallback {

  /** What the class keeps of the started node; it may set up more (which may fail). */
  interface Started {
    void accept(Node node, Api admin) throws Exception;
  }

  /** A joining node's settings, given its data directory (for files they name). */
  interface JoinerSettings {
    Map<String, Object> in(Path data) throws IOException;
  }

  private final Map<String, Object> settings;
  private final Started started;
  private final Map<String, JoinerSettings> joiners = new LinkedHashMap<>();
  private final Map<String, Node> joined = new LinkedHashMap<>();
  private final List<Path> dirs = new ArrayList<>();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private Path data;
  private Node node;

  private RunningNode(Map<String, Object> settings, Started started) {
    this.settings = settings;
    this.started = started;
  }

  static RunningNode allInOne(Map<String, Object> settings, Started started) {
    return new RunningNode(settings, started);
  }

  /** Also starts a node named {@code name} that joins this one's cluster (before {@code started}). */
  RunningNode joinedBy(String name, JoinerSettings joinerSettings) {
    joiners.put(name, joinerSettings);
    return this;
  }

  /** The node's data directory. */
  Path data() {
    return data;
  }

  /** The nodes that joined, by name, once started (a live view). */
  Map<String, Node> joined() {
    return Collections.unmodifiableMap(joined);
  }

  /** Closes {@code resource} after the node (things that run inside the node, such as simulated hosts). */
  void closeAfter(AutoCloseable resource) {
    closeAfter.add(resource);
  }

  void start() throws Exception {
    data = newDir("nimbus-test");
    node = Node.start(TestConfig.allInOne(data, settings), ConfigFactory.empty());
    for (var joiner : joiners.entrySet()) {
      Path dir = newDir("nimbus-test-" + joiner.getKey());
      Map<String, Object> own = new HashMap<>(joiner.getValue().in(dir));
      own.put("nimbus.cluster.seed-nodes", List.of("127.0.0.1:" + node.clusterPort()));
      joined.put(joiner.getKey(), Node.start(TestConfig.allInOne(dir, own), ConfigFactory.empty()));
    }
    started.accept(node, Api.adminOf(node));
  }

  void stop() throws Exception {
    try {
      // the joiners leave first, as hosts leave a control node
      for (Node n : joined.values()) n.close();
      if (node != null) node.close();
      for (AutoCloseable c : closeAfter) c.close();
    } finally {
      for (Path dir : dirs) deleteTree(dir);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stop();
  }

  private Path newDir(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    dirs.add(dir);
    return dir;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
