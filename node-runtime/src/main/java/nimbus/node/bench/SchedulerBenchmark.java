package nimbus.node.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostInventory;
import nimbus.compute.HostSummary;
import nimbus.compute.Resources;
import nimbus.config.ComputeSettings;

/**
 * {@code nimbus bench scheduler}: what one scheduling decision costs with many hosts: filtering
 * (up, RAM, vCPUs, disk) and weighing the whole host view, as a server's entity does before it
 * claims. In-process, no I/O; the claim that follows is one message to one host entity.
 */
final class SchedulerBenchmark {
  private SchedulerBenchmark() {}

  static int run(Map<String, String> options) {
    int hosts = Integer.parseInt(options.getOrDefault("hosts", "1000"));
    int decisions = Integer.parseInt(options.getOrDefault("decisions", "20000"));
    Random random = new Random(42);
    List<HostSummary> view = new ArrayList<>();
    for (int i = 0; i < hosts; i++) {
      Resources physical = new Resources(32, 131072, 2000);
      view.add(new HostSummary("host-" + i, new HostInventory("QEMU", 1, "10.0.0.1", physical, 4.0, 1.0, 1.0, "nova"),
          new Resources(random.nextInt(100), random.nextInt(131072), random.nextInt(2000)), 0, Set.of()));
    }
    Resources need = new Resources(2, 4096, 40);
    ComputeSettings settings = ComputeSettings.defaults();
    List<Long> samples = new ArrayList<>();
    int candidates = 0;
    for (int i = 0; i < decisions; i++) {
      long s = System.nanoTime();
      candidates += HostDirectory.rank(view, h -> true, nimbus.compute.Demand.of(need), Set.of(), settings).size();
      samples.add(System.nanoTime() - s);
    }
    List<Long> measured = samples.subList(decisions / 5, decisions); // past JIT warm-up
    System.out.printf("scheduler decision over %d hosts: p50 %.3f ms, p99 %.3f ms (%d decisions, %d candidates each)%n",
        hosts, BenchHarness.percentileMs(measured, 50), BenchHarness.percentileMs(measured, 99),
        measured.size(), candidates / decisions);
    return 0;
  }
}
