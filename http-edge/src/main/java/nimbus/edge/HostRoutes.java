package nimbus.edge;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import nimbus.compute.ServerListing;
import nimbus.compute.Resources;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's view of the hosts: {@code os-hypervisors} (list, detail, show, statistics; admin only)
 * and {@code os-availability-zone} ({@code os-aggregates} are {@link AggregateRoutes}): the zones are those the hosts report.
 */
final class HostRoutes extends ServiceRoutes {
  /** The most servers a hypervisor's server list shows (Nova shows all; a host holds far fewer). */
  private static final int SERVERS_PER_HOST = 10_000;
  private final HostDirectory directory;
  private final Duration downAfter;
  private final Policy policy;
  private final ServerListing servers;
  private final java.util.concurrent.Executor blocking;

  HostRoutes(HostDirectory directory, Duration downAfter, Policy policy, ServerListing servers,
      java.util.concurrent.Executor blocking) {
    super(NovaErrors::response);
    this.directory = directory;
    this.downAfter = downAfter;
    this.policy = policy;
    this.servers = servers;
    this.blocking = blocking;
  }

  Route route(RequestContext ctx) {
    return get(() -> concat(
        pathPrefix("os-hypervisors", () -> concat(
            pathEndOrSingleSlash(() -> now(() -> hypervisors(ctx, false))),
            path("detail", () -> now(() -> hypervisors(ctx, true))),
            path("statistics", () -> now(() -> statistics(ctx))),
            path(PathMatchers.segment(), id -> now(() -> hypervisor(ctx, id))),
            path(PathMatchers.segment().slash("uptime"), id -> now(() -> uptime(ctx, id))),
            path(PathMatchers.segment().slash("search"), pattern -> now(() -> search(ctx, pattern))),
            path(PathMatchers.segment().slash("servers"), pattern -> respond(() -> withServers(ctx, pattern))))),
        pathPrefix("os-availability-zone", () -> concat(
            pathEndOrSingleSlash(() -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-availability-zone:list");
              return zones(false);
            })),
            path("detail", () -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-availability-zone:detail");
              return zones(true);
            }))))));
  }

  private Route now(java.util.function.Supplier<HttpResponse> response) {
    return respond(() -> CompletableFuture.completedFuture(response.get()));
  }

  private List<HostSummary> hosts() {
    return directory.hosts().stream().sorted(Comparator.comparing(HostSummary::host)).toList();
  }

  /** Nova 2.1 numbers hypervisors; the number stays the same for a host name. */
  static int idOf(String host) {
    return (host.hashCode() & 0x7fffffff) % 1_000_000_000 + 1;
  }

  private HttpResponse hypervisors(RequestContext ctx, boolean detail) {
    policy.enforce(ctx, detail ? "os_compute_api:os-hypervisors:list-detail" : "os_compute_api:os-hypervisors:list");
    return Json.response(200, Map.of("hypervisors",
        hosts().stream().map(h -> detail ? detail(h) : summary(h)).toList()));
  }

  private HttpResponse hypervisor(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:show");
    return Json.response(200, Map.of("hypervisor", detail(byId(id))));
  }

  /** Agents do not report the host's uptime line: Nova's answer for such a driver. */
  private HttpResponse uptime(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:uptime");
    byId(id);
    return NovaErrors.response(501, "Virt driver does not implement uptime function.");
  }

  /** Nova's hypervisor search (up to 2.52): the hosts whose name holds the pattern, 404 if none. */
  private HttpResponse search(RequestContext ctx, String pattern) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:search");
    return Json.response(200, Map.of("hypervisors", matching(pattern).stream().map(this::summary).toList()));
  }

  /** The hosts a search finds, each with the servers on it (every project's), as Nova's {@code servers} up to 2.52. */
  private CompletionStage<HttpResponse> withServers(RequestContext ctx, String pattern) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:servers");
    List<HostSummary> found = matching(pattern);
    return readSide(() -> {
      List<HypervisorServers> hypervisors = new ArrayList<>();
      for (HostSummary h : found) {
        List<ServerRef> on = servers.list(new ServerListing.Query(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.of(h.host()), Optional.empty(), Optional.empty(), false, SERVERS_PER_HOST,
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()))
            .stream().map(s -> new ServerRef(s.id(), s.name())).toList();
        HypervisorSummary summary = summary(h);
        hypervisors.add(new HypervisorServers(summary.id(), summary.hypervisorHostname(), summary.state(),
            summary.status(), on.isEmpty() ? null : on));
      }
      return Json.response(200, Map.of("hypervisors", hypervisors));
    }, blocking);
  }

  private List<HostSummary> matching(String pattern) {
    List<HostSummary> found = hosts().stream().filter(h -> h.host().contains(pattern)).toList();
    if (found.isEmpty()) throw ApiError.notFound("No hypervisor matching '" + pattern + "' could be found.");
    return found;
  }

  private HostSummary byId(String id) {
    return hosts().stream().filter(x -> String.valueOf(idOf(x.host())).equals(id)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Hypervisor with ID '" + id + "' could not be found."));
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record HypervisorSummary(int id, String hypervisorHostname, String state, String status) {}

  /** A hypervisor with its servers; no {@code servers} when it has none, as Nova's. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record HypervisorServers(int id, String hypervisorHostname, String state, String status,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      List<ServerRef> servers) {}

  record ServerRef(String uuid, String name) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Service(String host, int id, String disabledReason) {}

  /** A hypervisor in full (microversion 2.1). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record HypervisorDetail(int id, String hypervisorHostname, String state, String status, int vcpus, int memoryMb,
      int localGb, int vcpusUsed, int memoryMbUsed, int localGbUsed, int freeRamMb, int freeDiskGb, int runningVms,
      int currentWorkload, int diskAvailableLeast, String hypervisorType, long hypervisorVersion, String hostIp,
      String cpuInfo, Service service) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Statistics(int count, int vcpus, int memoryMb, int localGb, int vcpusUsed, int memoryMbUsed, int localGbUsed,
      int freeRamMb, int freeDiskGb, int currentWorkload, int runningVms, int diskAvailableLeast) {}

  /** An availability zone; {@code hosts} (null in the short form) maps each host to its compute service. */
  record Zone(String zoneName, Map<String, Boolean> zoneState, Map<String, Map<String, ServiceState>> hosts) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ServiceState(boolean available, boolean active, String updatedAt) {}

  private HypervisorSummary summary(HostSummary h) {
    return new HypervisorSummary(idOf(h.host()), h.host(), directory.isUp(h.host(), downAfter) ? "up" : "down",
        "enabled");
  }

  private HypervisorDetail detail(HostSummary h) {
    Resources physical = h.inventory().physical();
    Resources used = h.used();
    return new HypervisorDetail(idOf(h.host()), h.host(), directory.isUp(h.host(), downAfter) ? "up" : "down",
        "enabled", physical.vcpus(), physical.ramMb(), physical.diskGb(), used.vcpus(), used.ramMb(), used.diskGb(),
        physical.ramMb() - used.ramMb(), physical.diskGb() - used.diskGb(), h.servers(), 0,
        physical.diskGb() - used.diskGb(), h.inventory().hypervisorType(), h.inventory().hypervisorVersion(),
        h.inventory().hostIp(), "{}", new Service(h.host(), idOf(h.host()), null));
  }

  private HttpResponse statistics(RequestContext ctx) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:statistics");
    List<HostSummary> all = hosts();
    Resources physical = all.stream().map(h -> h.inventory().physical()).reduce(Resources.NONE, Resources::plus);
    Resources used = all.stream().map(HostSummary::used).reduce(Resources.NONE, Resources::plus);
    return Json.response(200, Map.of("hypervisor_statistics", new Statistics(all.size(), physical.vcpus(),
        physical.ramMb(), physical.diskGb(), used.vcpus(), used.ramMb(), used.diskGb(), physical.ramMb() - used.ramMb(),
        physical.diskGb() - used.diskGb(), 0, all.stream().mapToInt(HostSummary::servers).sum(),
        physical.diskGb() - used.diskGb())));
  }

  /** The zones hosts have reported (a zone is available while one of its hosts is up). */
  private HttpResponse zones(boolean detail) {
    List<Zone> zones = new ArrayList<>();
    directory.zones().forEach((name, members) -> {
      Map<String, Map<String, ServiceState>> hosts = null;
      if (detail) {
        hosts = new LinkedHashMap<>();
        for (HostSummary h : members) {
          hosts.put(h.host(), Map.of("nova-compute", new ServiceState(directory.isUp(h.host(), downAfter), true, null)));
        }
      }
      zones.add(new Zone(name, Map.of("available", members.stream().anyMatch(h -> directory.isUp(h.host(), downAfter))),
          hosts));
    });
    return Json.response(200, Map.of("availabilityZoneInfo", zones));
  }
}
