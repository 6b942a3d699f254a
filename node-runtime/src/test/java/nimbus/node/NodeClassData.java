package nimbus.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * How the tests start node processes of this build: an application class-data archive of what a
 * node loads until it is ready, made once per test run by one node started for that, and the
 * class path it was made for. Measured (BENCHMARKS.md, its class-data archive section), a node
 * that maps the archive instead of loading, parsing and verifying its classes from the jars comes
 * up with about 30 % less CPU and wall time; tests start some thirty nodes in processes of their
 * own.
 *
 * <p>Class data sharing reads classes only from jars, so the class path's directories (this
 * build's target/classes and test-classes) are packed into jars first. The jars are written
 * byte for byte the same while the classes are the same, and left alone then, so an archive
 * made by an earlier run stays valid. Whatever fails here, nodes start as before, without an
 * archive: the archive changes how fast a node starts, never what it does.
 */
final class NodeClassData {
  private static final Path DIR = Path.of("target", "node-class-data").toAbsolutePath();
  private static final Path ARCHIVE = DIR.resolve("node.jsa");
  private static final Duration TRAINING = Duration.ofSeconds(180);
  private static Launch launch;

  private NodeClassData() {}

  /** The class path and the JVM options (the archive's, if there is one) of a node process of this build. */
  record Launch(String classPath, List<String> jvmOptions) {}

  static synchronized Launch launch() {
    if (launch == null) launch = prepare();
    return launch;
  }

  private static Launch prepare() {
    String plain = System.getProperty("java.class.path");
    try {
      String packed = packed(plain);
      if (!Files.exists(ARCHIVE)) train(packed);
      return new Launch(packed, List.of("-XX:SharedArchiveFile=" + ARCHIVE));
    } catch (Exception | AssertionError e) {
      System.err.println("nodes start without a class-data archive: " + e);
      return new Launch(plain, List.of());
    }
  }

  /** The class path with each directory replaced by a jar of it; an archive made for other jars is removed. */
  private static String packed(String classPath) throws IOException {
    Files.createDirectories(DIR);
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      if (!Files.isDirectory(path)) {
        entries.add(entry);
        continue;
      }
      Path module = path.getParent() == null || path.getParent().getParent() == null ? path
          : path.getParent().getParent();
      Path jar = DIR.resolve((n++) + "-" + module.getFileName() + "-" + path.getFileName() + ".jar");
      byte[] bytes = jarOf(path);
      if (!Files.exists(jar) || !Arrays.equals(bytes, Files.readAllBytes(jar))) {
        Files.deleteIfExists(ARCHIVE); // made for the jar's old bytes: the JVM would refuse it
        Path part = DIR.resolve(jar.getFileName() + ".part");
        Files.write(part, bytes);
        Files.move(part, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      entries.add(jar.toString());
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  /** A jar of the directory's files, in name order and with fixed times: the same files make the same bytes. */
  private static byte[] jarOf(Path dir) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes); Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        JarEntry entry = new JarEntry(dir.relativize(file).toString().replace('\\', '/'));
        entry.setTime(0);
        jar.putNextEntry(entry);
        Files.copy(file, jar);
        jar.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * Starts a node that writes the archive of the classes it loaded when it exits, waits until it
   * is ready and stops it.
   */
  private static void train(String classPath) throws Exception {
    Path dir = Files.createTempDirectory(DIR, "training");
    Path part = DIR.resolve("node.jsa.part");
    Files.deleteIfExists(part);
    NodeProcess.Config config = NodeProcess.writeConfig(dir, "images = []");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED"));
    command.addAll(NodeProcess.JVM_OPTIONS);
    command.addAll(List.of("-XX:ArchiveClassesAtExit=" + part, "-cp", classPath, "nimbus.node.Main", "up",
        "--config", config.file().toString()));
    Path log = dir.resolve("node.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Api anonymous = new Api(config.apiUrl());
      Eventually.until(TRAINING, () -> {
        if (!process.isAlive()) throw new IllegalStateException("the training node exited: " + Files.readString(log));
        return anonymous.get("/readyz").status() == 200;
      });
      process.destroy(); // a clean exit: the JVM writes the archive as it exits
      if (!process.waitFor(TRAINING.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("the training node did not stop");
      }
      if (!Files.exists(part)) throw new AssertionError("no archive written: " + Files.readString(log));
      Files.move(part, ARCHIVE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      process.destroyForcibly().waitFor();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(file);
      }
    }
  }
}
