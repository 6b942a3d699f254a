package nimbus.node.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import nimbus.cluster.ReadSideJson;

/**
 * The routers this host built, one file per router ({@code ROOT/ROUTER-ID.json}, its last applied
 * {@link RouterPlan}), written after each apply and deleted after each removal: an agent that
 * restarts knows which routers are its own (its full view, which the sweep needs) before any
 * router publishes again, and rebuilds them even while the control plane is out of reach.
 */
public final class RouterRecords {
  private static final Pattern FILE = Pattern.compile("([0-9a-fA-F-]{11,64})\\.json");

  private final Path root;

  public RouterRecords(Path root) {
    this.root = root;
  }

  public Map<String, RouterPlan> readAll() {
    Map<String, RouterPlan> out = new HashMap<>();
    if (!Files.isDirectory(root)) return out;
    try (Stream<Path> files = Files.list(root)) {
      for (Path file : files.toList()) {
        var name = FILE.matcher(file.getFileName().toString());
        if (!name.matches()) continue;
        out.put(name.group(1), ReadSideJson.MAPPER.readValue(file.toFile(), RouterPlan.class));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the routers built here from " + root + ": " + e.getMessage(), e);
    }
    return out;
  }

  public void write(RouterPlan plan) {
    Path file = root.resolve(plan.routerId() + ".json");
    try {
      Files.createDirectories(root);
      Path next = root.resolve(plan.routerId() + ".json.new");
      ReadSideJson.MAPPER.writeValue(next.toFile(), plan);
      // replaced whole: a crash leaves the old record or the new one, never half of one
      Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot record router " + plan.routerId() + " in " + file + ": " + e.getMessage(), e);
    }
  }

  public void delete(String routerId) {
    try {
      Files.deleteIfExists(root.resolve(routerId + ".json"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot forget router " + routerId + ": " + e.getMessage(), e);
    }
  }
}
