package nimbus.node.bench;

import java.util.Map;

/** {@code nimbus bench boot|tokens|scheduler|images|guest|networks|lease|groups|group-rollout|router|dashboard|volume-create|volume-write [--option value]...}: see BENCHMARKS.md. */
public final class Benchmarks {
  public static final String USAGE = """
      nimbus bench boot [--servers N] [--concurrency N] [--reads N] [--read-concurrency N] [--hosts N] [--config FILE]
             nimbus bench tokens [--issues N] [--concurrency N] [--validations N] [--config FILE]
             nimbus bench scheduler [--hosts N] [--decisions N]
             nimbus bench images [--size-mb N] [--rounds N] [--config FILE]
             nimbus bench guest [--rounds N] [--guest DIR] [--config FILE]
             nimbus bench networks [--networks N] [--ports N] [--concurrency N] [--config FILE]
             nimbus bench lease [--rounds N] [--guest DIR] [--config FILE]
             nimbus bench groups [--ports N] [--rounds N]
             nimbus bench group-rollout [--hosts N] [--ports N] [--rounds N] [--trace yes]
             nimbus bench router [--interfaces N] [--floating-ips N] [--rounds N]
             nimbus bench dashboard [--servers N] [--rounds N] [--clicks N] [--updates-per-second N] [--logins N] [--config FILE]
             nimbus bench volume-create [--volumes N] [--rate N] [--concurrency N] [--hypervisor-uri URI] [--config FILE]
             nimbus bench volume-write [--size-mb N] [--rounds N] [--guest DIR]""";

  private Benchmarks() {}

  public static int run(String which, Map<String, String> options) throws Exception {
    return switch (which) {
      case "boot" -> BootBenchmark.run(options);
      case "tokens" -> TokenBenchmark.run(options);
      case "scheduler" -> SchedulerBenchmark.run(options);
      case "images" -> ImageBenchmark.run(options);
      case "guest" -> GuestBenchmark.run(options);
      case "networks" -> NetworkBenchmark.run(options);
      case "lease" -> LeaseBenchmark.run(options);
      case "groups" -> GroupBenchmark.run(options);
      case "group-rollout" -> GroupRolloutBenchmark.run(options);
      case "router" -> RouterBenchmark.run(options);
      case "dashboard" -> DashboardBenchmark.run(options);
      case "volume-create" -> VolumeBenchmark.run(options);
      case "volume-write" -> VolumeWriteBenchmark.run(options);
      default -> {
        System.err.println("usage: " + USAGE);
        yield 2;
      }
    };
  }

  /** The test guest of {@code options} ({@code guest}, else data/guest), if it has been built. */
  static java.util.Optional<java.nio.file.Path> testGuest(Map<String, String> options) {
    java.nio.file.Path guest = java.nio.file.Path.of(options.getOrDefault("guest", "data/guest")).toAbsolutePath();
    if (java.nio.file.Files.isReadable(guest.resolve("vmlinuz")) && java.nio.file.Files.isReadable(guest.resolve("initrd.img"))) {
      return java.util.Optional.of(guest);
    }
    System.err.println("no test guest in " + guest + ": run ./nimbus test or scripts/build-test-guest.sh " + guest);
    return java.util.Optional.empty();
  }
}
