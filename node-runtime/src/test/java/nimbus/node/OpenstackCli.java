package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code openstack} CLI against a test node, with a clouds.yaml of named clouds. */
final class OpenstackCli {
  private final Node node;
  private final Path dir;
  private final Path clouds;
  private final StringBuilder yaml = new StringBuilder("clouds:\n");

  OpenstackCli(Node node, Path dir) {
    this.node = node;
    this.dir = dir;
    this.clouds = dir.resolve("clouds.yaml");
  }

  /** Adds a cloud: {@code user} of {@code project}, both in domain Default. */
  OpenstackCli cloud(String cloud, String user, String password, String project) throws Exception {
    yaml.append("""
          %s:
            auth:
              auth_url: %s/identity/v3
              username: %s
              password: "%s"
              project_name: %s
              user_domain_name: Default
              project_domain_name: Default
            region_name: RegionOne
            identity_api_version: 3
        """.formatted(cloud, node.apiUrl(), user, password, project));
    Files.writeString(clouds, yaml);
    return this;
  }

  /**
   * Runs {@code openstack --os-cloud CLOUD ARGS...} and answers what it printed on stdout (its
   * warnings go to stderr); fails with the CLI's own words if it fails.
   */
  String run(String cloud, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openstack", "--os-cloud", cloud));
    command.addAll(List.of(args));
    Path err = Files.createTempFile(dir, "cli", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile());
    pb.environment().put("OS_CLIENT_CONFIG_FILE", clouds.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("OS_") && !k.equals("OS_CLIENT_CONFIG_FILE"));
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("openstack " + String.join(" ", args) + " did not finish");
    }
    assertEquals(0, p.exitValue(), "openstack " + String.join(" ", args) + ":\n" + out + Files.readString(err));
    return out;
  }

  /** {@link #run} with JSON output, parsed. */
  JsonNode json(String cloud, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-f", "json"));
    return Api.JSON.readTree(run(cloud, all.toArray(String[]::new)));
  }
}
