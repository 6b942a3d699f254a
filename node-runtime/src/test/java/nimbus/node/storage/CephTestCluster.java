package nimbus.node.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import nimbus.node.agent.ProcessRunner;
import nimbus.storage.RbdSource;

/**
 * A one-node Ceph cluster of {@code scripts/ceph-test-cluster.sh} in a directory of its own
 * (about 11 s to start): one per test class that needs it, stopped (and its directory removed) by
 * {@link #close}. Its pool is {@code volumes}, its client {@code nimbus}.
 */
public final class CephTestCluster implements AutoCloseable {
  private static final Path SCRIPT = Path.of("..", "scripts", "ceph-test-cluster.sh").toAbsolutePath().normalize();
  public final Path dir;

  private CephTestCluster(Path dir) {
    this.dir = dir;
  }

  /** Starts a cluster in a new directory under {@code parent}. */
  public static CephTestCluster start(Path parent) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(parent, "ceph");
    Files.delete(dir); // the script makes it, refusing one that holds a cluster
    CephTestCluster cluster = new CephTestCluster(dir);
    cluster.script("start");
    return cluster;
  }

  public RbdCommands commands() {
    return new RbdCommands(dir.resolve("ceph.conf"), dir.resolve("nimbus.keyring"), "nimbus", "volumes");
  }

  List<RbdSource.Monitor> monitors() throws IOException {
    return RbdBackend.monitors(Files.readString(dir.resolve("ceph.conf")));
  }

  public RbdBackend backend() throws IOException {
    return new RbdBackend(commands(), monitors(), new ProcessRunner());
  }

  /** The client's key, as a libvirt secret holds it. */
  String key() throws IOException {
    return Files.readString(dir.resolve("nimbus.key")).strip();
  }

  private void script(String action) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(SCRIPT.toString(), action, dir.toString()).redirectErrorStream(true).start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("ceph-test-cluster.sh " + action + " did not finish within 3 minutes");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("ceph-test-cluster.sh " + action + " failed:\n"
          + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    script("stop");
  }
}
