package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.config.ComputeSettings;
import org.junit.jupiter.api.Test;

/** Filtering and weighing of hosts. */
class HostDirectoryTest {
  private final List<HostSummary> hosts = List.of(
      summary("big", new Resources(8, 8192, 100), new Resources(0, 1024, 0)),
      summary("small", new Resources(8, 4096, 100), new Resources(0, 0, 0)),
      summary("full", new Resources(8, 4096, 100), new Resources(8, 0, 0)),
      summary("down", new Resources(8, 65536, 100), new Resources(0, 0, 0)));
  private final java.util.function.Predicate<String> up = h -> !h.equals("down");
  private final Resources need = new Resources(1, 512, 1);

  private static HostSummary summary(String host, Resources capacity, Resources used) {
    return summary(host, capacity, used, Set.of());
  }

  private static HostSummary summary(String host, Resources capacity, Resources used, Set<String> groups) {
    String zone = host.equals("small") ? "edge" : "nova";
    return new HostSummary(host, new HostInventory("QEMU", 1, "10.0.0.1", capacity, 1.0, 1.0, 1.0, zone), used, 0, groups);
  }

  private ComputeSettings settings(ComputeSettings.Weigher weigher) {
    ComputeSettings d = ComputeSettings.defaults();
    return new ComputeSettings(d.buildTimeout(), d.taskTimeout(), d.stepRetryInterval(),
        d.maxBuildAttempts(), weigher, Duration.ofSeconds(10), 10, 20, 51200, d.snapshotTimeout(), 10, 10);
  }

  @Test
  void spreadPrefersTheMostFreeRamAndSkipsFullAndDownHosts() {
    assertEquals(List.of("big", "small"),
        HostDirectory.rank(hosts, up, Demand.of(need), Set.of(), settings(ComputeSettings.Weigher.SPREAD)));
  }

  @Test
  void onlyHostsOfTheZoneAskedForAreCandidates() {
    assertEquals(List.of("small"), HostDirectory.rank(hosts, up, new Demand(need, Optional.of("edge"), Optional.empty()),
        Set.of(), settings(ComputeSettings.Weigher.SPREAD)));
    assertEquals(List.of(), HostDirectory.rank(hosts, up, new Demand(need, Optional.of("elsewhere"), Optional.empty()),
        Set.of(), settings(ComputeSettings.Weigher.SPREAD)));
  }

  @Test
  void packPrefersTheLeastFreeRam() {
    assertEquals(List.of("small", "big"),
        HostDirectory.rank(hosts, up, Demand.of(need), Set.of(), settings(ComputeSettings.Weigher.PACK)));
  }

  @Test
  void excludedHostsAreNotCandidates() {
    assertEquals(List.of("small"),
        HostDirectory.rank(hosts, up, Demand.of(need), Set.of("big"), settings(ComputeSettings.Weigher.SPREAD)));
  }

  @Test
  void serverGroupsKeepTheirMembersApartOrTogether() {
    Resources room = new Resources(8, 8192, 100);
    List<HostSummary> grouped = List.of(
        summary("a", room, Resources.NONE, Set.of("g-apart", "g-together")),
        summary("b", room, Resources.NONE, Set.of("other")),
        summary("c", room, Resources.NONE, Set.of()));
    ComputeSettings spread = settings(ComputeSettings.Weigher.SPREAD);
    assertEquals(Set.of("b", "c"), Set.copyOf(HostDirectory.rank(grouped, h -> true,
        inGroup("g-apart", Placement.ANTI_AFFINITY), Set.of(), spread)));
    assertEquals(List.of("a"), HostDirectory.rank(grouped, h -> true,
        inGroup("g-together", Placement.AFFINITY), Set.of(), spread));
    assertEquals(Set.of("a", "b", "c"), Set.copyOf(HostDirectory.rank(grouped, h -> true,
        inGroup("g-new", Placement.AFFINITY), Set.of(), spread)), "a new group may start anywhere");
  }

  /** 2.15's soft policies refuse no host: they only put the preferred ones first, before the weigher. */
  @Test
  void softPoliciesPreferButNeverRefuse() {
    Resources room = new Resources(8, 8192, 100);
    List<HostSummary> grouped = List.of(
        summary("a", room, new Resources(0, 4096, 0), Set.of("g")),
        summary("b", room, Resources.NONE, Set.of()),
        summary("c", room, new Resources(0, 2048, 0), Set.of()));
    ComputeSettings spread = settings(ComputeSettings.Weigher.SPREAD);
    assertEquals(List.of("a", "b", "c"), HostDirectory.rank(grouped, h -> true,
        inGroup("g", Placement.SOFT_AFFINITY), Set.of(), spread), "the member's host first, though the fullest");
    assertEquals(List.of("b", "c", "a"), HostDirectory.rank(grouped, h -> true,
        inGroup("g", Placement.SOFT_ANTI_AFFINITY), Set.of(), spread), "the member's host last, yet a candidate");
  }

  private Demand inGroup(String group, String policy) {
    return new Demand(need, Optional.empty(), Optional.of(new Placement("p", group, policy)));
  }
}
