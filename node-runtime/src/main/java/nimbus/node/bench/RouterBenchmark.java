package nimbus.node.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.network.FixedIp;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.TenantSegment;
import nimbus.node.router.LinuxRouters;
import nimbus.node.router.RouterPlan;

/**
 * {@code nimbus bench router}: how long a host takes to build a router with many interfaces and
 * floating IPs ({@link LinuxRouters#apply}), to apply it again unchanged (what every
 * reconciliation does), and to apply it with one floating IP changed. It runs in a namespace of
 * its own standing in for a host (needs root), with a bridge per network as the tenant networks
 * would make them, and removes all of it after.
 */
final class RouterBenchmark {
  private static final String HOST = "nbench-router";

  private RouterBenchmark() {}

  static int run(Map<String, String> options) {
    int interfaces = Integer.parseInt(options.getOrDefault("interfaces", "32"));
    int floating = Integer.parseInt(options.getOrDefault("floating-ips", "1000"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    ProcessRunner shell = new ProcessRunner();
    CommandRunner inHost = (command, timeout) -> {
      List<String> all = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + HOST));
      all.addAll(command);
      return shell.run(all, timeout);
    };
    String routerId = UUID.randomUUID().toString();
    LinuxRouters routers = new LinuxRouters(inHost);
    List<RouterPlan.Leg> legs = new ArrayList<>();
    try {
      shell.run(List.of("ip", "netns", "add", HOST), java.time.Duration.ofSeconds(10));
      for (int i = 0; i <= interfaces; i++) {
        boolean external = i == interfaces;
        String network = UUID.randomUUID().toString();
        String bridge = TenantSegment.bridgeOf(network);
        inHost.run(List.of("ip", "link", "add", bridge, "type", "bridge"), java.time.Duration.ofSeconds(10));
        inHost.run(List.of("ip", "link", "set", "dev", bridge, "up"), java.time.Duration.ofSeconds(10));
        String address = external ? "100.64.0.1" : "10." + (i / 256) + "." + (i % 256) + ".1";
        legs.add(new RouterPlan.Leg(UUID.randomUUID().toString(), network, String.format("fa:16:3e:00:%02x:%02x", i / 256, i % 256),
            1450, external, List.of(address + (external ? "/16" : "/24")), List.of(new FixedIp("s" + i, address))));
      }
      List<RouterPlan.Floating> fips = new ArrayList<>();
      for (int i = 0; i < floating; i++) {
        fips.add(new RouterPlan.Floating("f" + i, "100.64." + (1 + i / 250) + "." + (1 + i % 250),
            "10." + ((i % interfaces) / 256) + "." + ((i % interfaces) % 256) + "." + (10 + i / interfaces)));
      }
      RouterPlan plan = new RouterPlan(routerId, legs, Optional.of("100.64.0.254"), List.of(),
          Optional.of("100.64.0.1"), fips);
      List<RouterPlan.Floating> changed = new ArrayList<>(fips);
      changed.set(0, new RouterPlan.Floating("f0", "100.64.200.1", fips.get(0).fixedAddress()));
      RouterPlan oneChanged = new RouterPlan(routerId, legs, plan.defaultGateway(), List.of(), plan.snatAddress(), changed);

      for (int round = 1; round <= rounds; round++) {
        routers.remove(routerId);
        double first = seconds(() -> routers.apply(plan));
        double again = seconds(() -> routers.apply(plan));
        double change = seconds(() -> routers.apply(oneChanged));
        System.out.printf("router with %d interfaces and %d floating IPs, round %d: apply %.2f s, apply again"
            + " (unchanged) %.2f s, one floating IP changed %.2f s%n", interfaces, floating, round, first, again, change);
      }
      return 0;
    } finally {
      routers.remove(routerId);
      shell.run(List.of("ip", "netns", "delete", HOST), java.time.Duration.ofSeconds(10));
    }
  }

  private static double seconds(Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) / 1e9;
  }
}
