package nimbus.node;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.function.BiConsumer;
import nimbus.testing.TestConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An all-in-one node for the tests of one class: started in a fresh data directory before them
 * (with the class's own settings over {@link TestConfig#allInOne}), closed and removed after
 * them. Register it as a static field with {@code @RegisterExtension}; {@code started} hands the
 * node and an admin's API client to the class.
 */
final class RunningNode implements BeforeAllCallback, AfterAllCallback {
  private final Map<String, Object> settings;
  private final BiConsumer<Node, Api> started;
  private Path data;
  private Node node;

  private RunningNode(Map<String, Object> settings, BiConsumer<Node, Api> started) {
    this.settings = settings;
    this.started = started;
  }

  static RunningNode allInOne(Map<String, Object> settings, BiConsumer<Node, Api> started) {
    return new RunningNode(settings, started);
  }

  /** The node's data directory. */
  Path data() {
    return data;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    data = Files.createTempDirectory("nimbus-test");
    node = Node.start(TestConfig.allInOne(data, settings), ConfigFactory.empty());
    started.accept(node, Api.adminOf(node));
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      node.close();
    } finally {
      try (var files = Files.walk(data)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }
}
