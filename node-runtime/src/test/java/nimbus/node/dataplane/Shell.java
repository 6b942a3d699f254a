package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command and answers its exit code with its output, for the tests that need to see a
 * command fail (a ping that gets no answer, a link the kernel cannot make) rather than throw.
 */
final class Shell {
  private Shell() {}

  record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }
  }

  static Result run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // ping -c 3 -W 2 ends within about 5 s; anything far slower is a hang, not an answer
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not end within 60 s");
      }
      return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(command.get(0) + " cannot run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Runs {@code command} inside the network namespace {@code netns}. */
  static Result in(String netns, String... command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    all.addAll(Arrays.asList(command));
    return run(all);
  }

  /** Names of the network namespaces on this machine ({@code ip netns list}). */
  static List<String> namespaces() {
    return run(List.of("ip", "netns", "list")).output().lines().map(l -> l.split(" ")[0]).toList();
  }

  /**
   * Removes what a namespace test made, all named {@code prefix...}: first its processes whose
   * command matches {@code processes} (their files are in the test's directories), then its
   * links (a veth's root end goes only later, when the kernel gets round to a deleted
   * namespace), then its namespaces and all in them.
   */
  static void removeAllNamed(String prefix) {
    removeAllNamed(prefix, "");
  }

  static void removeAllNamed(String prefix, String processes) {
    ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).stream().anyMatch(a -> a.contains(prefix)))
        .filter(p -> p.info().command().orElse("").matches(processes))
        .forEach(ProcessHandle::destroy);
    for (String link : TenantCommands.deviceNames(run(List.of("ip", "-o", "link", "show")).output())) {
      if (link.startsWith(prefix)) run(List.of("ip", "link", "del", "dev", link));
    }
    for (String netns : namespaces()) {
      if (netns.startsWith(prefix)) run(List.of("ip", "netns", "delete", netns));
    }
    if (namespaces().stream().anyMatch(n -> n.startsWith(prefix))) {
      throw new AssertionError("namespaces of an earlier run are still there");
    }
  }

  /**
   * An underlay as hosts share one: bridge {@code bridge} in the root namespace, and for each
   * host (namespace to its address) a new namespace joined to it by a veth ({@code ul0} inside,
   * {@code prefix} + "u" + its number outside).
   */
  static void underlay(String bridge, String prefix, java.util.Map<String, String> hosts) {
    mustRun("ip link add name " + bridge + " type bridge");
    mustRun("ip link set dev " + bridge + " up");
    int n = 1;
    for (var host : hosts.entrySet()) {
      String netns = host.getKey();
      String rootEnd = prefix + "u" + n++;
      mustRun("ip netns add " + netns);
      mustRun("ip link add " + rootEnd + " type veth peer name ul0 netns " + netns);
      mustRun("ip link set dev " + rootEnd + " master " + bridge + " up");
      mustRun("ip -n " + netns + " addr add " + host.getValue() + "/24 dev ul0");
      mustRun("ip -n " + netns + " link set dev ul0 up");
      mustRun("ip -n " + netns + " link set dev lo up");
    }
  }

  private static void mustRun(String command) {
    Result result = run(List.of(command.split(" ")));
    if (!result.ok()) throw new AssertionError(command + ": " + result.output());
  }

  /** Starts {@code command}, its output (stderr too) going to {@code output}, to run alongside the test. */
  static Process background(java.nio.file.Path output, String... command) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " cannot run: " + e.getMessage(), e);
    }
  }

  /** How many lines of the file contain {@code text}. */
  static long lines(java.nio.file.Path file, String text) {
    try {
      return java.nio.file.Files.readString(file, StandardCharsets.UTF_8).lines().filter(l -> l.contains(text)).count();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Polls {@code condition} until it holds, for up to 15 s; fails saying {@code what} else. */
  static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within 15 s");
      try {
        Thread.sleep(100); // between polls: each one reads a file
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Three pings from namespace {@code netns} to {@code to}, each answered within 2 s or not at all. */
  static Result ping(String netns, String to, String... options) {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "ping", "-n", "-c", "3", "-W", "2"));
    command.addAll(List.of(options));
    command.add(to);
    return run(command);
  }

  static void assertPings(String netns, String to, String why, String... options) {
    Result ping = ping(netns, to, options);
    if (!ping.ok()) throw new AssertionError(why + " (" + netns + " -> " + to + "):\n" + ping.output());
  }

  /** ping's own verdict of no answer: exit 1 and its statistics line, not a ping that could not run. */
  static void assertNoReply(String netns, String to, String why, String... options) {
    Result ping = ping(netns, to, options);
    if (ping.exit() != 1 || !ping.output().contains(" 0 received")) {
      throw new AssertionError(why + " (" + netns + " -> " + to + "):\n" + ping.output());
    }
  }
}
